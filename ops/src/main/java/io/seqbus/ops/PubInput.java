package io.seqbus.ops;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where {@code seqbus pub} gets its messages, as bytes and never decoded, so any payload arrives as it was
 * given: one message repeated ({@code MESSAGE}, {@code --file}, {@code --raw}), or a stream split on newlines
 * or NULs.
 */
abstract class PubInput
{
    /** Replaced by the message's number (1, 2, ...) in a repeated message, as in {@code nats pub}. */
    static final String COUNT_PLACEHOLDER = "{{Count}}";

    /**
     * @return the next message, or null at the end.
     * @throws IOException when reading fails.
     */
    abstract byte[] next() throws IOException;

    /**
     * @return true when a {@link #next()} now would wait for more input: the time to send what is batched.
     * @throws IOException when reading fails.
     */
    abstract boolean wouldWait() throws IOException;

    /**
     * @param message the message.
     * @param count   how many times (at least 1); {@value #COUNT_PLACEHOLDER} in it becomes each one's number.
     * @return the input.
     */
    static PubInput repeated(final byte[] message, final long count)
    {
        return new Repeated(message, count);
    }

    /**
     * @param in        standard input.
     * @param separator {@code '\n'} or {@code 0}; it ends a message and is not part of it; the last message needs
     *                  none.
     * @return the input.
     */
    static PubInput split(final InputStream in, final int separator)
    {
        return new Split(new BufferedInputStream(in, 1 << 16), separator);
    }

    private static final class Repeated extends PubInput
    {
        private final byte[] message;
        private final long count;
        private final int placeholder;
        private long sent;

        Repeated(final byte[] message, final long count)
        {
            this.message = message;
            this.count = count;
            this.placeholder = indexOf(message, COUNT_PLACEHOLDER.getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        byte[] next()
        {
            if (sent == count)
            {
                return null;
            }
            sent++;
            return placeholder < 0 ? message : numbered(sent);
        }

        @Override
        boolean wouldWait()
        {
            return false;
        }

        private byte[] numbered(final long number)
        {
            final byte[] digits = Long.toString(number).getBytes(StandardCharsets.US_ASCII);
            final int tail = placeholder + COUNT_PLACEHOLDER.length();
            final byte[] out = new byte[message.length - COUNT_PLACEHOLDER.length() + digits.length];
            System.arraycopy(message, 0, out, 0, placeholder);
            System.arraycopy(digits, 0, out, placeholder, digits.length);
            System.arraycopy(message, tail, out, placeholder + digits.length, message.length - tail);
            return out;
        }

        private static int indexOf(final byte[] haystack, final byte[] needle)
        {
            for (int i = 0; i + needle.length <= haystack.length; i++)
            {
                if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length))
                {
                    return i;
                }
            }
            return -1;
        }
    }

    private static final class Split extends PubInput
    {
        private final InputStream in;
        private final int separator;
        private final ByteArrayOutputStream message = new ByteArrayOutputStream();

        Split(final InputStream in, final int separator)
        {
            this.in = in;
            this.separator = separator;
        }

        @Override
        byte[] next() throws IOException
        {
            message.reset();
            int b;
            while ((b = in.read()) != -1)
            {
                if (b == separator)
                {
                    return message.toByteArray();
                }
                message.write(b);
            }
            // The last message needs no separator; nothing after the last separator is no message.
            return message.size() > 0 ? message.toByteArray() : null;
        }

        @Override
        boolean wouldWait() throws IOException
        {
            return in.available() == 0;
        }
    }
}

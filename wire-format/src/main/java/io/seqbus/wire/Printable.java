package io.seqbus.wire;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Text a peer chose (a client's name, a topic or pattern it sent), made safe to put in a log line or an ERROR
 * reason: a control character (a newline that would forge a second log line, a terminal escape sequence)
 * shows as {@code \xNN} instead of acting. One rule for every such place. Allocates: for logs and refusals,
 * never for the message path.
 */
public final class Printable
{
    /** Characters of a refused topic or pattern quoted back in a reason: enough to recognise it. */
    public static final int QUOTE_CHARS = 80;

    private static final String ELLIPSIS = "...";

    private Printable()
    {
    }

    /**
     * @param text any text.
     * @return the text with every control character (C0, DEL, C1) written as {@code \xNN}.
     */
    public static String of(final String text)
    {
        return escape(text, false, Integer.MAX_VALUE);
    }

    /**
     * @param buffer   holding the bytes, which need not be valid UTF-8.
     * @param index    of the first byte.
     * @param length   bytes.
     * @param maxChars characters shown at most; longer text ends in {@code ...}.
     * @return the bytes as text, control characters as {@code \xNN}; when they are not well-formed UTF-8,
     *         every byte outside printable ASCII as {@code \xNN}, so the bad bytes can be read.
     */
    public static String of(final DirectBuffer buffer, final int index, final int length, final int maxChars)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(index, bytes);
        final boolean utf8 = WireStrings.isValidUtf8(buffer, index, length);
        return escape(new String(bytes, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1), !utf8, maxChars);
    }

    /**
     * @param buffer holding the bytes, which need not be valid UTF-8.
     * @param index  of the first byte.
     * @param length bytes.
     * @return {@link #of(DirectBuffer, int, int, int)} of at most {@link #QUOTE_CHARS} characters.
     */
    public static String quote(final DirectBuffer buffer, final int index, final int length)
    {
        return of(buffer, index, length, QUOTE_CHARS);
    }

    private static String escape(final String text, final boolean asciiOnly, final int maxChars)
    {
        final int shown = Math.min(text.length(), maxChars);
        final StringBuilder sb = new StringBuilder(shown + ELLIPSIS.length());
        for (int i = 0; i < shown; i++)
        {
            final char ch = text.charAt(i);
            if (Character.isISOControl(ch) || (asciiOnly && ch >= 0x80))
            {
                sb.append(String.format("\\x%02x", (int)ch));
            }
            else
            {
                sb.append(ch);
            }
        }
        return shown < text.length() ? sb.append(ELLIPSIS).toString() : sb.toString();
    }
}

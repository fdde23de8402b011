package io.seqbus.ops;

import io.seqbus.client.Message;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * {@code seqbus sub --save-dir}: writes a memfd payload to {@code DIR/<topic>.<publisher>.<sequence>}, straight from
 * the client's read-only mapping of the memfd (one copy, into the file), under a temporary name renamed at the end, so
 * a reader of DIR never sees half a payload.
 */
final class PayloadSaver
{
    private final Path dir;

    /**
     * @param dir an existing directory this process may write to.
     */
    PayloadSaver(final Path dir)
    {
        this.dir = dir;
    }

    /**
     * @param dir what {@code --save-dir} named.
     * @return null when it is a directory this process may write to, else why not, for a one-line error.
     */
    static String unusable(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            return "--save-dir " + dir + " is not a directory";
        }
        return Files.isWritable(dir) ? null : "--save-dir " + dir + " is not writable";
    }

    /**
     * @param message a delivery, during its handler's call.
     * @return the file now holding its payload.
     * @throws IOException when it cannot be written (the partial file is removed).
     */
    Path save(final Message message) throws IOException
    {
        final String name = fileName(message.topic(), message.publisherId(), message.sequence());
        final Path target = dir.resolve(name);
        final Path partial = dir.resolve("." + name + ".part");
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            final ByteBuffer payload = message.payloadBuffer().duplicate();
            while (payload.hasRemaining())
            {
                out.write(payload);
            }
        }
        catch (final IOException ex)
        {
            Files.deleteIfExists(partial);
            throw ex;
        }
        return Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * @param topic       the message's topic; a topic may hold {@code /}, which a file name may not: written
     *                    {@code %2F} (and {@code %} as {@code %25}), so every topic names one file in DIR.
     * @param publisherId as {@code sub --format %i} prints it.
     * @param sequence    the publisher's sequence.
     * @return {@code <topic>.<publisher>.<sequence>}.
     */
    static String fileName(final String topic, final long publisherId, final long sequence)
    {
        return topic.replace("%", "%25").replace("/", "%2F") + "." + Long.toUnsignedString(publisherId) + "." +
            Long.toUnsignedString(sequence);
    }
}

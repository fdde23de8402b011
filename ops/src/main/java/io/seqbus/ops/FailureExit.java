package io.seqbus.ops;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Ends the process when the broker's thread ran out of memory, allocating nothing on the way:
 * the message is encoded and the stream opened while memory is still there.
 */
final class FailureExit
{
    private static final byte[] MESSAGE = ("seqbus: the broker's thread ran out of memory; exiting at once so " +
        "that the supervisor starts a fresh broker\n").getBytes(StandardCharsets.UTF_8);
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err);

    private FailureExit()
    {
    }

    /**
     * Loads this class, and so encodes the message, while memory is plentiful.
     */
    static void prepare()
    {
        // the static initialisers did the work
    }

    /**
     * @param status the exit status.
     */
    static void halt(final int status)
    {
        try
        {
            STDERR.write(MESSAGE);
        }
        catch (final IOException | RuntimeException | Error ignore)
        {
            // nothing more can be said; exiting matters more
        }
        Runtime.getRuntime().halt(status);
    }
}

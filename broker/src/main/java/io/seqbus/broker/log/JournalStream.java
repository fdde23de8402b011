package io.seqbus.broker.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether standard error is connected to the journal: systemd sets {@code $JOURNAL_STREAM} to the
 * {@code device:inode} of the stream it gave the service, and only when standard error is still that stream
 * (not redirected since) is a line's {@code <N>} priority prefix understood (sd_journal_stream_fd(3),
 * sd-daemon(3)).
 */
final class JournalStream
{
    private JournalStream()
    {
    }

    /**
     * @param journalStream the value of {@code $JOURNAL_STREAM}, or null.
     * @param stream        the stream to compare, e.g. {@code /proc/self/fd/2} (stat follows it to the
     *                      socket or file itself).
     * @return true when {@code stream} is the one named.
     */
    static boolean is(final String journalStream, final Path stream)
    {
        if (journalStream == null)
        {
            return false;
        }
        final int colon = journalStream.indexOf(':');
        if (colon <= 0)
        {
            return false;
        }
        try
        {
            final long device = Long.parseUnsignedLong(journalStream.substring(0, colon).trim());
            final long inode = Long.parseUnsignedLong(journalStream.substring(colon + 1).trim());
            return ((Number)Files.getAttribute(stream, "unix:dev")).longValue() == device &&
                ((Number)Files.getAttribute(stream, "unix:ino")).longValue() == inode;
        }
        catch (final IOException | NumberFormatException | UnsupportedOperationException ex)
        {
            return false; // not the journal, as far as anyone can tell: plain lines
        }
    }
}

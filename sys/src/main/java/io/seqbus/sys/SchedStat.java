package io.seqbus.sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One thread's {@code /proc/thread-self/schedstat}: "time on CPU, time waiting on a run queue, time slices", in ns.
 * Opened by the thread it describes ({@code thread-self} resolves to the opener once, at open), read with pread at
 * offset 0 into a direct buffer of its own and parsed in place: no allocation per read. Only the JDK: a client without
 * JNA uses it too.
 */
final class SchedStat implements AdaptiveSpin.RunQueueWait, AutoCloseable
{
    static final Path THREAD_SELF = Path.of("/proc/thread-self/schedstat");

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(128);

    private SchedStat(final FileChannel channel)
    {
        this.channel = channel;
    }

    /** @return the calling thread's, or null when there is none to read (no /proc, or no schedstats). */
    static SchedStat openForCurrentThread()
    {
        try
        {
            final SchedStat stat = new SchedStat(FileChannel.open(THREAD_SELF, StandardOpenOption.READ));
            if (stat.waitedNs() < 0)
            {
                stat.close();
                return null;
            }
            return stat;
        }
        catch (final IOException | UnsupportedOperationException | SecurityException ex)
        {
            return null;
        }
    }

    /** @return ns this thread has spent runnable but waiting for a CPU, or -1 when it cannot be read. */
    @Override
    public long waitedNs()
    {
        buffer.clear();
        try
        {
            if (channel.read(buffer, 0) <= 0)
            {
                return -1;
            }
        }
        catch (final IOException ex)
        {
            return -1;
        }
        return secondField(buffer, buffer.position());
    }

    /** @return the second space-separated decimal field of the first {@code length} bytes, -1 when there is none. */
    static long secondField(final ByteBuffer text, final int length)
    {
        int i = 0;
        while (i < length && text.get(i) != ' ')
        {
            i++;
        }
        i++;
        long value = 0;
        int digits = 0;
        while (i < length)
        {
            final int c = text.get(i) - '0';
            if (c < 0 || c > 9)
            {
                break;
            }
            value = value * 10 + c;
            digits++;
            i++;
        }
        return digits == 0 ? -1 : value;
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}

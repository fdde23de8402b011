package io.seqbus.client;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.seqbus.sys.LibC;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process's room for new descriptors, checked before each recvmsg of a connection that passes descriptors: a
 * receive with less room than a datagram may carry would have the kernel drop some of them (MSG_CTRUNC), and those
 * messages would be lost. Short of room the client stops reading instead: the broker's slow-consumer policy then
 * applies, and nothing is lost silently.
 * <p>
 * The limit (RLIMIT_NOFILE's soft value, which the JVM raises to the hard one at start) is read once with
 * getrlimit(2). The open count is counted in {@code /proc/self/fd}, at most once a second while there is
 * room, and kept up to date in between by the descriptors this client receives and closes; other threads' files show
 * at the next count (a receive truncated meanwhile still gives a GAP {@code DESCRIPTORS_LOST}). The kernel bounds
 * descriptor numbers rather than their count, so a process with holes in its table has a little more room than this
 * counts: the check errs on the safe side.
 */
final class FdBudget
{
    private static final long RECOUNT_NS = 1_000_000_000L;
    private static final long RECOUNT_WHEN_SHORT_NS = 10_000_000L;

    private final long limit;
    private final AtomicLong sinceCount = new AtomicLong();
    private long counted;
    private long countedAtNs;
    private boolean everCounted;

    FdBudget()
    {
        this(readLimit());
    }

    FdBudget(final long limit)
    {
        this.limit = limit;
    }

    long limit()
    {
        return limit;
    }

    /** @return descriptors open by the last count and what this client did since. */
    long open()
    {
        return counted + sinceCount.get();
    }

    /** Polling side: this client received descriptors. */
    void received(final int count)
    {
        sinceCount.addAndGet(count);
    }

    /** Any thread: this client closed descriptors (a payload let go, descriptors not taken). */
    void closed(final int count)
    {
        sinceCount.addAndGet(-count);
    }

    /**
     * Polling side, before a recvmsg.
     *
     * @param needed descriptors one datagram may bring.
     * @return true when there is room for them.
     */
    boolean hasRoom(final int needed)
    {
        final long nowNs = System.nanoTime();
        final boolean room = limit - open() >= needed;
        final long age = nowNs - countedAtNs;
        if (!everCounted || (room ? age >= RECOUNT_NS && sinceCount.get() != 0 : age >= RECOUNT_WHEN_SHORT_NS))
        {
            recount(nowNs);
            return limit - open() >= needed;
        }
        return room;
    }

    private void recount(final long nowNs)
    {
        long count = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path ignored : entries)
            {
                count++;
            }
            count--; // the directory stream's own descriptor
        }
        catch (final IOException ex)
        {
            count = counted + sinceCount.get();
        }
        sinceCount.set(0);
        counted = count;
        countedAtNs = nowNs;
        everCounted = true;
    }

    /** @return RLIMIT_NOFILE's soft value (getrlimit); Long.MAX_VALUE for RLIM_INFINITY or a failure. */
    static long readLimit()
    {
        try (Memory rlimit = new Memory(16))
        {
            if (LibC.getrlimit(LibC.RLIMIT_NOFILE, Pointer.nativeValue(rlimit)) != 0)
            {
                return Long.MAX_VALUE;
            }
            final long soft = rlimit.getLong(0);
            return soft < 0 ? Long.MAX_VALUE : soft;
        }
    }
}

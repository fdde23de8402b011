package io.seqbus.sys;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An eventfd(2), the one signal of the shared-memory wake-up protocol: a writer signals only a reader that said it
 * sleeps ({@link Ring#takeReaderSleeping()}), so a busy pair never makes this syscall. Non-blocking: a signal to a
 * counter that is full (a peer that never drains) is dropped, the peer is awake anyway.
 */
public final class EventFd implements AutoCloseable
{
    // The 8 bytes every signal writes, 1: read by the kernel only, so shared by every thread and instance.
    private static final ByteBuffer ONE = DirectAddress.allocateAligned(8).putLong(0, 1L);
    private static final long ONE_ADDRESS = DirectAddress.of(ONE);

    private final ByteBuffer drained = DirectAddress.allocateAligned(8);
    private final long drainedAddress = DirectAddress.of(drained);
    private int fd;

    private EventFd(final int fd)
    {
        this.fd = fd;
    }

    /**
     * @return a new eventfd, counter 0, non-blocking and close-on-exec.
     * @throws IOException when the kernel refuses (EMFILE).
     */
    public static EventFd create() throws IOException
    {
        final int fd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (fd < 0)
        {
            throw LibC.failure("eventfd", LibC.errno());
        }
        return new EventFd(fd);
    }

    /**
     * @param fd an eventfd received from the peer; this object owns it from now on.
     * @return it.
     */
    public static EventFd of(final int fd)
    {
        return new EventFd(fd);
    }

    /** @return the descriptor, -1 once closed. */
    public int fd()
    {
        return fd;
    }

    /** Adds 1 to the counter, waking whoever waits on it. Thread-safe; never blocks. */
    public void signal()
    {
        LibC.write(fd, ONE_ADDRESS, 8);
    }

    /**
     * Reads and clears the counter. One thread at a time.
     *
     * @return the signals since the last drain, 0 when none.
     */
    public long drain()
    {
        return LibC.read(fd, drainedAddress, 8) == 8 ? drained.getLong(0) : 0;
    }

    @Override
    public void close()
    {
        if (fd >= 0)
        {
            LibC.close(fd);
            fd = -1;
        }
    }
}

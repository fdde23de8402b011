package io.seqbus.broker.net;

import io.seqbus.sys.LibC;
import org.agrona.BufferUtil;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The agent's readiness wait: one epoll(7) instance over the listening socket and every client
 * socket, level-triggered like poll(2). A wait allocates nothing and costs what is ready, not
 * what is open (junixsocket's selector walks every key and allocates on each select). Other
 * threads may only call {@link #wakeup()}; everything else belongs to the agent thread.
 */
public final class Poller implements AutoCloseable
{
    /** Interest in input (or, on the listener, a connection to accept). */
    public static final int READ = LibC.EPOLLIN;
    /** Interest in room to write. */
    public static final int WRITE = LibC.EPOLLOUT;
    /** Reported whatever the interest: the peer hung up, or the socket failed. */
    public static final int HANG_UP = LibC.EPOLLHUP | LibC.EPOLLRDHUP | LibC.EPOLLERR;

    private static final int MAX_EVENTS = 256;

    private final int epfd;
    private final int wakeFd;
    private final UnsafeBuffer events = new UnsafeBuffer(
        BufferUtil.allocateDirectAligned(MAX_EVENTS * LibC.EPOLL_EVENT_SIZE + 16, 64));
    private final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    private final UnsafeBuffer wakeValue = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    private final Int2ObjectHashMap<Object> attachments = new Int2ObjectHashMap<>();
    // Each registration's number, kept in its events beside the fd: an event of a socket closed earlier in
    // the same batch must not reach the one accepted meanwhile under the same fd number.
    private final Int2IntHashMap registrations = new Int2IntHashMap(0);
    private int lastRegistration;
    private int readyCount;
    private boolean closed;

    /**
     * @throws IOException when the kernel refuses an epoll instance or an eventfd.
     */
    public Poller() throws IOException
    {
        epfd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (epfd < 0)
        {
            throw LibC.failure("epoll_create1", LibC.errno());
        }
        wakeFd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (wakeFd < 0)
        {
            final int errno = LibC.errno();
            LibC.close(epfd);
            throw LibC.failure("eventfd", errno);
        }
        wakeValue.putLong(0, 1L);
        control(LibC.EPOLL_CTL_ADD, wakeFd, 0, READ);
    }

    /**
     * Watches a socket; a hang-up is always reported.
     *
     * @param fd         the socket.
     * @param interest   {@link #READ}, {@link #WRITE}, both or 0.
     * @param attachment what {@link #attachment(int)} gives back when it is ready.
     * @throws IOException when the kernel refuses.
     */
    public void register(final int fd, final int interest, final Object attachment) throws IOException
    {
        lastRegistration = lastRegistration == Integer.MAX_VALUE ? 1 : lastRegistration + 1;
        control(LibC.EPOLL_CTL_ADD, fd, lastRegistration, interest);
        attachments.put(fd, attachment);
        registrations.put(fd, lastRegistration);
    }

    /**
     * @param fd       a registered socket.
     * @param interest its new interest.
     * @throws IOException when the kernel refuses (say, the socket was closed).
     */
    public void interest(final int fd, final int interest) throws IOException
    {
        control(LibC.EPOLL_CTL_MOD, fd, registrations.get(fd), interest);
    }

    /**
     * Stops watching a socket, before it is closed (a closed descriptor leaves epoll by itself,
     * but its number may come back with the next accept).
     *
     * @param fd a registered socket.
     */
    public void deregister(final int fd)
    {
        if (attachments.remove(fd) != null)
        {
            registrations.remove(fd);
            LibC.epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, fd, 0);
        }
    }

    /**
     * @param timeoutMs longest wait: 0 returns at once, as poll(2).
     * @return sockets ready; see {@link #attachment(int)} and {@link #events(int)}.
     * @throws IOException when the wait fails for a reason other than a signal.
     */
    public int poll(final int timeoutMs) throws IOException
    {
        int n = LibC.epoll_wait(epfd, events.addressOffset(), MAX_EVENTS, timeoutMs);
        if (n < 0)
        {
            final int errno = LibC.errno();
            if (errno != LibC.EINTR)
            {
                throw LibC.failure("epoll_wait", errno);
            }
            n = 0;
        }
        // The wake-up's own event is consumed here, and kept out of what callers see.
        int ready = 0;
        for (int i = 0; i < n; i++)
        {
            final int at = i * LibC.EPOLL_EVENT_SIZE;
            final long data = events.getLong(at + LibC.EPOLL_EVENT_DATA_OFFSET);
            if ((int)data == wakeFd)
            {
                LibC.read(wakeFd, scratch.addressOffset(), 8);
                continue;
            }
            if (ready != i)
            {
                events.putInt(ready * LibC.EPOLL_EVENT_SIZE, events.getInt(at));
                events.putLong(ready * LibC.EPOLL_EVENT_SIZE + LibC.EPOLL_EVENT_DATA_OFFSET, data);
            }
            ready++;
        }
        readyCount = ready;
        return ready;
    }

    /**
     * @param i 0 to the last {@link #poll}'s result, exclusive.
     * @return what was registered with the i-th ready socket, or null if it left since (even if another
     * socket took its fd number meanwhile).
     */
    public Object attachment(final int i)
    {
        final long data = events.getLong(i * LibC.EPOLL_EVENT_SIZE + LibC.EPOLL_EVENT_DATA_OFFSET);
        final int fd = (int)data;
        return registrations.get(fd) == (int)(data >>> 32) ? attachments.get(fd) : null;
    }

    /**
     * @param i 0 to the last {@link #poll}'s result, exclusive.
     * @return the i-th ready descriptor: which of a connection's two (its socket, its shared-memory
     * {@code broker_wake} eventfd) is ready, both registered with the connection as attachment.
     */
    public int fd(final int i)
    {
        return (int)events.getLong(i * LibC.EPOLL_EVENT_SIZE + LibC.EPOLL_EVENT_DATA_OFFSET);
    }

    /**
     * @param i 0 to the last {@link #poll}'s result, exclusive.
     * @return the i-th ready socket's events: {@link #READ}, {@link #WRITE}, {@link #HANG_UP} bits.
     */
    public int events(final int i)
    {
        return events.getInt(i * LibC.EPOLL_EVENT_SIZE);
    }

    /** @return sockets the last {@link #poll} reported. */
    public int readyCount()
    {
        return readyCount;
    }

    /** @return sockets watched, the wake-up not counted. */
    public int registered()
    {
        return attachments.size();
    }

    /**
     * Ends a wait under way, or makes the next one return at once. Any thread; a no-op once closed.
     */
    public synchronized void wakeup()
    {
        // Synchronized with close: a write to a closed eventfd's number could land in whatever
        // the next open reused it for. Rare calls (commands, stop), never on the hot path.
        if (!closed)
        {
            LibC.write(wakeFd, wakeValue.addressOffset(), 8);
        }
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            attachments.clear();
            registrations.clear();
            LibC.close(wakeFd);
            LibC.close(epfd);
        }
    }

    private void control(final int op, final int fd, final int registration, final int interest) throws IOException
    {
        scratch.putInt(0, interest | LibC.EPOLLRDHUP);
        scratch.putLong(LibC.EPOLL_EVENT_DATA_OFFSET, ((long)registration << 32) | (fd & 0xFFFF_FFFFL));
        if (LibC.epoll_ctl(epfd, op, fd, scratch.addressOffset()) < 0)
        {
            throw LibC.failure(op == LibC.EPOLL_CTL_ADD ? "epoll_ctl ADD" : "epoll_ctl MOD", LibC.errno());
        }
    }
}

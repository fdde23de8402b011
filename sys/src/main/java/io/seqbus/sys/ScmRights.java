package io.seqbus.sys;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Datagrams with descriptors attached (SCM_RIGHTS), read and written with recvmsg(2) and sendmsg(2) on a
 * SEQPACKET socket's descriptor: what the broker's {@code SocketFd} does with recv(2) and send(2), plus the
 * ancillary data. The msghdr, its iovec and the control buffer are allocated once, sized for
 * {@code maxDescriptors}, so a call allocates nothing. One instance per thread (the broker's agent, a client's
 * conductor): the descriptors of the last receive live here until the caller takes them.
 *
 * <p>What the kernel does that this class relies on (Linux): descriptors travel with the datagram they were
 * sent with, and a receive installs them all or sets MSG_CTRUNC. A control buffer too small for them installs
 * those that fit and closes the rest; {@link #receive} then closes the installed ones too and reports the
 * truncation, so a truncated control message never leaks. A receive without a control buffer (recv(2), as the
 * broker's {@code SocketFd.read} does) makes the kernel close them all; a peek (MSG_PEEK without a control
 * buffer) leaves them queued with the datagram.
 */
public final class ScmRights
{
    /** The kernel's bound on descriptors in one sendmsg(2) (SCM_MAX_FD). */
    public static final int KERNEL_MAX_DESCRIPTORS = 253;

    // struct msghdr on 64-bit Linux: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad).
    private static final int MSGHDR_LENGTH = 56;
    private static final int MSG_IOV_OFFSET = 16;
    private static final int MSG_IOVLEN_OFFSET = 24;
    private static final int MSG_CONTROL_OFFSET = 32;
    private static final int MSG_CONTROLLEN_OFFSET = 40;
    private static final int MSG_FLAGS_OFFSET = 48;
    // struct iovec: base, len.
    private static final int IOVEC_OFFSET = 64;
    // struct cmsghdr: len (size_t), level, type, then the data, aligned to 8.
    private static final int CMSG_HEADER_LENGTH = 16;

    private final int maxDescriptors;
    private final int controlCapacity;
    // Plain ByteBuffers, not Agrona's UnsafeBuffer: the client's JVM runs without the flag Unsafe needs.
    private final ByteBuffer msg = DirectAddress.allocateAligned(128);
    private final long msgAddress = DirectAddress.of(msg);
    private final ByteBuffer control;
    private final long controlAddress;
    private final DirectAddress.Cached dataAddress = new DirectAddress.Cached();
    private final int[] received;
    private int receivedCount;
    private int receiveFlags;

    /**
     * @param maxDescriptors most descriptors one datagram may carry: the control buffer is sized for them, and a
     *                       datagram with more is reported truncated. 1..{@link #KERNEL_MAX_DESCRIPTORS}.
     */
    public ScmRights(final int maxDescriptors)
    {
        if (maxDescriptors < 1 || maxDescriptors > KERNEL_MAX_DESCRIPTORS)
        {
            throw new IllegalArgumentException("maxDescriptors must be 1.." + KERNEL_MAX_DESCRIPTORS + ": " +
                maxDescriptors);
        }
        this.maxDescriptors = maxDescriptors;
        this.controlCapacity = controlSpace(maxDescriptors);
        this.control = DirectAddress.allocateAligned(align(controlCapacity, 64));
        this.controlAddress = DirectAddress.of(control);
        this.received = new int[maxDescriptors];
        msg.putLong(MSG_IOV_OFFSET, msgAddress + IOVEC_OFFSET);
        msg.putLong(MSG_IOVLEN_OFFSET, 1);
    }

    /**
     * @param descriptors how many.
     * @return bytes of control buffer they take (CMSG_SPACE).
     */
    public static int controlSpace(final int descriptors)
    {
        return CMSG_HEADER_LENGTH + align(4 * descriptors, 8);
    }

    /**
     * Reads one datagram into {@code dst} from its position, and the descriptors sent with it, which the caller
     * then owns ({@link #descriptor(int)}, {@link #descriptorCount()}): it must close each or hand it on. They are
     * received close-on-exec.
     *
     * @return bytes read, 0 if none is waiting, -1 once the peer hung up and nothing is left.
     * @throws IOException when the kernel fails the call.
     */
    public int receive(final int socketFd, final ByteBuffer dst) throws IOException
    {
        receivedCount = 0;
        receiveFlags = 0;
        final int position = dst.position();
        if (position == dst.limit())
        {
            return 0; // a 0-byte read would look like the end of stream
        }
        point(dataAddress.of(direct(dst)) + position, dst.limit() - position);
        msg.putLong(MSG_CONTROL_OFFSET, controlAddress);
        msg.putLong(MSG_CONTROLLEN_OFFSET, controlCapacity);
        msg.putInt(MSG_FLAGS_OFFSET, 0);
        final long n = LibC.recvmsg(socketFd, msgAddress, LibC.MSG_DONTWAIT | LibC.MSG_CMSG_CLOEXEC);
        if (n < 0)
        {
            final int errno = LibC.errno();
            if (errno == LibC.EAGAIN || errno == LibC.EINTR)
            {
                return 0;
            }
            throw LibC.failure("recvmsg", errno);
        }
        receiveFlags = msg.getInt(MSG_FLAGS_OFFSET);
        collect(msg.getLong(MSG_CONTROLLEN_OFFSET));
        if (isControlTruncated())
        {
            // Some were dropped by the kernel: the rest are useless to the protocol, and must not leak.
            closeReceived();
        }
        if (n == 0)
        {
            closeReceived();
            return -1; // no empty datagrams in the protocol: the end of stream
        }
        dst.position(position + (int)n);
        return (int)n;
    }

    private void collect(final long controlLength)
    {
        int at = 0;
        while (at + CMSG_HEADER_LENGTH <= controlLength)
        {
            final long length = control.getLong(at);
            if (length < CMSG_HEADER_LENGTH || at + length > controlLength)
            {
                break;
            }
            if (control.getInt(at + 8) == LibC.SOL_SOCKET && control.getInt(at + 12) == LibC.SCM_RIGHTS)
            {
                for (int i = 0, n = (int)((length - CMSG_HEADER_LENGTH) / 4); i < n; i++)
                {
                    final int fd = control.getInt(at + CMSG_HEADER_LENGTH + 4 * i);
                    if (receivedCount < maxDescriptors)
                    {
                        received[receivedCount++] = fd;
                    }
                    else
                    {
                        LibC.close(fd); // cannot happen with a buffer sized for maxDescriptors; never leak
                        receiveFlags |= LibC.MSG_CTRUNC;
                    }
                }
            }
            at += align((int)length, 8);
        }
    }

    /** @return descriptors the last {@link #receive} brought. */
    public int descriptorCount()
    {
        return receivedCount;
    }

    /**
     * @param i from 0.
     * @return the i-th descriptor of the last receive, in the order the sender attached them.
     */
    public int descriptor(final int i)
    {
        if (i >= receivedCount)
        {
            throw new IndexOutOfBoundsException(i);
        }
        return received[i];
    }

    /**
     * @return true when the last receive's descriptors did not fit the control buffer (MSG_CTRUNC): more than
     * {@code maxDescriptors} were sent, or the receiving process is out of descriptors (RLIMIT_NOFILE). Those that
     * came were closed: a protocol error, never a leak.
     */
    public boolean isControlTruncated()
    {
        return (receiveFlags & LibC.MSG_CTRUNC) != 0;
    }

    /** @return true when the last datagram was longer than the buffer (MSG_TRUNC). */
    public boolean isDataTruncated()
    {
        return (receiveFlags & LibC.MSG_TRUNC) != 0;
    }

    /** Closes every descriptor of the last receive, for a datagram that is refused. */
    public void closeReceived()
    {
        for (int i = 0; i < receivedCount; i++)
        {
            LibC.close(received[i]);
        }
        receivedCount = 0;
    }

    /**
     * What {@link #trySend} returns when the kernel refused the descriptors with ETOOMANYREFS: the sender's user has
     * more descriptors in flight (sent, unread) than its RLIMIT_NOFILE. Nothing was sent.
     */
    public static final int TOO_MANY_REFS = -1;

    /**
     * Sends what lies between position and limit as one datagram, with {@code count} descriptors attached. The
     * kernel takes its own reference to each: the caller's stay open, to close when it no longer needs them.
     *
     * @return bytes sent (the whole datagram, SEQPACKET being atomic), or 0 when the peer's queue is full.
     * @throws IOException when the peer is gone, or the kernel refuses the descriptors (ETOOMANYREFS: the
     *                     sender's user has more in flight than its RLIMIT_NOFILE).
     */
    public int send(final int socketFd, final ByteBuffer src, final int[] fds, final int count) throws IOException
    {
        final int n = trySend(socketFd, src, fds, count);
        if (n == TOO_MANY_REFS)
        {
            throw LibC.failure("sendmsg", LibC.ETOOMANYREFS);
        }
        return n;
    }

    /**
     * As {@link #send}, but a refusal for too many descriptors in flight is an answer, not an exception: a sender
     * that retries it (the broker, each duty cycle) allocates nothing.
     *
     * @return bytes sent, 0 when the peer's queue is full, {@link #TOO_MANY_REFS} on ETOOMANYREFS.
     * @throws IOException when the peer is gone.
     */
    public int trySend(final int socketFd, final ByteBuffer src, final int[] fds, final int count) throws IOException
    {
        if (count < 0 || count > maxDescriptors)
        {
            throw new IllegalArgumentException("descriptors per datagram: 0.." + maxDescriptors + ", not " + count);
        }
        final int position = src.position();
        point(dataAddress.of(direct(src)) + position, src.limit() - position);
        if (count == 0)
        {
            msg.putLong(MSG_CONTROL_OFFSET, 0);
            msg.putLong(MSG_CONTROLLEN_OFFSET, 0);
        }
        else
        {
            control.putLong(0, CMSG_HEADER_LENGTH + 4L * count);
            control.putInt(8, LibC.SOL_SOCKET);
            control.putInt(12, LibC.SCM_RIGHTS);
            for (int i = 0; i < count; i++)
            {
                control.putInt(CMSG_HEADER_LENGTH + 4 * i, fds[i]);
            }
            msg.putLong(MSG_CONTROL_OFFSET, controlAddress);
            msg.putLong(MSG_CONTROLLEN_OFFSET, controlSpace(count));
        }
        msg.putInt(MSG_FLAGS_OFFSET, 0);
        final long n = LibC.sendmsg(socketFd, msgAddress, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL);
        if (n >= 0)
        {
            src.position(position + (int)n);
            return (int)n;
        }
        final int errno = LibC.errno();
        if (errno == LibC.EAGAIN || errno == LibC.EINTR)
        {
            return 0;
        }
        if (errno == LibC.ETOOMANYREFS)
        {
            return TOO_MANY_REFS;
        }
        throw LibC.failure("sendmsg", errno);
    }

    /**
     * Closes a descriptor its holder no longer needs (the broker: one a publisher passed, once every subscriber has
     * its own).
     *
     * @param fd the descriptor.
     */
    public static void close(final int fd)
    {
        LibC.close(fd);
    }

    private void point(final long address, final int length)
    {
        msg.putLong(IOVEC_OFFSET, address);
        msg.putLong(IOVEC_OFFSET + 8, length);
    }

    private static ByteBuffer direct(final ByteBuffer buffer)
    {
        if (!buffer.isDirect())
        {
            throw new IllegalArgumentException("ScmRights reads and writes direct buffers only");
        }
        return buffer;
    }

    private static int align(final int value, final int alignment)
    {
        return (value + alignment - 1) & -alignment;
    }
}

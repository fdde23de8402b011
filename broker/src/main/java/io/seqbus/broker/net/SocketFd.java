package io.seqbus.broker.net;

import io.seqbus.sys.LibC;
import org.agrona.BufferUtil;
import org.newsclub.net.unix.AFSomeSocketChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channel;

/**
 * A client's SEQPACKET socket, read and written by the agent with recv(2) and send(2) on its
 * descriptor, never blocking. junixsocket's channel still opens and closes the socket and
 * answers for its credentials; its read and write allocate on every call, these do not.
 * Reads also tell what junixsocket cannot: -1 at end of stream, 0 when nothing is waiting.
 * Buffers must be direct.
 */
public final class SocketFd implements ByteChannel
{
    private final int fd;
    private final Channel owner;

    /**
     * @param fd    the socket's descriptor.
     * @param owner the channel that opened it, and closes it.
     */
    public SocketFd(final int fd, final Channel owner)
    {
        this.fd = fd;
        this.owner = owner;
    }

    /**
     * @param channel a junixsocket channel.
     * @return its descriptor number.
     * @throws IOException if it has none (closed).
     */
    public static int fdOf(final AFSomeSocketChannel channel) throws IOException
    {
        final int fd = LibC.fd(channel.getFileDescriptor());
        if (fd < 0)
        {
            throw new IOException("the socket is closed");
        }
        return fd;
    }

    /** @return the descriptor number. */
    public int fd()
    {
        return fd;
    }

    /**
     * Reads one datagram into {@code dst} from its position; a longer one is cut at the limit.
     *
     * @return bytes read, 0 if none is waiting, -1 once the peer hung up and nothing is left.
     */
    @Override
    public int read(final ByteBuffer dst) throws IOException
    {
        return receive(dst, LibC.MSG_DONTWAIT);
    }

    /**
     * Copies the next datagram into {@code dst} like {@link #read} but leaves it queued, so the
     * next read returns it again: how the broker looks at what a client sends before deciding
     * whether to take it now.
     *
     * @return bytes copied, 0 if none is waiting, -1 once the peer hung up and nothing is left.
     */
    public int peek(final ByteBuffer dst) throws IOException
    {
        final int position = dst.position();
        final int n = receive(dst, LibC.MSG_DONTWAIT | LibC.MSG_PEEK);
        dst.position(position);
        return n;
    }

    private int receive(final ByteBuffer dst, final int flags) throws IOException
    {
        final int position = dst.position();
        if (position == dst.limit())
        {
            return 0; // recv(2) of 0 bytes reads 0, which would look like end of stream
        }
        final long n = LibC.recv(fd, address(dst) + position, dst.limit() - position, flags);
        if (n > 0)
        {
            dst.position(position + (int)n);
            return (int)n;
        }
        if (n == 0)
        {
            // No empty datagrams in the protocol, so nothing read means end of stream.
            return -1;
        }
        final int errno = LibC.errno();
        if (errno == LibC.EAGAIN || errno == LibC.EINTR)
        {
            return 0;
        }
        throw LibC.failure("recv", errno);
    }

    /**
     * Sends what lies between position and limit as one datagram.
     *
     * @return bytes sent, or 0 when the kernel's queue to the peer is full.
     */
    @Override
    public int write(final ByteBuffer src) throws IOException
    {
        final int position = src.position();
        final long n = LibC.send(
            fd, address(src) + position, src.limit() - position, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL);
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
        throw LibC.failure("send", errno);
    }

    /**
     * What the peer has not read yet of what was sent to it (SIOCOUTQ): on AF_UNIX the kernel charges each unread
     * datagram to its sender until the peer reads it, so 0 means the peer has read everything, descriptors
     * included. Counted in the kernel's memory units (skb truesize), not in payload bytes: good for "all read",
     * not for "how much". Off the hot path: it allocates nothing but is one more system call.
     *
     * @param scratch 8 bytes of direct memory for the answer.
     * @return the kernel's count, 0 once the peer has read everything.
     * @throws IOException when the kernel refuses.
     */
    public long unreadByPeer(final ByteBuffer scratch) throws IOException
    {
        if (LibC.ioctl(fd, LibC.SIOCOUTQ, address(scratch)) != 0)
        {
            throw LibC.failure("ioctl(SIOCOUTQ)", LibC.errno());
        }
        return scratch.getInt(0) & 0xFFFF_FFFFL;
    }

    @Override
    public boolean isOpen()
    {
        return owner.isOpen();
    }

    /** Closes the owning channel, and with it the socket. */
    @Override
    public void close() throws IOException
    {
        owner.close();
    }

    private static long address(final ByteBuffer buffer)
    {
        if (!buffer.isDirect())
        {
            throw new IllegalArgumentException("SocketFd reads and writes direct buffers only");
        }
        return BufferUtil.address(buffer);
    }
}

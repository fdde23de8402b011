package io.seqbus.broker.metrics;

import org.newsclub.net.unix.AFGenericSocketAddress;
import org.newsclub.net.unix.AFServerSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The metrics port systemd listens on for the broker ({@code seqbus-metrics.socket}, {@code ListenStream=} with
 * {@code FileDescriptorName=metrics}), so that a scrape starts an idle socket-activated broker.
 *
 * <p>The JDK cannot wrap an inherited TCP descriptor in a {@code ServerSocketChannel} (only stdin, through
 * {@code System.inheritedChannel()}); junixsocket's {@link FileDescriptorCast} can, as a generic socket channel
 * with its own selector provider, which {@link HttpLoop} uses for such a channel. Its address comes back as raw
 * {@code sockaddr} bytes, read here.
 */
final class InheritedPort
{
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private InheritedPort()
    {
    }

    /**
     * @param fd the inherited descriptor: a listening IPv4 or IPv6 stream socket.
     * @return a non-owning channel over it; see {@link HttpLoop} on why it is never closed.
     * @throws IOException when the descriptor is not such a socket.
     */
    static AFServerSocketChannel channel(final int fd) throws IOException
    {
        final AFServerSocketChannel channel;
        try
        {
            channel = FileDescriptorCast.unsafeUsing(fd).as(AFServerSocketChannel.class);
        }
        catch (final ClassCastException ex)
        {
            throw new IOException("metrics: the socket systemd passed as \"metrics\" (fd " + fd + ") is not a " +
                "listening stream socket; give its unit ListenStream=HOST:PORT", ex);
        }
        return channel;
    }

    /**
     * @param local what the channel says it is bound to.
     * @param fd    for the message.
     * @return the IPv4 or IPv6 address and port.
     * @throws IOException for any other kind of socket.
     */
    static InetSocketAddress address(final SocketAddress local, final int fd) throws IOException
    {
        if (local instanceof AFGenericSocketAddress generic)
        {
            final byte[] raw = generic.toBytes();
            // struct sockaddr_in / sockaddr_in6: the family in host byte order, the port in network byte order.
            final ByteBuffer sockaddr = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            final int family = raw.length >= 2 ? Short.toUnsignedInt(sockaddr.getShort(0)) : -1;
            if (family == AF_INET && raw.length >= 8)
            {
                return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(raw, 4, 8)), port(raw));
            }
            if (family == AF_INET6 && raw.length >= 24)
            {
                return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(raw, 8, 24)), port(raw));
            }
        }
        throw new IOException("metrics: the socket systemd passed as \"metrics\" (fd " + fd + ") is not an IPv4 " +
            "or IPv6 socket (" + local + "); give its unit ListenStream=HOST:PORT");
    }

    private static int port(final byte[] raw)
    {
        return ((raw[2] & 0xff) << 8) | (raw[3] & 0xff);
    }
}

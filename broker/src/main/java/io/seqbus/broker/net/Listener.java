package io.seqbus.broker.net;

import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import org.newsclub.net.unix.FileDescriptorCast;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The broker's listening SEQPACKET socket, at a filesystem path or an abstract name, bound here
 * or inherited from systemd (socket activation).
 *
 * <p>A socket file left by a broker that died is replaced; one that a live broker still
 * serves is not: binding fails with a message that says so. An inherited socket belongs to
 * whoever passed it: closing it neither shuts it down nor removes its file, so connections
 * that arrive while no broker runs wait in its backlog for the next one.
 */
public final class Listener implements AutoCloseable
{
    private final String address;
    private final Path path;
    private final AFUNIXDatagramChannel channel;
    private final boolean inherited;

    private Listener(final String address, final Path path, final AFUNIXDatagramChannel channel, final boolean inherited)
    {
        this.address = address;
        this.path = path;
        this.channel = channel;
        this.inherited = inherited;
    }

    /**
     * @param address a path, or {@code @name} for a Linux abstract socket.
     * @return the junixsocket address.
     * @throws SocketException if the address is not valid.
     */
    public static AFUNIXSocketAddress toSocketAddress(final String address) throws SocketException
    {
        if (address.startsWith("@"))
        {
            return AFUNIXSocketAddress.inAbstractNamespace(address.substring(1));
        }
        return AFUNIXSocketAddress.of(Path.of(address));
    }

    /**
     * Binds and listens.
     *
     * @param address a path, or {@code @name}.
     * @param backlog connections the kernel queues before accept.
     * @return the listener, non-blocking.
     * @throws IOException with a one-line reason when the address is taken or unusable.
     */
    public static Listener bind(final String address, final int backlog) throws IOException
    {
        final AFUNIXSocketAddress socketAddress = toSocketAddress(address);
        final Path path = address.startsWith("@") ? null : Path.of(address);
        if (path != null)
        {
            prepareFilesystemPath(address, path);
        }
        final AFUNIXDatagramChannel channel = openSeqpacket();
        try
        {
            channel.bind(socketAddress);
            channel.socket().listen(backlog);
            channel.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot listen on " + address + ": " + ex.getMessage(), ex);
        }
        return new Listener(address, path, channel, false);
    }

    /**
     * Takes over a listening SEQPACKET socket this process inherited, e.g. systemd's fd 3.
     *
     * @param fd the inherited descriptor, already bound and listening.
     * @return the listener, non-blocking.
     * @throws IOException when the descriptor is not a usable socket.
     */
    public static Listener inherit(final int fd) throws IOException
    {
        final AFUNIXDatagramSocket socket = wrap(FileDescriptorCast.unsafeUsing(fd).getFileDescriptor(), fd);
        final AFUNIXDatagramChannel channel = socket.getChannel();
        try
        {
            channel.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            socket.setShutdownOnClose(false);
            channel.close();
            throw new IOException("inherited fd " + fd + " is not usable: " + ex.getMessage(), ex);
        }
        return new Listener(describe(channel, fd), null, channel, true);
    }

    /**
     * junixsocket's {@code FileDescriptorCast} knows stream and datagram sockets but not
     * SEQPACKET (ClassCastException); the package-private factory below takes any AF_UNIX
     * descriptor. Reflection keeps us on the public jar instead of a patched one.
     */
    private static AFUNIXDatagramSocket wrap(final FileDescriptor descriptor, final int fd) throws IOException
    {
        try
        {
            final Method newInstance = AFUNIXDatagramSocket.class.getDeclaredMethod(
                "newInstance", FileDescriptor.class, int.class, int.class);
            newInstance.setAccessible(true);
            return (AFUNIXDatagramSocket)newInstance.invoke(null, descriptor, 0, 0);
        }
        catch (final InvocationTargetException ex)
        {
            final Throwable cause = ex.getCause();
            throw new IOException("inherited fd " + fd + " is not an AF_UNIX socket: " + cause, cause);
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            throw new IOException("cannot take over inherited fd " + fd + " with this junixsocket: " + ex, ex);
        }
    }

    private static String describe(final AFUNIXDatagramChannel channel, final int fd)
    {
        try
        {
            final SocketAddress local = channel.getLocalAddress();
            if (local instanceof AFUNIXSocketAddress)
            {
                final AFUNIXSocketAddress unix = (AFUNIXSocketAddress)local;
                return unix.isInAbstractNamespace() ?
                    "@" + unix.getPath().substring(1) : unix.getPath();
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // the address is only for the log line
        }
        return "inherited fd " + fd;
    }

    /**
     * Opens an unconnected SEQPACKET channel.
     *
     * @return the channel.
     * @throws IOException if the kernel refuses.
     */
    public static AFUNIXDatagramChannel openSeqpacket() throws IOException
    {
        return (AFUNIXDatagramChannel)AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
    }

    private static void prepareFilesystemPath(final String address, final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent))
        {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        if (isLive(path))
        {
            throw new IOException("socket " + address + " is in use by a running broker");
        }
        if (!"socket".equals(fileType(path)))
        {
            throw new IOException(address + " exists and is not a socket; refusing to replace it");
        }
        Files.delete(path);
    }

    private static boolean isLive(final Path path)
    {
        try (AFUNIXDatagramChannel probe = openSeqpacket())
        {
            probe.connect(AFUNIXSocketAddress.of(path));
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static String fileType(final Path path)
    {
        try
        {
            final Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (((Integer)mode) & 0170000) == 0140000 ? "socket" : "other";
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return "other";
        }
    }

    /**
     * @return the channel, whose descriptor the agent's poller watches.
     */
    public AFUNIXDatagramChannel channel()
    {
        return channel;
    }

    /**
     * @return true when the socket was inherited (socket activation) rather than bound here.
     */
    public boolean inherited()
    {
        return inherited;
    }

    /**
     * @return the address as configured, or as the inherited socket reports it.
     */
    public String address()
    {
        return address;
    }

    /**
     * Accepts one pending connection.
     *
     * @return the new connection's socket, or null when none is pending.
     * @throws IOException if accept fails for another reason.
     */
    public AFUNIXDatagramSocket accept() throws IOException
    {
        try
        {
            return (AFUNIXDatagramSocket)channel.socket().accept();
        }
        catch (final IllegalBlockingModeException ex)
        {
            // junixsocket's non-blocking accept says "nothing pending" this way.
            return null;
        }
    }

    /**
     * Stops listening: closes the socket and removes its file, unless it was inherited, in which
     * case only this process's descriptor goes and the socket lives on with its owner.
     */
    public void close()
    {
        if (inherited)
        {
            // Without this junixsocket calls shutdown(2), which would end systemd's copy too.
            channel.socket().setShutdownOnClose(false);
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // closing on the way out: nothing to do about it
        }
        if (path != null)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (final IOException ignore)
            {
                // a file we cannot remove is replaced at the next start
            }
        }
    }
}

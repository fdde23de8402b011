package io.seqbus.broker.net;

import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The broker's listening SEQPACKET socket, at a filesystem path or an abstract name.
 *
 * <p>A socket file left by a broker that died is replaced; one that a live broker still
 * serves is not: binding fails with a message that says so.
 */
public final class Listener implements AutoCloseable
{
    private final String address;
    private final Path path;
    private final AFUNIXDatagramChannel channel;

    private Listener(final String address, final Path path, final AFUNIXDatagramChannel channel)
    {
        this.address = address;
        this.path = path;
        this.channel = channel;
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
        return new Listener(address, path, channel);
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
     * @return the channel, to register with the agent's selector.
     */
    public AFUNIXDatagramChannel channel()
    {
        return channel;
    }

    /**
     * @return the address as configured.
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
     * Closes the socket and removes its file.
     */
    public void close()
    {
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

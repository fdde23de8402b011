package io.seqbus.broker.net;

import io.seqbus.wire.BusSocket;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.sys.LibC;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.SocketAddress;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
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
 *
 * <p>A socket file bound here gets the mode the umask leaves (or the one configured) and the group
 * configured, before the socket listens; junixsocket alone would leave every one 0666. A socket
 * at the per-user default location is bound only in a folder that passes {@link DefaultSocket}'s
 * checks. A symbolic link at the socket's path is never followed nor replaced. An abstract name
 * has no file and no permissions at all: any local user may connect.
 */
public final class Listener implements AutoCloseable
{
    private final String address;
    /** The socket file: bound here (removed on close) or inherited (left to its owner); null for an abstract name. */
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
     * Where a socket file may live and what it gets.
     *
     * @param privateDirectory the per-user folder of a default socket, created when missing and checked by
     *                         {@link DefaultSocket}'s rules (with {@code ownerUid}); null for a socket given
     *                         explicitly, which is the user's choice.
     * @param ownerUid         whose the per-user folder and socket file must be.
     * @param mode             permission bits of the socket file, or -1 for what the umask leaves.
     * @param gid              group of the socket file, or -1 for the process's.
     */
    public record SocketFile(Path privateDirectory, long ownerUid, int mode, int gid)
    {
        /** An explicit path, its mode from the umask, the process's group. */
        public static final SocketFile DEFAULT = new SocketFile(null, -1, -1, -1);
    }

    /**
     * Binds and listens at a socket given explicitly, its file's mode from the umask.
     *
     * @param address a path, or {@code @name}.
     * @param backlog connections the kernel queues before accept.
     * @return the listener, non-blocking.
     * @throws IOException with a one-line reason when the address is taken or unusable.
     */
    public static Listener bind(final String address, final int backlog) throws IOException
    {
        return bind(address, backlog, SocketFile.DEFAULT);
    }

    /**
     * Binds and listens. The socket file gets its mode and group before the socket listens, so no
     * connection can arrive under wider permissions.
     *
     * @param address a path, or {@code @name}.
     * @param backlog connections the kernel queues before accept.
     * @param file    where the socket file may live and what it gets; ignored for an abstract name.
     * @return the listener, non-blocking.
     * @throws IOException with a one-line reason when the address is taken or unusable, an
     *                     {@link DefaultSocket.UnsafePathException} when a per-user folder fails its checks.
     */
    public static Listener bind(final String address, final int backlog, final SocketFile file) throws IOException
    {
        final AFUNIXSocketAddress socketAddress = BusSocket.address(address);
        final Path path = BusSocket.isAbstract(address) ? null : Path.of(address);
        if (path != null)
        {
            prepareFilesystemPath(address, path, file);
        }
        final AFUNIXDatagramChannel channel = BusSocket.open();
        boolean bound = false;
        try
        {
            channel.bind(socketAddress);
            bound = true;
            if (path != null)
            {
                setPermissions(path, file);
            }
            channel.socket().listen(backlog);
            channel.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            channel.close();
            if (bound && path != null)
            {
                // the file this bind made, not one of a live broker's that made the bind fail
                Files.deleteIfExists(path);
            }
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
        final String address = describe(channel, fd);
        return new Listener(address, address.startsWith("/") ? Path.of(address) : null, channel, true);
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
                return BusSocket.name((AFUNIXSocketAddress)local);
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // the address is only for the log line
        }
        return "inherited fd " + fd;
    }

    private static void prepareFilesystemPath(final String address, final Path path, final SocketFile file)
        throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (file.privateDirectory() != null)
        {
            preparePrivateDirectory(file.privateDirectory(), file.ownerUid());
            DefaultSocket.checkSocketFile(path, file.ownerUid());
        }
        else if (parent != null && !Files.isDirectory(parent))
        {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        // lstat first: a link is never followed, not even to probe whether a broker lives behind it.
        final String type = fileType(path);
        if (!"socket".equals(type))
        {
            throw new IOException(address + " exists and is not a socket (" + type + "); refusing to replace it");
        }
        if (isLive(path))
        {
            throw new IOException("socket " + address + " is in use by a running broker");
        }
        Files.delete(path);
    }

    /**
     * Creates the per-user folder of a default socket when it is missing (never its parent), then checks
     * it, whoever made it.
     */
    private static void preparePrivateDirectory(final Path folder, final long uid) throws IOException
    {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS))
        {
            try
            {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                // The umask may have taken more than group and others' bits.
                Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            }
            catch (final FileAlreadyExistsException raced)
            {
                // someone made it meanwhile: the check below decides
            }
            catch (final NoSuchFileException ex)
            {
                throw new IOException("cannot create " + folder + ": its parent does not exist", ex);
            }
        }
        DefaultSocket.checkPrivateDirectory(folder, uid);
    }

    /** Gives a freshly bound socket file its mode and group, never following a link. */
    private static void setPermissions(final Path path, final SocketFile file) throws IOException
    {
        final int mode = file.mode() >= 0 ? file.mode() : modeFromUmask(umask());
        // Never through a link, should one have replaced the file bind(2) just made: Java's own
        // no-follow chmod opens the file first, which a socket refuses (ENXIO).
        if (LibC.fchmodat(LibC.AT_FDCWD, path.toString(), mode, LibC.AT_SYMLINK_NOFOLLOW) != 0)
        {
            throw new IOException("cannot set the mode of " + path + " to " + String.format("%04o", mode) + ": " +
                LibC.failure("fchmodat", LibC.errno()).getMessage());
        }
        if (file.gid() >= 0)
        {
            Files.setAttribute(path, "unix:gid", file.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    /**
     * @param umask a process umask.
     * @return the mode bind(2) gives a socket file under it: 0777 without the umask's bits (junixsocket
     * itself makes every socket file 0666, whatever the umask).
     */
    public static int modeFromUmask(final int umask)
    {
        return 0777 & ~umask;
    }

    /**
     * @return this process's umask, from the {@code Umask:} line of {@code /proc/self/status} (Linux 4.7+);
     * 0077 when it cannot be read, so a socket is never more open than asked.
     */
    public static int umask()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII))
            {
                if (line.startsWith("Umask:"))
                {
                    return Integer.parseInt(line.substring("Umask:".length()).trim(), 8);
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            // fall through to the closed default
        }
        return 0077;
    }

    private static boolean isLive(final Path path)
    {
        try (AFUNIXDatagramChannel probe = BusSocket.open())
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
            final int type = ((Integer)Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0170000;
            return type == 0140000 ? "socket" : type == 0120000 ? "a symbolic link" : type == 0040000 ?
                "a directory" : type == 0100000 ? "a regular file" : "a special file";
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return "cannot be examined: " + ex;
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
     * @return the socket's file, bound here or inherited; null for an abstract name (or an inherited socket
     * whose address cannot be read).
     */
    public Path file()
    {
        return path;
    }

    /**
     * @return the address as configured, or as the inherited socket reports it (its bound address, read from
     * the descriptor).
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
        if (path != null && !inherited)
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

package io.seqbus.wire;

import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Path;

/**
 * The bus's socket by name, as every part of seqbus spells it: a path, or {@code @name} for a Linux abstract
 * socket (SPEC.md), and the SOCK_SEQPACKET channels that reach it. The broker binds with it, the client and
 * the command-line tools connect with it, the broker's systemd notifier writes to {@code NOTIFY_SOCKET} with
 * it; one place reads the {@code @}, so they cannot disagree on what it means.
 */
public final class BusSocket
{
    /** First character of an abstract socket's name as written in settings and logs. */
    public static final String ABSTRACT_PREFIX = "@";

    private BusSocket()
    {
    }

    /**
     * @param socket a path, or {@code @name}.
     * @return true for {@code @name}: there is no file to create, check or remove.
     */
    public static boolean isAbstract(final String socket)
    {
        return socket.startsWith(ABSTRACT_PREFIX);
    }

    /**
     * @param socket a path, or {@code @name} for a Linux abstract socket.
     * @return the junixsocket address.
     * @throws SocketException if the address is not valid.
     */
    public static AFUNIXSocketAddress address(final String socket) throws SocketException
    {
        return isAbstract(socket) ?
            AFUNIXSocketAddress.inAbstractNamespace(socket.substring(ABSTRACT_PREFIX.length())) :
            AFUNIXSocketAddress.of(Path.of(socket));
    }

    /**
     * @param address a junixsocket address.
     * @return it as {@link #address(String)} reads it: {@code @name} or the path.
     */
    public static String name(final AFUNIXSocketAddress address)
    {
        // junixsocket gives an abstract address's path with its leading NUL.
        return address.isInAbstractNamespace() ? ABSTRACT_PREFIX + address.getPath().substring(1) : address.getPath();
    }

    /**
     * @return a new, unconnected, blocking SOCK_SEQPACKET channel.
     * @throws IOException if the kernel refuses.
     */
    public static AFUNIXDatagramChannel open() throws IOException
    {
        return (AFUNIXDatagramChannel)AFUNIXSelectorProvider.provider()
            .openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
    }

    /**
     * @param socket a path, or {@code @name}.
     * @return a blocking SOCK_SEQPACKET channel connected to it; the caller closes it.
     * @throws IOException why the connect failed; the channel is closed then.
     */
    public static AFUNIXDatagramChannel connect(final String socket) throws IOException
    {
        final AFUNIXSocketAddress address = address(socket);
        final AFUNIXDatagramChannel channel = open();
        try
        {
            channel.connect(address);
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }
}

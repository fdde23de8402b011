package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.systemd.SocketActivation;
import io.seqbus.wire.BusSocket;

import java.io.IOException;

/**
 * The broker's listening socket as its settings ask for it: bound to the configured path or
 * abstract name, or taken over from systemd (socket activation), with a warning where its
 * permissions do not protect it.
 */
final class ListeningSocket
{
    /** Names under which systemd may pass the broker's socket: the unit's name, with and without suffix. */
    private static final String[] SOCKET_FD_NAMES = {"seqbus", "seqbus.socket"};

    private ListeningSocket()
    {
    }

    /**
     * @param context concluded settings.
     * @return the socket systemd passed, or a freshly bound one.
     * @throws IOException when the socket cannot be bound.
     */
    static Listener open(final BrokerContext context) throws IOException
    {
        final int fd = context.socketActivation() ?
            SocketActivation.listenFd(System.getenv(), ProcessHandle.current().pid(), SOCKET_FD_NAMES) :
            SocketActivation.NONE;
        if (fd == SocketActivation.NONE)
        {
            return Listener.bind(context.socket(), context.listenBacklog(), new Listener.SocketFile(
                context.socketFolder(), context.socketFolderUid(), context.socketModeBits(), context.socketGid()));
        }
        return Listener.inherit(fd);
    }

    /**
     * An abstract socket has no file, so no permissions: every local user may connect, and the ACL is all. A
     * socket systemd passed has the mode and group its unit gave it.
     */
    static void warnWhereUnprotected(final BrokerContext context, final Listener listener)
    {
        final String address = listener.address();
        if (BusSocket.isAbstract(address) && "allow".equals(context.aclDefault()))
        {
            Log.warn("the abstract socket " + address + " is open to every local user (it has no file permissions) " +
                "and acl.default = allow lets any user no rule names publish and subscribe to everything; set " +
                "acl.default = \"deny\" with [[acl.rule]] entries, or listen on a socket path");
        }
        if ((BusSocket.isAbstract(address) || listener.inherited()) &&
            (!context.socketMode().isEmpty() || !context.socketGroup().isEmpty()))
        {
            Log.warn("socket_mode and socket_group do not apply to " + (listener.inherited() ?
                "a socket systemd passed (its unit's SocketMode= and SocketGroup= do)" : "the abstract socket " + address));
        }
    }
}

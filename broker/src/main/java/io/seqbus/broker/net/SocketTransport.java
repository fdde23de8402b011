package io.seqbus.broker.net;

import io.seqbus.broker.fanout.Transport;
import io.seqbus.sys.ScmRights;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A subscriber reached through its SEQPACKET socket: each queued datagram is one send(2), or one sendmsg(2) with
 * SCM_RIGHTS when it carries descriptors ({@link ScmRights}), and a full kernel queue is waited out with epoll
 * (EPOLLOUT). The only {@link Transport} today.
 */
public final class SocketTransport implements Transport
{
    /** What the agent does when writing to a connection blocks or fails. */
    public interface Events
    {
        /**
         * The kernel's queue for it is full: poll it for room.
         *
         * @param c the connection.
         */
        void onWriteBlocked(ClientConnection c);

        /**
         * Writing to it failed: close it.
         *
         * @param c     the connection.
         * @param cause what the kernel said.
         */
        void onWriteFailed(ClientConnection c, IOException cause);

        /**
         * @return the agent's one sendmsg(2) state for descriptors (its buffers serve every connection in turn;
         * a separate instance from the reader's, whose received descriptors it must not disturb).
         */
        ScmRights sender();

        /** @return 8 bytes of direct memory for the agent's SIOCOUTQ questions. */
        ByteBuffer scratch();
    }

    private final ClientConnection connection;
    private final Events events;
    private final ScmRights scmRights;
    private final ByteBuffer scratch;

    SocketTransport(final ClientConnection connection, final Events events)
    {
        this.connection = connection;
        this.events = events;
        this.scmRights = events.sender();
        this.scratch = events.scratch();
    }

    @Override
    public int send(final ByteBuffer datagram, final int[] fds, final int fdCount) throws IOException
    {
        if (fdCount == 0)
        {
            return connection.io().write(datagram);
        }
        final int n = scmRights.trySend(connection.io().fd(), datagram, fds, fdCount);
        return n == ScmRights.TOO_MANY_REFS ? TOO_MANY_REFS : n;
    }

    @Override
    public boolean peerReadAll() throws IOException
    {
        return connection.io().unreadByPeer(scratch) == 0;
    }

    @Override
    public boolean isClosing()
    {
        final ClientConnection.State state = connection.state();
        return state == ClientConnection.State.CLOSING || state == ClientConnection.State.CLOSED;
    }

    @Override
    public void onWriteBlocked()
    {
        events.onWriteBlocked(connection);
    }

    @Override
    public void onWriteFailed(final IOException cause)
    {
        events.onWriteFailed(connection, cause);
    }

    @Override
    public String label()
    {
        return connection.label();
    }
}

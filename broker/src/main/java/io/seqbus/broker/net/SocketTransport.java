package io.seqbus.broker.net;

import io.seqbus.broker.fanout.Transport;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A subscriber reached through its SEQPACKET socket: each queued datagram is one send(2), and a full kernel queue
 * is waited out with epoll (EPOLLOUT). The only {@link Transport} today.
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
    }

    private final ClientConnection connection;
    private final Events events;

    SocketTransport(final ClientConnection connection, final Events events)
    {
        this.connection = connection;
        this.events = events;
    }

    @Override
    public int send(final ByteBuffer datagram) throws IOException
    {
        return connection.io().write(datagram);
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

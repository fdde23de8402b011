package io.seqbus.broker.shm;

import io.seqbus.broker.fanout.Transport;
import io.seqbus.sys.ShmCorruptException;
import io.seqbus.wire.ShmFdsFrame;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A subscriber reached through its {@code to_client} ring: each queued datagram is one record, and a full ring is a
 * full socket (0 taken: the subscriber's policy applies as on the socket, and {@code broker_wake} says when the
 * client made room). A datagram with descriptors first sends one SHM_FDS datagram with them (SCM_RIGHTS) on the
 * client's socket, then commits its record of type FRAMES_WITH_FDS. Everything else (closing, failure, the label,
 * SIOCOUTQ for descriptors in flight) is the socket's. No allocation and no system call per datagram: the client
 * is woken once per flush, and only when it said it sleeps.
 */
public final class ShmTransport implements Transport
{
    private final ShmEndpoint endpoint;
    private final Transport socket;
    private final Runnable onCorrupt;
    private final ByteBuffer fdsDatagram = ByteBuffer.allocateDirect(ShmFdsFrame.LENGTH);
    private final UnsafeBuffer fdsFrame = new UnsafeBuffer(fdsDatagram);

    /**
     * @param endpoint  the client's rings.
     * @param socket    its socket transport: descriptors, closing, failure and the label go through it.
     * @param onCorrupt counts a to_client ring the client corrupted (its head out of range); the client is then
     *                  closed as a failed write: no ERROR can reach it through that ring.
     */
    public ShmTransport(final ShmEndpoint endpoint, final Transport socket, final Runnable onCorrupt)
    {
        this.endpoint = endpoint;
        this.socket = socket;
        this.onCorrupt = onCorrupt;
    }

    @Override
    public int send(final ByteBuffer datagram, final int[] fds, final int fdCount) throws IOException
    {
        final int length = datagram.remaining();
        try
        {
            if (!endpoint.hasRoomOrWait(length))
            {
                return 0;
            }
            if (fdCount > 0)
            {
                ShmFdsFrame.encode(fdsFrame, 0, fdCount);
                fdsDatagram.limit(ShmFdsFrame.LENGTH).position(0);
                final int sent = socket.send(fdsDatagram, fds, fdCount);
                if (sent <= 0)
                {
                    // The socket is full of SHM_FDS datagrams the client has not taken yet, or the kernel refused
                    // the descriptors: no EPOLLOUT is asked for (the socket is polled for hang-up only), so the
                    // subscriber is tried again each duty cycle, as after ETOOMANYREFS.
                    return TOO_MANY_REFS;
                }
            }
            endpoint.write(datagram, fdCount > 0);
            return length;
        }
        catch (final ShmCorruptException ex)
        {
            onCorrupt.run();
            throw new IOException("its to_client ring is corrupt: " + ex.getMessage(), ex);
        }
    }

    @Override
    public void afterFlush()
    {
        endpoint.afterWrites();
    }

    @Override
    public boolean peerReadAll() throws IOException
    {
        // Descriptors travel in SHM_FDS datagrams on the socket: read once the socket is.
        return socket.peerReadAll();
    }

    @Override
    public boolean isClosing()
    {
        return socket.isClosing();
    }

    @Override
    public void onWriteBlocked()
    {
        // The flag in the ring is up (hasRoomOrWait): broker_wake in the agent's epoll says when there is room.
    }

    @Override
    public void onWriteFailed(final IOException cause)
    {
        socket.onWriteFailed(cause);
    }

    @Override
    public String label()
    {
        return socket.label();
    }
}

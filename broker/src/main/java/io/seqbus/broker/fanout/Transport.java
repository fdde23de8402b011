package io.seqbus.broker.fanout;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How a subscriber's queued datagrams reach it: the seam where a second way of reaching a subscriber plugs in.
 * Today there is one, a SEQPACKET socket written with send(2) ({@code net.SocketTransport}); descriptors passed
 * with SCM_RIGHTS and a shared-memory ring are the next. A {@link Subscriber} keeps everything else (its queue,
 * policies, GAPs, bounds and eviction) whatever the transport, so the fan-out never sees which one it is.
 * Called on the agent thread only; implementations must not allocate per datagram.
 */
public interface Transport
{
    /**
     * Hands one datagram to the peer without blocking.
     *
     * @param datagram positioned at its first byte, limited at its last.
     * @return bytes taken, 0 when the peer's queue is full (nothing was taken).
     * @throws IOException when the peer is gone.
     */
    int send(ByteBuffer datagram) throws IOException;

    /**
     * @return true once the connection is ending: what is queued is only written by the closing linger.
     */
    boolean isClosing();

    /** The peer's queue is full: ask to be told when it has room ({@link Subscriber#onWritable}). */
    void onWriteBlocked();

    /**
     * A write failed: the peer is gone.
     *
     * @param cause what the kernel said.
     */
    void onWriteFailed(IOException cause);

    /** @return who it is, for logs and errors. */
    String label();
}

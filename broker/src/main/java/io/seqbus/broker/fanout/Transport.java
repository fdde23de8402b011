package io.seqbus.broker.fanout;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How a subscriber's queued datagrams reach it: the seam where a second way of reaching a subscriber plugs in.
 * There are two: a SEQPACKET socket written with send(2), or sendmsg(2) with SCM_RIGHTS when a datagram
 * carries descriptors ({@code net.SocketTransport}), and a client's shared-memory ring ({@code shm.ShmTransport}, chosen at the
 * handshake). A {@link Subscriber}
 * keeps everything else (its queue, policies, GAPs, bounds and eviction) whatever the transport, so the fan-out never sees which one it is.
 * Called on the agent thread only; implementations must not allocate per datagram.
 */
public interface Transport
{
    /**
     * What {@link #send} returns when the kernel refused the descriptors because the broker's user has too many
     * in flight (ETOOMANYREFS): nothing was taken; the subscriber waits and is tried again each duty cycle.
     */
    int TOO_MANY_REFS = -1;

    /**
     * Hands one datagram to the peer without blocking, with descriptors attached (SCM_RIGHTS) when
     * {@code fdCount} is more than 0. The peer gets its own copies; the caller's stay open.
     *
     * @param datagram positioned at its first byte, limited at its last.
     * @param fds      the descriptors, the first {@code fdCount} of them, in the order of the datagram's frames.
     * @param fdCount  how many; 0 for a plain send.
     * @return bytes taken, 0 when the peer's queue is full (nothing was taken), {@link #TOO_MANY_REFS} when the
     * kernel refused the descriptors (nothing was taken).
     * @throws IOException when the peer is gone.
     */
    int send(ByteBuffer datagram, int[] fds, int fdCount) throws IOException;

    /**
     * Whether the peer has read everything sent to it, descriptors included (SIOCOUTQ is 0): asked only for
     * subscribers that were sent descriptors, to know when they no longer hold any unread in their socket.
     *
     * @return true once the peer has read all that was sent.
     * @throws IOException when the kernel refuses the question (the peer is gone).
     */
    boolean peerReadAll() throws IOException;

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

    /**
     * A flush handed it what it could: a transport whose peer may sleep (a shared-memory ring) wakes it here, once
     * per flush rather than per datagram.
     */
    default void afterFlush()
    {
    }

    /** @return who it is, for logs and errors. */
    String label();
}

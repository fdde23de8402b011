package io.seqbus.client;

import io.seqbus.sys.ScmRights;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The socket read with recvmsg(2) and written with sendmsg(2), descriptors attached (SCM_RIGHTS), for a connection
 * whose HELLO asked for DESCRIPTORS: sys {@link ScmRights} on the socket's descriptor, in place of the FileChannel
 * reads and writes of a plain connection. Receiving is the polling side's, sending the {@link Outbound} lock
 * holder's: one ScmRights each, their buffers allocated once for the kernel's maximum (253 descriptors, about 1 KiB
 * of control buffer), so a call allocates nothing and a broker's limit can change at a reconnect.
 */
final class DescriptorSocket
{
    private final ScmRights in = new ScmRights(ScmRights.KERNEL_MAX_DESCRIPTORS);
    private final ScmRights out = new ScmRights(ScmRights.KERNEL_MAX_DESCRIPTORS);
    private final int[] received = new int[ScmRights.KERNEL_MAX_DESCRIPTORS];

    /**
     * Polling side: reads one datagram into {@code dst} (from position 0) and its descriptors, which the caller owns
     * ({@link #received()}, {@link #receivedCount()}).
     *
     * @return bytes read, 0 when none waits, -1 at end of stream.
     */
    int receive(final int socketFd, final ByteBuffer dst) throws IOException
    {
        final int length = in.receive(socketFd, dst);
        for (int i = 0, n = in.descriptorCount(); i < n; i++)
        {
            received[i] = in.descriptor(i);
        }
        return length;
    }

    /** @return the descriptors of the last receive, in the order of their frames. */
    int[] received()
    {
        return received;
    }

    int receivedCount()
    {
        return in.descriptorCount();
    }

    /** @return true when the kernel cut the last receive's descriptors (MSG_CTRUNC); those that came are closed. */
    boolean truncated()
    {
        return in.isControlTruncated();
    }

    /**
     * Under the outbound lock: one datagram with {@code count} descriptors (the kernel gives the broker its own).
     *
     * @return bytes written, 0 when the socket is full.
     */
    int send(final int socketFd, final ByteBuffer src, final int[] fds, final int count) throws IOException
    {
        return out.send(socketFd, src, fds, count);
    }
}

package io.seqbus.client;

import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.SafeBuffer;
import org.agrona.DirectBuffer;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;

/**
 * Publishes that pass descriptors (PUBLISH_FDS): a payload over the memfd threshold sealed into a memfd, a loan,
 * descriptors attached. Apart from the inline path, because it is what calls the classes that need JNA
 * ({@link OutgoingMemfd}, {@link Loan}, {@link Fds}): a client makes one only when it asked for descriptors, so one
 * without them never loads it nor them (see {@link NativeDescriptors}). A descriptor it makes, duplicates or seals
 * from a loan is its own until the batch takes it: a publish that fails closes it here, so none leaks.
 */
final class DescriptorPublishing
{
    private static final SafeBuffer NO_BYTES = new SafeBuffer(new byte[0]);

    private final Connection connection;
    private final Outbound outbound;
    private final BlockingPublish blocking;
    private final int memfdThreshold;

    DescriptorPublishing(
        final Connection connection, final Outbound outbound, final BlockingPublish blocking,
        final int memfdThreshold)
    {
        this.connection = connection;
        this.outbound = outbound;
        this.blocking = blocking;
        this.memfdThreshold = memfdThreshold;
    }

    /**
     * Whether a payload of this length goes as a sealed memfd: above the threshold (at most max_payload), on a
     * connection that passes descriptors, or, while not connected, on one that asked for them (the publish then
     * waits for the reconnect, and its WELCOME says whether it can go).
     */
    boolean goesAsMemfd(final int length)
    {
        final int maxPayload = connection.maxPayload();
        final int threshold = memfdThreshold < 0 ? maxPayload : Math.min(memfdThreshold, maxPayload);
        return length > threshold && (connection.passesDescriptors() || connection.state() != Connection.CONNECTED);
    }

    /** @param headers null for none. */
    void publish(final String topic, final byte[] payload, final Headers headers)
    {
        publishMemfd(topic, OutgoingMemfd.sealed(payload, 0, payload.length), payload.length, headers);
    }

    /** @param headers null for none. */
    void publish(final String topic, final ByteBuffer payload, final Headers headers)
    {
        publishMemfd(topic, OutgoingMemfd.sealed(payload), payload.remaining(), headers);
    }

    /** @param headers null for none. */
    void publish(
        final String topic, final DirectBuffer payload, final int offset, final int length, final Headers headers)
    {
        publishMemfd(topic, sealed(payload, offset, length), length, headers);
    }

    PublishResult tryPublish(final String topic, final byte[] payload)
    {
        return tryPublishMemfd(topic, OutgoingMemfd.sealed(payload, 0, payload.length), payload.length);
    }

    PublishResult tryPublish(final String topic, final ByteBuffer payload)
    {
        return tryPublishMemfd(topic, OutgoingMemfd.sealed(payload), payload.remaining());
    }

    PublishResult tryPublish(final String topic, final DirectBuffer payload, final int offset, final int length)
    {
        return tryPublishMemfd(topic, sealed(payload, offset, length), length);
    }

    /** {@link BusClient#publish(String, ByteBuffer, FileDescriptor...)} with at least one descriptor. */
    void publishWithDescriptors(final String topic, final ByteBuffer payload, final FileDescriptor[] fds)
    {
        final boolean memfd = goesAsMemfd(payload.remaining());
        final int count = fds.length + (memfd ? 1 : 0);
        if (count > Math.min(io.seqbus.sys.ScmRights.KERNEL_MAX_DESCRIPTORS, 255))
        {
            throw new IllegalArgumentException(count + " descriptors in one publish: at most 253");
        }
        final int[] owned = new int[count];
        int held = 0;
        try
        {
            if (memfd)
            {
                owned[held++] = OutgoingMemfd.sealed(payload);
            }
            for (final FileDescriptor fd : fds)
            {
                owned[held] = Fds.duplicate(Fds.number(fd));
                held++;
            }
        }
        catch (final RuntimeException ex)
        {
            Fds.close(owned, 0, held);
            throw ex;
        }
        if (memfd)
        {
            publishFds(topic, owned, count, PublishFdsFrame.MEMFD_PAYLOAD, payload.remaining(), NO_BYTES, 0, 0, null);
            return;
        }
        final SafeBuffer inline;
        final int offset;
        if (payload.hasArray())
        {
            inline = new SafeBuffer(payload.array());
            offset = payload.arrayOffset() + payload.position();
        }
        else
        {
            inline = new SafeBuffer(payload);
            offset = payload.position();
        }
        publishFds(topic, owned, count, 0, 0, inline, offset, payload.remaining(), null);
    }

    Loan loan(final int size)
    {
        final long max = connection.maxMemfdSize();
        if (max > 0 && size > max)
        {
            throw new IllegalArgumentException("loan of " + size + " bytes is larger than the broker's " +
                "max_memfd_size of " + max);
        }
        return Loan.create(size);
    }

    void publish(final String topic, final Loan loan)
    {
        final int fd = loan.seal();
        publishMemfd(topic, fd, loan.size(), null);
    }

    private static int sealed(final DirectBuffer payload, final int offset, final int length)
    {
        if (offset < 0 || length < 0 || offset > payload.capacity() - length)
        {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " capacity " +
                payload.capacity());
        }
        return OutgoingMemfd.sealed(payload, offset, length);
    }

    private void publishMemfd(final String topic, final int memfd, final long size, final Headers headers)
    {
        publishFds(topic, new int[] {memfd}, 1, PublishFdsFrame.MEMFD_PAYLOAD, size, NO_BYTES, 0, 0, headers);
    }

    private PublishResult tryPublishMemfd(final String topic, final int fd, final long size)
    {
        final int[] fds = {fd};
        boolean taken = false;
        try
        {
            final PublishResult result = outbound.offerFdsLocked(topic, fds, 1, PublishFdsFrame.MEMFD_PAYLOAD, size,
                NO_BYTES, 0, 0);
            taken = result == PublishResult.OK;
            return result;
        }
        finally
        {
            if (!taken)
            {
                Fds.close(fd);
            }
        }
    }

    /**
     * A PUBLISH_FDS, waiting as the inline publish does ({@link BlockingPublish}). The descriptors are this call's:
     * the batch takes them on success; on any failure they are closed here.
     */
    private void publishFds(
        final String topic, final int[] fds, final int fdCount, final int fdFlags, final long payloadSize,
        final DirectBuffer inline, final int offset, final int length, final Headers headers)
    {
        boolean taken = false;
        try
        {
            final long deadline = blocking.deadline();
            int idle = 0;
            while (true)
            {
                blocking.checkNotClosing("publish");
                final PublishResult result;
                try
                {
                    result = outbound.offerFdsLocked(
                        topic, fds, fdCount, fdFlags, payloadSize, inline, offset, length, headers);
                }
                catch (final IllegalStateException ex)
                {
                    blocking.checkNotClosing("publish");
                    throw ex;
                }
                if (result == PublishResult.OK)
                {
                    taken = true;
                    return;
                }
                if (result == PublishResult.DENIED)
                {
                    throw blocking.denied(topic);
                }
                if (System.nanoTime() - deadline >= 0)
                {
                    throw blocking.timeout("publish", result);
                }
                idle = blocking.pause(idle);
            }
        }
        finally
        {
            if (!taken)
            {
                Fds.close(fds, 0, fdCount);
            }
        }
    }
}

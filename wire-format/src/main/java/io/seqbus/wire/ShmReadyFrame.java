package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * SHM_READY: the broker's offer of shared memory, alone in the datagram after WELCOME, with 3 descriptors in
 * SCM_RIGHTS: the memfd, {@code client_wake}, {@code broker_wake} (SPEC.md, "Shared memory"). Every later frame to
 * the client travels in its {@code to_client} ring.
 */
public final class ShmReadyFrame extends Flyweight
{
    /** Offset of u32 to_client_capacity. */
    public static final int TO_CLIENT_CAPACITY_OFFSET = 8;
    /** Offset of u32 from_client_capacity. */
    public static final int FROM_CLIENT_CAPACITY_OFFSET = 12;
    /** Offset of u64 size: the memfd's bytes. */
    public static final int SIZE_OFFSET = 16;
    /** The frame's fixed length. */
    public static final int LENGTH = 24;
    /** Descriptors that come with it, in this order: memfd, client_wake, broker_wake. */
    public static final int DESCRIPTORS = 3;

    /**
     * @param buffer             to write into.
     * @param offset             of the frame.
     * @param toClientCapacity   bytes of the broker-to-client ring.
     * @param fromClientCapacity bytes of the client-to-broker ring.
     * @param size               of the memfd.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int toClientCapacity,
        final int fromClientCapacity, final long size)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.SHM_READY);
        buffer.putInt(offset + TO_CLIENT_CAPACITY_OFFSET, toClientCapacity, BYTE_ORDER);
        buffer.putInt(offset + FROM_CLIENT_CAPACITY_OFFSET, fromClientCapacity, BYTE_ORDER);
        buffer.putLong(offset + SIZE_OFFSET, size, BYTE_ORDER);
        return LENGTH;
    }

    /** @return bytes of the broker-to-client ring. */
    public int toClientCapacity()
    {
        return u32(TO_CLIENT_CAPACITY_OFFSET);
    }

    /** @return bytes of the client-to-broker ring. */
    public int fromClientCapacity()
    {
        return u32(FROM_CLIENT_CAPACITY_OFFSET);
    }

    /** @return bytes of the memfd. */
    public long size()
    {
        return u64(SIZE_OFFSET);
    }
}

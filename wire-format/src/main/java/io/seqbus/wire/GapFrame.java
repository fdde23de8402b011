package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * GAP: messages were lost, here is where and why.
 */
public final class GapFrame extends Flyweight
{
    /** Offset of u32 subscription_id. */
    public static final int SUBSCRIPTION_ID_OFFSET = 8;
    /** Offset of u32 source_node. */
    public static final int SOURCE_NODE_OFFSET = 12;
    /** Offset of u64 publisher_id. */
    public static final int PUBLISHER_ID_OFFSET = 16;
    /** Offset of u64 from_sequence. */
    public static final int FROM_SEQUENCE_OFFSET = 24;
    /** Offset of u64 count. */
    public static final int COUNT_OFFSET = 32;
    /** Offset of u8 reason. */
    public static final int REASON_OFFSET = 40;
    /** The frame's fixed length. */
    public static final int LENGTH = 44;

    /**
     * Writes a GAP frame.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId concerned, 0 for all of the connection's.
     * @param sourceNode     where the messages came from, 0 if unknown.
     * @param publisherId    whose messages, 0 if unknown or several.
     * @param fromSequence   first sequence lost, 0 if unknown.
     * @param count          messages lost, 0 if unknown.
     * @param reason         a {@link GapReason}.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int subscriptionId, final int sourceNode,
        final long publisherId, final long fromSequence, final long count, final int reason)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.GAP);
        buffer.putInt(offset + SUBSCRIPTION_ID_OFFSET, subscriptionId, BYTE_ORDER);
        buffer.putInt(offset + SOURCE_NODE_OFFSET, sourceNode, BYTE_ORDER);
        buffer.putLong(offset + PUBLISHER_ID_OFFSET, publisherId, BYTE_ORDER);
        buffer.putLong(offset + FROM_SEQUENCE_OFFSET, fromSequence, BYTE_ORDER);
        buffer.putLong(offset + COUNT_OFFSET, count, BYTE_ORDER);
        buffer.putInt(offset + REASON_OFFSET, reason & 0xFF, BYTE_ORDER);
        return LENGTH;
    }

    /** @return the subscription concerned, 0 for all. */
    public int subscriptionId()
    {
        return u32(SUBSCRIPTION_ID_OFFSET);
    }

    /** @return the source node, 0 if unknown. */
    public int sourceNode()
    {
        return u32(SOURCE_NODE_OFFSET);
    }

    /** @return the publisher id, 0 if unknown. */
    public long publisherId()
    {
        return u64(PUBLISHER_ID_OFFSET);
    }

    /** @return the first sequence lost, 0 if unknown. */
    public long fromSequence()
    {
        return u64(FROM_SEQUENCE_OFFSET);
    }

    /** @return how many messages were lost, 0 if unknown. */
    public long count()
    {
        return u64(COUNT_OFFSET);
    }

    /** @return the {@link GapReason}. */
    public int reason()
    {
        return u8(REASON_OFFSET);
    }
}

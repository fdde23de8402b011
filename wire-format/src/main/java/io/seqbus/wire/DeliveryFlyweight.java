package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * What DELIVER and DELIVER_RUN share: the same layout from offset 8 to 47 (subscription,
 * origin, sequence, time, credentials), then a topic at a place each frame type fixes.
 */
public abstract class DeliveryFlyweight extends Flyweight
{
    /** Offset of u32 subscription_id. */
    public static final int SUBSCRIPTION_ID_OFFSET = 8;
    /** Offset of u32 source_node. */
    public static final int SOURCE_NODE_OFFSET = 12;
    /** Offset of u64 publisher_id. */
    public static final int PUBLISHER_ID_OFFSET = 16;
    /** Offset of u64 sequence (DELIVER) or first_sequence (DELIVER_RUN). */
    public static final int SEQUENCE_OFFSET = 24;
    /** Offset of u64 timestamp_ns. */
    public static final int TIMESTAMP_OFFSET = 32;
    /** Offset of u32 publisher_uid. */
    public static final int PUBLISHER_UID_OFFSET = 40;
    /** Offset of u32 publisher_pid. */
    public static final int PUBLISHER_PID_OFFSET = 44;

    private final int topicLengthOffset;
    private final int topicOffset;

    /**
     * @param topicLengthOffset where the frame type keeps its u16 topic length.
     * @param topicOffset       where its topic bytes start.
     */
    protected DeliveryFlyweight(final int topicLengthOffset, final int topicOffset)
    {
        this.topicLengthOffset = topicLengthOffset;
        this.topicOffset = topicOffset;
    }

    /**
     * Writes offsets 8 to 47, the part DELIVER and DELIVER_RUN share.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId the delivery is for.
     * @param sourceNode     node id of the publisher's broker.
     * @param publisherId    of the publishing connection.
     * @param sequence       the (first) message's sequence.
     * @param timestampNs    source broker's receive time, ns since the epoch.
     * @param publisherUid   from the kernel.
     * @param publisherPid   from the kernel.
     */
    protected static void putOrigin(
        final MutableDirectBuffer buffer, final int offset, final int subscriptionId, final int sourceNode,
        final long publisherId, final long sequence, final long timestampNs, final int publisherUid,
        final int publisherPid)
    {
        buffer.putInt(offset + SUBSCRIPTION_ID_OFFSET, subscriptionId, BYTE_ORDER);
        buffer.putInt(offset + SOURCE_NODE_OFFSET, sourceNode, BYTE_ORDER);
        buffer.putLong(offset + PUBLISHER_ID_OFFSET, publisherId, BYTE_ORDER);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, BYTE_ORDER);
        buffer.putLong(offset + TIMESTAMP_OFFSET, timestampNs, BYTE_ORDER);
        buffer.putInt(offset + PUBLISHER_UID_OFFSET, publisherUid, BYTE_ORDER);
        buffer.putInt(offset + PUBLISHER_PID_OFFSET, publisherPid, BYTE_ORDER);
    }

    /** @return the subscription this delivery is for. */
    public int subscriptionId()
    {
        return u32(SUBSCRIPTION_ID_OFFSET);
    }

    /** @return node id of the publisher's broker. */
    public int sourceNode()
    {
        return u32(SOURCE_NODE_OFFSET);
    }

    /** @return the publisher id. */
    public long publisherId()
    {
        return u64(PUBLISHER_ID_OFFSET);
    }

    /** @return the source broker's receive time, ns since the epoch. */
    public long timestampNs()
    {
        return u64(TIMESTAMP_OFFSET);
    }

    /** @return the publisher's uid as the kernel reported it. */
    public int publisherUid()
    {
        return u32(PUBLISHER_UID_OFFSET);
    }

    /** @return the publisher's pid as the kernel reported it. */
    public int publisherPid()
    {
        return u32(PUBLISHER_PID_OFFSET);
    }

    /** @return bytes of the topic. */
    public int topicLength()
    {
        return u16(topicLengthOffset);
    }

    /** @return absolute offset of the topic bytes in the buffer. */
    public int topicIndex()
    {
        return offset + topicOffset;
    }

    /** @return the topic (allocates). */
    public String topic()
    {
        return utf8(topicOffset, topicLength());
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * DELIVER: a message for one subscription, with where it came from.
 */
public final class DeliverFrame extends DeliveryFlyweight
{
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 48;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 50;

    /** A view to {@link #wrap} over frames of this type. */
    public DeliverFrame()
    {
        super(TOPIC_LENGTH_OFFSET, TOPIC_OFFSET);
    }

    /**
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the payload.
     * @return the length of the frame that carries them.
     */
    public static int frameLength(final int topicLength, final int payloadLength)
    {
        return TOPIC_OFFSET + topicLength + payloadLength;
    }

    /**
     * Writes a DELIVER frame whose topic and payload lie back to back in {@code source}, as they
     * do in a PUBLISH frame: one copy, no allocation.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId the delivery is for.
     * @param sourceNode     node id of the publisher's broker.
     * @param publisherId    of the publishing connection.
     * @param sequence       per publisher.
     * @param timestampNs    source broker's receive time, ns since the epoch.
     * @param publisherUid   from the kernel.
     * @param publisherPid   from the kernel.
     * @param source         buffer holding topic then payload.
     * @param topicIndex     of the first topic byte in {@code source}.
     * @param topicLength    bytes of the topic.
     * @param payloadLength  bytes of the payload, right after the topic.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final int subscriptionId, final int sourceNode, final long publisherId, final long sequence,
        final long timestampNs, final int publisherUid, final int publisherPid,
        final DirectBuffer source, final int topicIndex, final int topicLength, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.DELIVER);
        putOrigin(buffer, offset, subscriptionId, sourceNode, publisherId, sequence, timestampNs, publisherUid,
            publisherPid);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        buffer.putBytes(offset + TOPIC_OFFSET, source, topicIndex, topicLength + payloadLength);
        return length;
    }

    /** @return the per-publisher sequence, from 1. */
    public long sequence()
    {
        return u64(SEQUENCE_OFFSET);
    }

    /** @return absolute offset of the payload in the buffer. */
    public int payloadIndex()
    {
        return offset + TOPIC_OFFSET + topicLength();
    }

    /** @return bytes of the payload. */
    public int payloadLength()
    {
        return frameLength() - TOPIC_OFFSET - topicLength();
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * DELIVER_RUN: consecutive messages of one publisher on one topic for one subscription, in one
 * frame. The fields a DELIVER repeats for every message are written once; each message adds
 * only its length and payload, and its sequence is {@code first_sequence} plus its position.
 * Under load this is most of what the broker writes: it halves the bytes per small message.
 */
public final class DeliverRunFrame extends DeliveryFlyweight
{
    /** Offset of u64 first_sequence. */
    public static final int FIRST_SEQUENCE_OFFSET = SEQUENCE_OFFSET;
    /** Offset of u32 count of messages. */
    public static final int COUNT_OFFSET = 48;
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 52;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 54;
    /** Bytes in front of each message's payload: its u32 length. */
    public static final int ENTRY_HEADER_LENGTH = 4;

    /** A view to {@link #wrap} over frames of this type. */
    public DeliverRunFrame()
    {
        super(TOPIC_LENGTH_OFFSET, TOPIC_OFFSET);
    }

    /**
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the first message's payload.
     * @return the length of a run of one message.
     */
    public static int frameLength(final int topicLength, final int payloadLength)
    {
        return TOPIC_OFFSET + topicLength + ENTRY_HEADER_LENGTH + payloadLength;
    }

    /**
     * Starts a run with one message whose topic and payload lie back to back in {@code source},
     * as they do in a PUBLISH frame.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId the run is for.
     * @param sourceNode     node id of the publisher's broker.
     * @param publisherId    of the publishing connection.
     * @param firstSequence  sequence of the first message.
     * @param timestampNs    source broker's receive time, ns since the epoch, for every message of the run.
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
        final int subscriptionId, final int sourceNode, final long publisherId, final long firstSequence,
        final long timestampNs, final int publisherUid, final int publisherPid,
        final DirectBuffer source, final int topicIndex, final int topicLength, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.DELIVER_RUN);
        putOrigin(buffer, offset, subscriptionId, sourceNode, publisherId, firstSequence, timestampNs, publisherUid,
            publisherPid);
        buffer.putInt(offset + COUNT_OFFSET, 1, BYTE_ORDER);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        buffer.putBytes(offset + TOPIC_OFFSET, source, topicIndex, topicLength);
        final int entry = offset + TOPIC_OFFSET + topicLength;
        buffer.putInt(entry, payloadLength, BYTE_ORDER);
        buffer.putBytes(entry + ENTRY_HEADER_LENGTH, source, topicIndex + topicLength, payloadLength);
        return length;
    }

    /**
     * Appends one more message to the run that ends exactly at {@code frameEnd}.
     *
     * @param buffer        holding the run.
     * @param offset        of the run's frame.
     * @param payload       buffer holding the payload.
     * @param payloadIndex  of the first payload byte.
     * @param payloadLength bytes of the payload.
     * @return bytes the frame grew by.
     */
    public static int append(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int frameLength = buffer.getInt(offset, BYTE_ORDER);
        final int entry = offset + frameLength;
        buffer.putInt(entry, payloadLength, BYTE_ORDER);
        buffer.putBytes(entry + ENTRY_HEADER_LENGTH, payload, payloadIndex, payloadLength);
        final int grown = ENTRY_HEADER_LENGTH + payloadLength;
        buffer.putInt(offset, frameLength + grown, BYTE_ORDER);
        buffer.putInt(offset + COUNT_OFFSET, buffer.getInt(offset + COUNT_OFFSET, BYTE_ORDER) + 1, BYTE_ORDER);
        return grown;
    }

    /** @return the sequence of the first message. */
    public long firstSequence()
    {
        return u64(FIRST_SEQUENCE_OFFSET);
    }

    /** @return messages in the run. */
    public int count()
    {
        return u32(COUNT_OFFSET);
    }

    /** @return absolute offset of the first message's u32 length. */
    public int firstEntryIndex()
    {
        return offset + TOPIC_OFFSET + topicLength();
    }
}

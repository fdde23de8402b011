package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * DELIVER_REQUEST: a request for one subscription, DELIVER's fields at DELIVER's offsets, then the token its REPLY
 * names. Never part of a DELIVER_RUN.
 */
public final class DeliverRequestFrame extends DeliveryFlyweight
{
    /** Offset of u64 reply_token, opaque to the client. */
    public static final int REPLY_TOKEN_OFFSET = 48;
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 56;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 58;

    /** A view to {@link #wrap} over frames of this type. */
    public DeliverRequestFrame()
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
     * Writes a DELIVER_REQUEST whose topic and payload lie back to back in {@code source}, as they do in a REQUEST.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId the delivery is for.
     * @param sourceNode     node id of the requester's broker.
     * @param publisherId    of the requesting connection.
     * @param sequence       per publisher (a request is numbered as a PUBLISH).
     * @param timestampNs    source broker's receive time, ns since the epoch.
     * @param requesterUid   from the kernel.
     * @param requesterPid   from the kernel.
     * @param replyToken     what the REPLY names.
     * @param source         buffer holding topic then payload.
     * @param topicIndex     of the first topic byte in {@code source}.
     * @param topicLength    bytes of the topic.
     * @param payloadLength  bytes of the payload, right after the topic.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final int subscriptionId, final int sourceNode, final long publisherId, final long sequence,
        final long timestampNs, final int requesterUid, final int requesterPid, final long replyToken,
        final DirectBuffer source, final int topicIndex, final int topicLength, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.DELIVER_REQUEST);
        putOrigin(buffer, offset, subscriptionId, sourceNode, publisherId, sequence, timestampNs, requesterUid,
            requesterPid);
        buffer.putLong(offset + REPLY_TOKEN_OFFSET, replyToken, BYTE_ORDER);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        buffer.putBytes(offset + TOPIC_OFFSET, source, topicIndex, topicLength + payloadLength);
        return length;
    }

    /** @return the per-publisher sequence. */
    public long sequence()
    {
        return u64(SEQUENCE_OFFSET);
    }

    /** @return the token a REPLY to this request names. */
    public long replyToken()
    {
        return u64(REPLY_TOKEN_OFFSET);
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

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * REQUEST: a PUBLISH the broker remembers until one RESPONSE answers it (SPEC.md, "Requests and replies").
 */
public final class RequestFrame extends Flyweight
{
    /** Offset of u32 request_id, chosen by the client, unique among its pending requests, never 0. */
    public static final int REQUEST_ID_OFFSET = 8;
    /** Offset of u32 timeout_ms, 1..max_request_timeout_ms. */
    public static final int TIMEOUT_OFFSET = 12;
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 16;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 18;

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
     * Writes a REQUEST from an encoded topic and a payload in a buffer, without allocating.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param requestId     the client's id for it, not 0.
     * @param timeoutMs     after which the broker forgets it.
     * @param topic         buffer holding the topic bytes.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param payload       buffer holding the payload.
     * @param payloadIndex  of the first payload byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int timeoutMs,
        final DirectBuffer topic, final int topicIndex, final int topicLength,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int length = putFixed(buffer, offset, requestId, timeoutMs, topicLength, payloadLength);
        buffer.putBytes(offset + TOPIC_OFFSET, topic, topicIndex, topicLength);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, payload, payloadIndex, payloadLength);
        return length;
    }

    /**
     * Writes a REQUEST; an ASCII topic is written without allocating.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param requestId     the client's id for it, not 0.
     * @param timeoutMs     after which the broker forgets it.
     * @param topic         the topic.
     * @param payload       array holding the payload.
     * @param payloadOffset of the first payload byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int timeoutMs,
        final String topic, final byte[] payload, final int payloadOffset, final int payloadLength)
    {
        final int topicLength = WireStrings.putUtf8(buffer, offset + TOPIC_OFFSET, topic);
        final int length = putFixed(buffer, offset, requestId, timeoutMs, topicLength, payloadLength);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, payload, payloadOffset, payloadLength);
        return length;
    }

    private static int putFixed(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int timeoutMs,
        final int topicLength, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.REQUEST);
        buffer.putInt(offset + REQUEST_ID_OFFSET, requestId, BYTE_ORDER);
        buffer.putInt(offset + TIMEOUT_OFFSET, timeoutMs, BYTE_ORDER);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        return length;
    }

    /** @return the client's id for this request. */
    public int requestId()
    {
        return u32(REQUEST_ID_OFFSET);
    }

    /** @return the timeout, ms, as an unsigned value. */
    public long timeoutMs()
    {
        return u32(TIMEOUT_OFFSET) & 0xFFFF_FFFFL;
    }

    /** @return bytes of the topic. */
    public int topicLength()
    {
        return u16(TOPIC_LENGTH_OFFSET);
    }

    /** @return absolute offset of the topic bytes in the buffer. */
    public int topicIndex()
    {
        return offset + TOPIC_OFFSET;
    }

    /** @return the topic (allocates). */
    public String topic()
    {
        return utf8(TOPIC_OFFSET, topicLength());
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

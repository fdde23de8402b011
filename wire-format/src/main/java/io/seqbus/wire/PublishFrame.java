package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * PUBLISH: a message from a client, a topic and an opaque payload.
 */
public final class PublishFrame extends Flyweight
{
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 8;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 10;

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
     * Writes a PUBLISH frame from buffers, without allocating.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param topic         buffer holding the topic bytes.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param payload       buffer holding the payload.
     * @param payloadIndex  of the first payload byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer topic, final int topicIndex, final int topicLength,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int length = putHeaderAndTopic(buffer, offset, topic, topicIndex, topicLength, payloadLength);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, payload, payloadIndex, payloadLength);
        return length;
    }

    /**
     * Writes a PUBLISH frame from an encoded topic and a payload in an array, without allocating.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param topic         buffer holding the topic bytes.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param payload       array holding the payload.
     * @param payloadOffset of the first payload byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer topic, final int topicIndex, final int topicLength,
        final byte[] payload, final int payloadOffset, final int payloadLength)
    {
        final int length = putHeaderAndTopic(buffer, offset, topic, topicIndex, topicLength, payloadLength);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, payload, payloadOffset, payloadLength);
        return length;
    }

    /**
     * Writes a PUBLISH frame from an encoded topic and a text payload, which goes as UTF-8, without allocating.
     *
     * @param buffer      to write into; room for {@link #frameLength} of the topic and
     *                    {@link WireStrings#utf8Length} of the text.
     * @param offset      of the frame.
     * @param topic       buffer holding the topic bytes.
     * @param topicIndex  of the first topic byte.
     * @param topicLength bytes of the topic.
     * @param payload     the text.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer topic, final int topicIndex, final int topicLength, final CharSequence payload)
    {
        final int payloadLength = WireStrings.putUtf8(buffer, offset + TOPIC_OFFSET + topicLength, payload);
        return putHeaderAndTopic(buffer, offset, topic, topicIndex, topicLength, payloadLength);
    }

    /**
     * Writes a PUBLISH frame; an ASCII topic is written without allocating.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param topic         the topic.
     * @param payload       buffer holding the payload.
     * @param payloadIndex  of the first payload byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final String topic,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int topicLength = WireStrings.putUtf8(buffer, offset + TOPIC_OFFSET, topic);
        final int length = putHeader(buffer, offset, topicLength, payloadLength);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, payload, payloadIndex, payloadLength);
        return length;
    }

    /**
     * Writes a PUBLISH with {@link Protocol#FLAG_HEADERS}: the fixed part, the topic and the header block, without
     * allocating. The caller writes the application's payload right after the block, at {@code offset +
     * TOPIC_OFFSET + topicLength + blockLength}.
     *
     * @param buffer        to write into; room for {@link #frameLength} of the topic and block plus payload.
     * @param offset        of the frame.
     * @param topic         buffer holding the topic bytes.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param block         buffer holding a checked header block (SPEC.md, "Headers").
     * @param blockIndex    of its first byte.
     * @param blockLength   its {@code block_length}.
     * @param payloadLength bytes of the application's payload after the block.
     * @return the frame length.
     */
    public static int encodeWithHeaders(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer topic, final int topicIndex, final int topicLength,
        final DirectBuffer block, final int blockIndex, final int blockLength, final int payloadLength)
    {
        final int length = putHeaderAndTopic(buffer, offset, topic, topicIndex, topicLength, blockLength + payloadLength);
        buffer.putByte(offset + Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, block, blockIndex, blockLength);
        return length;
    }

    // The one layout of the fixed part, which every encode above writes.
    private static int putHeader(
        final MutableDirectBuffer buffer, final int offset, final int topicLength, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.PUBLISH);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        return length;
    }

    private static int putHeaderAndTopic(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer topic, final int topicIndex, final int topicLength, final int payloadLength)
    {
        buffer.putBytes(offset + TOPIC_OFFSET, topic, topicIndex, topicLength);
        return putHeader(buffer, offset, topicLength, payloadLength);
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

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * PUBLISH_FDS: a PUBLISH that owns the next {@code fd_count} descriptors of its datagram's SCM_RIGHTS message. With
 * {@link #MEMFD_PAYLOAD} the first of them is the payload, a sealed memfd of {@code payload_size} bytes, and the
 * frame carries no inline payload; the others are passed to every subscriber as they are (SPEC.md, "Descriptors").
 */
public final class PublishFdsFrame extends Flyweight
{
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 8;
    /** Offset of u8 fd_count, 1..max_descriptors_per_message. */
    public static final int FD_COUNT_OFFSET = 10;
    /** Offset of u8 fd_flags. */
    public static final int FD_FLAGS_OFFSET = 11;
    /** Offset of u64 payload_size: the memfd's size with {@link #MEMFD_PAYLOAD}, else 0. */
    public static final int PAYLOAD_SIZE_OFFSET = 12;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 20;
    /** {@code fd_flags} bit: the first descriptor is the payload, a memfd with all four seals. */
    public static final int MEMFD_PAYLOAD = 1;
    /** Every {@code fd_flags} bit version 1 defines; the others must be 0. */
    public static final int KNOWN_FD_FLAGS = MEMFD_PAYLOAD;

    /**
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the inline payload (0 with {@link #MEMFD_PAYLOAD}).
     * @return the length of the frame that carries them.
     */
    public static int frameLength(final int topicLength, final int payloadLength)
    {
        return TOPIC_OFFSET + topicLength + payloadLength;
    }

    /**
     * Writes a PUBLISH_FDS frame from buffers, without allocating. The descriptors travel beside the datagram.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param topic         buffer holding the topic bytes.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param fdCount       descriptors this frame owns, 1..253.
     * @param fdFlags       {@link #MEMFD_PAYLOAD} or 0.
     * @param payloadSize   the memfd's size with {@link #MEMFD_PAYLOAD}, else 0.
     * @param payload       buffer holding the inline payload.
     * @param payloadIndex  of the first inline payload byte.
     * @param payloadLength bytes of inline payload; 0 with {@link #MEMFD_PAYLOAD}.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer topic, final int topicIndex, final int topicLength,
        final int fdCount, final int fdFlags, final long payloadSize,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.PUBLISH_FDS);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        buffer.putByte(offset + FD_COUNT_OFFSET, (byte)fdCount);
        buffer.putByte(offset + FD_FLAGS_OFFSET, (byte)fdFlags);
        buffer.putLong(offset + PAYLOAD_SIZE_OFFSET, payloadSize, BYTE_ORDER);
        buffer.putBytes(offset + TOPIC_OFFSET, topic, topicIndex, topicLength);
        buffer.putBytes(offset + TOPIC_OFFSET + topicLength, payload, payloadIndex, payloadLength);
        return length;
    }

    /**
     * Writes a PUBLISH_FDS frame whose payload is a sealed memfd: {@code fd_count} descriptors, the first the payload.
     *
     * @param buffer      to write into.
     * @param offset      of the frame.
     * @param topic       to publish on (encoded here: allocates nothing for ASCII).
     * @param fdCount     descriptors this frame owns, the payload first, 1..253.
     * @param payloadSize the memfd's size in bytes.
     * @return the frame length.
     */
    public static int encodeMemfd(
        final MutableDirectBuffer buffer, final int offset, final String topic, final int fdCount,
        final long payloadSize)
    {
        final int topicLength = WireStrings.putUtf8(buffer, offset + TOPIC_OFFSET, topic);
        return encode(buffer, offset, buffer, offset + TOPIC_OFFSET, topicLength, fdCount, MEMFD_PAYLOAD,
            payloadSize, buffer, 0, 0);
    }

    /** @return bytes of the topic. */
    public int topicLength()
    {
        return u16(TOPIC_LENGTH_OFFSET);
    }

    /** @return descriptors this frame owns, in the order its datagram carried them. */
    public int fdCount()
    {
        return u8(FD_COUNT_OFFSET);
    }

    /** @return the fd_flags byte. */
    public int fdFlags()
    {
        return u8(FD_FLAGS_OFFSET);
    }

    /** @return true when the first descriptor is the payload. */
    public boolean hasMemfdPayload()
    {
        return (fdFlags() & MEMFD_PAYLOAD) != 0;
    }

    /** @return the memfd's size with {@link #MEMFD_PAYLOAD}, else 0 (a u64: compare unsigned). */
    public long payloadSize()
    {
        return u64(PAYLOAD_SIZE_OFFSET);
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

    /** @return absolute offset of the inline payload in the buffer. */
    public int payloadIndex()
    {
        return offset + TOPIC_OFFSET + topicLength();
    }

    /** @return bytes of inline payload (0 with {@link #MEMFD_PAYLOAD}). */
    public int payloadLength()
    {
        return frameLength() - TOPIC_OFFSET - topicLength();
    }
}

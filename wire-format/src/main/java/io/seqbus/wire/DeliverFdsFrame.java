package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * DELIVER_FDS: a DELIVER that owns the next {@code fd_count} descriptors of its datagram's SCM_RIGHTS message, the
 * subscriber's own copies of what the PUBLISH_FDS carried, in the same order and with the same {@code fd_flags}.
 * Offsets 8 to 47 are DELIVER's. Never part of a DELIVER_RUN.
 */
public final class DeliverFdsFrame extends DeliveryFlyweight
{
    /** Offset of u8 fd_count. */
    public static final int FD_COUNT_OFFSET = 48;
    /** Offset of u8 fd_flags, as in PUBLISH_FDS. */
    public static final int FD_FLAGS_OFFSET = 49;
    /** Offset of u16 reserved 0. */
    public static final int RESERVED_OFFSET = 50;
    /** Offset of u64 payload_size. */
    public static final int PAYLOAD_SIZE_OFFSET = 52;
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 60;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 62;

    /** A view to {@link #wrap} over frames of this type. */
    public DeliverFdsFrame()
    {
        super(TOPIC_LENGTH_OFFSET, TOPIC_OFFSET);
    }

    /**
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the inline payload.
     * @return the length of the frame that carries them.
     */
    public static int frameLength(final int topicLength, final int payloadLength)
    {
        return TOPIC_OFFSET + topicLength + payloadLength;
    }

    /**
     * Writes a DELIVER_FDS frame whose topic and inline payload lie back to back in {@code source}, as they do in a
     * PUBLISH_FDS frame: one copy, no allocation.
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
     * @param fdCount        descriptors this frame owns, 1..253.
     * @param fdFlags        {@link PublishFdsFrame#MEMFD_PAYLOAD} or 0.
     * @param payloadSize    the memfd's size with {@link PublishFdsFrame#MEMFD_PAYLOAD}, else 0.
     * @param source         buffer holding topic then inline payload.
     * @param topicIndex     of the first topic byte in {@code source}.
     * @param topicLength    bytes of the topic.
     * @param payloadLength  bytes of inline payload, right after the topic.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset,
        final int subscriptionId, final int sourceNode, final long publisherId, final long sequence,
        final long timestampNs, final int publisherUid, final int publisherPid,
        final int fdCount, final int fdFlags, final long payloadSize,
        final DirectBuffer source, final int topicIndex, final int topicLength, final int payloadLength)
    {
        final int length = frameLength(topicLength, payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.DELIVER_FDS);
        putOrigin(buffer, offset, subscriptionId, sourceNode, publisherId, sequence, timestampNs, publisherUid,
            publisherPid);
        buffer.putByte(offset + FD_COUNT_OFFSET, (byte)fdCount);
        buffer.putByte(offset + FD_FLAGS_OFFSET, (byte)fdFlags);
        buffer.putShort(offset + RESERVED_OFFSET, (short)0, BYTE_ORDER);
        buffer.putLong(offset + PAYLOAD_SIZE_OFFSET, payloadSize, BYTE_ORDER);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        buffer.putBytes(offset + TOPIC_OFFSET, source, topicIndex, topicLength + payloadLength);
        return length;
    }

    /** @return the per-publisher sequence, from 1. */
    public long sequence()
    {
        return u64(SEQUENCE_OFFSET);
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

    /** @return true when the first descriptor is the payload, a sealed memfd. */
    public boolean hasMemfdPayload()
    {
        return (fdFlags() & PublishFdsFrame.MEMFD_PAYLOAD) != 0;
    }

    /** @return the memfd's size with the payload flag, else 0 (a u64: compare unsigned). */
    public long payloadSize()
    {
        return u64(PAYLOAD_SIZE_OFFSET);
    }

    /** @return absolute offset of the inline payload in the buffer. */
    public int payloadIndex()
    {
        return offset + TOPIC_OFFSET + topicLength();
    }

    /** @return bytes of inline payload. */
    public int payloadLength()
    {
        return frameLength() - TOPIC_OFFSET - topicLength();
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * DELIVER_MEMFD (bridge only): a bridged message whose payload was a sealed memfd on its source broker. Offsets 8 to
 * 47 are DELIVER's; the payload's {@code payload_size} bytes follow in {@link FragmentFrame}s, each in its own LAN
 * datagram, right after this frame's datagram on the same publication. The receiving broker writes them into a new
 * sealed memfd and delivers that. It counts as one DELIVER in the bridge sequence; it is the last frame of its
 * datagram but for AUTH.
 */
public final class DeliverMemfdFrame extends DeliveryFlyweight
{
    /** Offset of u64 payload_size. */
    public static final int PAYLOAD_SIZE_OFFSET = 48;
    /** Offset of u16 topic_length. */
    public static final int TOPIC_LENGTH_OFFSET = 56;
    /** Offset of the topic bytes; also the length of the fixed part. */
    public static final int TOPIC_OFFSET = 58;

    /** A view to {@link #wrap} over frames of this type. */
    public DeliverMemfdFrame()
    {
        super(TOPIC_LENGTH_OFFSET, TOPIC_OFFSET);
    }

    /**
     * @param topicLength bytes of the topic.
     * @return the length of the frame.
     */
    public static int frameLength(final int topicLength)
    {
        return TOPIC_OFFSET + topicLength;
    }

    /**
     * Writes a DELIVER_MEMFD frame ({@code subscription_id} 0).
     *
     * @param buffer      to write into.
     * @param offset      of the frame.
     * @param sourceNode  node id of the publisher's broker.
     * @param publisherId of the publishing connection.
     * @param sequence    per publisher.
     * @param timestampNs source broker's receive time, ns since the epoch.
     * @param uid         publisher's uid, from the kernel.
     * @param pid         publisher's pid, from the kernel.
     * @param payloadSize bytes of the memfd payload that the fragments carry.
     * @param source      buffer holding the topic.
     * @param topicIndex  of the first topic byte in {@code source}.
     * @param topicLength bytes of the topic.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int sourceNode, final long publisherId,
        final long sequence, final long timestampNs, final int uid, final int pid, final long payloadSize,
        final DirectBuffer source, final int topicIndex, final int topicLength)
    {
        final int length = frameLength(topicLength);
        Protocol.putHeader(buffer, offset, length, FrameType.DELIVER_MEMFD);
        putOrigin(buffer, offset, 0, sourceNode, publisherId, sequence, timestampNs, uid, pid);
        buffer.putLong(offset + PAYLOAD_SIZE_OFFSET, payloadSize, BYTE_ORDER);
        buffer.putShort(offset + TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        buffer.putBytes(offset + TOPIC_OFFSET, source, topicIndex, topicLength);
        return length;
    }

    /** @return the per-publisher sequence, from 1. */
    public long sequence()
    {
        return u64(SEQUENCE_OFFSET);
    }

    /** @return bytes of the payload the fragments carry (a u64: compare unsigned). */
    public long payloadSize()
    {
        return u64(PAYLOAD_SIZE_OFFSET);
    }
}

package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * SUBSCRIBE: the client asks for every message whose topic matches a pattern.
 */
public final class SubscribeFrame extends Flyweight
{
    /** Offset of u32 subscription_id. */
    public static final int SUBSCRIPTION_ID_OFFSET = 8;
    /** Offset of u8 policy. */
    public static final int POLICY_OFFSET = 12;
    /** Offset of u8 reserved. */
    public static final int RESERVED_OFFSET = 13;
    /** Offset of u16 pattern_length. */
    public static final int PATTERN_LENGTH_OFFSET = 14;
    /** Offset of u32 max_queue_bytes. */
    public static final int MAX_QUEUE_BYTES_OFFSET = 16;
    /** Offset of the pattern bytes; also the length of the fixed part. */
    public static final int PATTERN_OFFSET = 20;

    /**
     * Writes a SUBSCRIBE frame.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId chosen by the client, not 0.
     * @param policy         slow-consumer policy code, see {@link SlowConsumerPolicy}.
     * @param maxQueueBytes  queue bound at the broker, 0 for its default.
     * @param pattern        the pattern.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int subscriptionId, final int policy,
        final int maxQueueBytes, final String pattern)
    {
        final int patternLength = WireStrings.putUtf8(buffer, offset + PATTERN_OFFSET, pattern);
        final int length = PATTERN_OFFSET + patternLength;
        Protocol.putHeader(buffer, offset, length, FrameType.SUBSCRIBE);
        buffer.putInt(offset + SUBSCRIPTION_ID_OFFSET, subscriptionId, BYTE_ORDER);
        buffer.putByte(offset + POLICY_OFFSET, (byte)policy);
        buffer.putByte(offset + RESERVED_OFFSET, (byte)0);
        buffer.putShort(offset + PATTERN_LENGTH_OFFSET, (short)patternLength, BYTE_ORDER);
        buffer.putInt(offset + MAX_QUEUE_BYTES_OFFSET, maxQueueBytes, BYTE_ORDER);
        return length;
    }

    /** @return the subscription id. */
    public int subscriptionId()
    {
        return u32(SUBSCRIPTION_ID_OFFSET);
    }

    /** @return the slow-consumer policy code. */
    public int policy()
    {
        return u8(POLICY_OFFSET);
    }

    /** @return the queue bound in bytes, 0 for the broker's default. */
    public int maxQueueBytes()
    {
        return u32(MAX_QUEUE_BYTES_OFFSET);
    }

    /** @return bytes of the pattern. */
    public int patternLength()
    {
        return u16(PATTERN_LENGTH_OFFSET);
    }

    /** @return absolute offset of the pattern bytes in the buffer. */
    public int patternIndex()
    {
        return offset + PATTERN_OFFSET;
    }

    /** @return the pattern (allocates). */
    public String pattern()
    {
        return utf8(PATTERN_OFFSET, patternLength());
    }
}

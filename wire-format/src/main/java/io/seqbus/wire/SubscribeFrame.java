package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * SUBSCRIBE: the client asks for every message whose topic matches a pattern. With the frame-header flag
 * {@link Protocol#FLAG_GROUP} a queue group's name follows the pattern ({@code u8 group_length}, {@code group}):
 * each matching message then goes to one member of that group (SPEC.md, "Queue groups").
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
    /** Bytes of the u8 group_length that precedes a group's name (after the pattern). */
    public static final int GROUP_LENGTH_FIELD = 1;

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
        return encode(buffer, offset, subscriptionId, policy, maxQueueBytes, pattern, null);
    }

    /**
     * Writes a SUBSCRIBE frame, in a queue group when {@code group} is not null.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId chosen by the client, not 0.
     * @param policy         slow-consumer policy code, see {@link SlowConsumerPolicy}.
     * @param maxQueueBytes  queue bound at the broker, 0 for its default.
     * @param pattern        the pattern.
     * @param group          the queue group's name ({@link Groups#isValidGroup(String)}), or null for none.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int subscriptionId, final int policy,
        final int maxQueueBytes, final String pattern, final String group)
    {
        final int patternLength = WireStrings.putUtf8(buffer, offset + PATTERN_OFFSET, pattern);
        int length = PATTERN_OFFSET + patternLength;
        if (group != null)
        {
            final int groupLength = WireStrings.putUtf8(buffer, length + offset + GROUP_LENGTH_FIELD, group);
            buffer.putByte(offset + length, (byte)groupLength);
            length += GROUP_LENGTH_FIELD + groupLength;
        }
        Protocol.putHeader(buffer, offset, length, FrameType.SUBSCRIBE);
        if (group != null)
        {
            buffer.putByte(offset + Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_GROUP);
        }
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

    /** @return true if the frame carries a queue group ({@link Protocol#FLAG_GROUP}). */
    public boolean hasGroup()
    {
        return (u8(Protocol.FLAGS_OFFSET) & Protocol.FLAG_GROUP) != 0;
    }

    /** @return bytes of the group's name, 0 without a group. */
    public int groupLength()
    {
        return hasGroup() ? u8(PATTERN_OFFSET + patternLength()) : 0;
    }

    /** @return absolute offset of the group's name in the buffer (meaningful with {@link #hasGroup()}). */
    public int groupIndex()
    {
        return offset + PATTERN_OFFSET + patternLength() + GROUP_LENGTH_FIELD;
    }

    /** @return the group's name, or null without a group (allocates). */
    public String group()
    {
        return hasGroup() ? utf8(PATTERN_OFFSET + patternLength() + GROUP_LENGTH_FIELD, groupLength()) : null;
    }
}

package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * ANNOUNCE (bridge only): a broker tells the LAN it is there, since when, and how much it bridged.
 * Follows a NODE frame, which says who is announcing.
 */
public final class AnnounceFrame extends Flyweight
{
    /** State: the broker is up. */
    public static final int STATE_UP = 1;
    /** State: the broker is stopping cleanly; its silence after this is no loss. */
    public static final int STATE_LEAVING = 2;

    /** Offset of u64 start_time_ms. */
    public static final int START_TIME_OFFSET = 8;
    /** Offset of u64 messages_out. */
    public static final int MESSAGES_OUT_OFFSET = 16;
    /** Offset of u64 bytes_out. */
    public static final int BYTES_OUT_OFFSET = 24;
    /** Offset of u64 messages_in. */
    public static final int MESSAGES_IN_OFFSET = 32;
    /** Offset of u64 bytes_in. */
    public static final int BYTES_IN_OFFSET = 40;
    /** Offset of u8 state. */
    public static final int STATE_OFFSET = 48;
    /** Offset of u8 reserved. */
    public static final int RESERVED_OFFSET = 49;
    /** Offset of u16 node_name_length. */
    public static final int NODE_NAME_LENGTH_OFFSET = 50;
    /** Offset of the node name; also the length of the fixed part. */
    public static final int NODE_NAME_OFFSET = 52;

    /**
     * Writes an ANNOUNCE frame.
     *
     * @param buffer      to write into.
     * @param offset      of the frame.
     * @param startTimeMs when the broker started, ms since the epoch.
     * @param messagesOut messages it bridged to the LAN.
     * @param bytesOut    payload bytes of those.
     * @param messagesIn  messages it took in from the LAN.
     * @param bytesIn     payload bytes of those.
     * @param state       {@link #STATE_UP} or {@link #STATE_LEAVING}.
     * @param nodeName    at most {@link Protocol#MAX_NAME_LENGTH} bytes of UTF-8 (the caller checks).
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final long startTimeMs, final long messagesOut,
        final long bytesOut, final long messagesIn, final long bytesIn, final int state, final String nodeName)
    {
        final int nameLength = WireStrings.putUtf8(buffer, offset + NODE_NAME_OFFSET, nodeName);
        final int length = NODE_NAME_OFFSET + nameLength;
        Protocol.putHeader(buffer, offset, length, FrameType.ANNOUNCE);
        buffer.putLong(offset + START_TIME_OFFSET, startTimeMs, BYTE_ORDER);
        buffer.putLong(offset + MESSAGES_OUT_OFFSET, messagesOut, BYTE_ORDER);
        buffer.putLong(offset + BYTES_OUT_OFFSET, bytesOut, BYTE_ORDER);
        buffer.putLong(offset + MESSAGES_IN_OFFSET, messagesIn, BYTE_ORDER);
        buffer.putLong(offset + BYTES_IN_OFFSET, bytesIn, BYTE_ORDER);
        buffer.putByte(offset + STATE_OFFSET, (byte)state);
        buffer.putByte(offset + RESERVED_OFFSET, (byte)0);
        buffer.putShort(offset + NODE_NAME_LENGTH_OFFSET, (short)nameLength, BYTE_ORDER);
        return length;
    }

    /** @return when the broker started, ms since the epoch. */
    public long startTimeMs()
    {
        return u64(START_TIME_OFFSET);
    }

    /** @return messages the broker bridged to the LAN. */
    public long messagesOut()
    {
        return u64(MESSAGES_OUT_OFFSET);
    }

    /** @return payload bytes the broker bridged to the LAN. */
    public long bytesOut()
    {
        return u64(BYTES_OUT_OFFSET);
    }

    /** @return messages the broker took in from the LAN. */
    public long messagesIn()
    {
        return u64(MESSAGES_IN_OFFSET);
    }

    /** @return payload bytes the broker took in from the LAN. */
    public long bytesIn()
    {
        return u64(BYTES_IN_OFFSET);
    }

    /** @return {@link #STATE_UP} or {@link #STATE_LEAVING}. */
    public int state()
    {
        return u8(STATE_OFFSET);
    }

    /** @return bytes of the node name. */
    public int nodeNameLength()
    {
        return u16(NODE_NAME_LENGTH_OFFSET);
    }

    /** @return the node name (allocates). */
    public String nodeName()
    {
        return utf8(NODE_NAME_OFFSET, nodeNameLength());
    }
}

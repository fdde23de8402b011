package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * STAT_REQUEST: a client asks the broker for its clients, busiest topics and totals.
 */
public final class StatRequestFrame extends Flyweight
{
    /** Offset of u32 stat_flags. */
    public static final int STAT_FLAGS_OFFSET = 8;
    /** Offset of u32 request_id, echoed by every STAT_REPLY chunk. */
    public static final int REQUEST_ID_OFFSET = 12;
    /** The frame's fixed length. */
    public static final int LENGTH = 16;

    /** stat_flags bit: leave the client list out. */
    public static final int NO_CLIENTS = 0x1;
    /** stat_flags bit: leave the topic list out. */
    public static final int NO_TOPICS = 0x2;

    /**
     * @param buffer    to write into.
     * @param offset    of the frame.
     * @param statFlags {@link #NO_CLIENTS}, {@link #NO_TOPICS}, or 0 for everything.
     * @param requestId echoed in the reply.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int statFlags, final int requestId)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.STAT_REQUEST);
        buffer.putInt(offset + STAT_FLAGS_OFFSET, statFlags, BYTE_ORDER);
        buffer.putInt(offset + REQUEST_ID_OFFSET, requestId, BYTE_ORDER);
        return LENGTH;
    }

    /** @return stat_flags. */
    public int statFlags()
    {
        return u32(STAT_FLAGS_OFFSET);
    }

    /** @return request_id. */
    public int requestId()
    {
        return u32(REQUEST_ID_OFFSET);
    }
}

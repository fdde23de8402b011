package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * NODE (bridge only): the first frame of every LAN datagram. Names the sending broker and the
 * bridge sequence of the first DELIVER that follows, so a receiver can count what it missed.
 */
public final class NodeFrame extends Flyweight
{
    /** Offset of u32 node_id. */
    public static final int NODE_ID_OFFSET = 8;
    /** Offset of u32 reserved. */
    public static final int RESERVED_OFFSET = 12;
    /** Offset of u64 instance_id. */
    public static final int INSTANCE_ID_OFFSET = 16;
    /** Offset of u64 sequence. */
    public static final int SEQUENCE_OFFSET = 24;
    /** The frame's fixed length. */
    public static final int LENGTH = 32;

    /**
     * Writes a NODE frame.
     *
     * @param buffer     to write into.
     * @param offset     of the frame.
     * @param nodeId     the sending broker's node id.
     * @param instanceId random per broker process; tells a restart from a name collision.
     * @param sequence   bridge sequence of the first DELIVER after this frame (the next one if none follows).
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int nodeId, final long instanceId, final long sequence)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.NODE);
        buffer.putInt(offset + NODE_ID_OFFSET, nodeId, BYTE_ORDER);
        buffer.putInt(offset + RESERVED_OFFSET, 0, BYTE_ORDER);
        buffer.putLong(offset + INSTANCE_ID_OFFSET, instanceId, BYTE_ORDER);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, BYTE_ORDER);
        return LENGTH;
    }

    /** @return the sending broker's node id. */
    public int nodeId()
    {
        return u32(NODE_ID_OFFSET);
    }

    /** @return the sending broker process's instance id. */
    public long instanceId()
    {
        return u64(INSTANCE_ID_OFFSET);
    }

    /** @return bridge sequence of the first DELIVER that follows. */
    public long sequence()
    {
        return u64(SEQUENCE_OFFSET);
    }
}

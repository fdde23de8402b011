package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

/**
 * SHM_ATTACH: the client's last frame on the socket; the broker reads its {@code from_client} ring from here on.
 */
public final class ShmAttachFrame extends Flyweight
{
    /** Offset of u32 reserved, 0. */
    public static final int RESERVED_OFFSET = 8;
    /** The frame's fixed length. */
    public static final int LENGTH = 12;

    /**
     * @param buffer to write into.
     * @param offset of the frame.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.SHM_ATTACH);
        buffer.putInt(offset + RESERVED_OFFSET, 0);
        return LENGTH;
    }
}

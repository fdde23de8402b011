package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * SHM_FDS: alone in a socket datagram, with the descriptors (SCM_RIGHTS) that the frames of the next
 * FRAMES_WITH_FDS record of the sender's ring use, in order. Sent before that record is committed.
 */
public final class ShmFdsFrame extends Flyweight
{
    /** Offset of u32 fd_count: 1 or more, as many as came with the datagram. */
    public static final int FD_COUNT_OFFSET = 8;
    /** Offset of u32 reserved, 0. */
    public static final int RESERVED_OFFSET = 12;
    /** The frame's fixed length. */
    public static final int LENGTH = 16;

    /**
     * @param buffer  to write into.
     * @param offset  of the frame.
     * @param fdCount descriptors sent with it.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int fdCount)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.SHM_FDS);
        buffer.putInt(offset + FD_COUNT_OFFSET, fdCount, BYTE_ORDER);
        buffer.putInt(offset + RESERVED_OFFSET, 0);
        return LENGTH;
    }

    /** @return descriptors sent with it. */
    public int fdCount()
    {
        return u32(FD_COUNT_OFFSET);
    }
}

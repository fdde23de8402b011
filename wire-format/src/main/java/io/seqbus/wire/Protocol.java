package io.seqbus.wire;

import java.nio.ByteOrder;

/**
 * Constants of protocol version 1 that both sides must agree on.
 */
public final class Protocol
{
    /** The one protocol version this code speaks. */
    public static final int VERSION = 1;

    /** Every integer on the wire is little-endian. */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Bytes of the header in front of every frame. */
    public static final int HEADER_LENGTH = 8;

    /** Offset of the u32 frame length in the header. */
    public static final int LENGTH_OFFSET = 0;
    /** Offset of the u8 frame type in the header. */
    public static final int TYPE_OFFSET = 4;
    /** Offset of the u8 flags in the header. */
    public static final int FLAGS_OFFSET = 5;
    /** Header flag: the payload starts with a header block (SPEC.md, "Headers"; issue 19). */
    public static final int FLAG_HEADERS = 1;
    /** Header flag on SUBSCRIBE: a queue group's name follows the pattern (SPEC.md, "Queue groups"; issue 19). */
    public static final int FLAG_GROUP = 2;
    /** Offset of the u16 reserved field in the header. */
    public static final int RESERVED_OFFSET = 6;

    /** Longest topic or pattern, bytes of UTF-8. */
    public static final int MAX_TOPIC_LENGTH = 255;
    /** Longest client or node name, bytes of UTF-8. */
    public static final int MAX_NAME_LENGTH = 64;
    /** Longest ERROR reason, bytes of UTF-8. */
    public static final int MAX_REASON_LENGTH = 1024;

    /** Most descriptors one sendmsg(2) passes (the kernel's SCM_MAX_FD). */
    public static final int MAX_DESCRIPTORS_PER_SEND = 253;

    /** Largest datagram either side sends unless WELCOME says otherwise. */
    public static final int DEFAULT_MAX_DATAGRAM = 128 * 1024;
    /** Largest payload the broker accepts unless WELCOME says otherwise. */
    public static final int DEFAULT_MAX_PAYLOAD = 64 * 1024;

    private Protocol()
    {
    }

    /**
     * Reads the length field of the frame at {@code offset}.
     *
     * @param buffer holding the frame.
     * @param offset of the frame.
     * @return the frame length in bytes, header included.
     */
    public static int frameLength(final org.agrona.DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + LENGTH_OFFSET, BYTE_ORDER);
    }

    /**
     * Reads the type field of the frame at {@code offset}.
     *
     * @param buffer holding the frame.
     * @param offset of the frame.
     * @return one of the {@link FrameType} values (or an unknown one).
     */
    public static int frameType(final org.agrona.DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    /**
     * Writes a frame header.
     *
     * @param buffer      to write into.
     * @param offset      of the frame.
     * @param frameLength of the whole frame, header included.
     * @param type        of the frame.
     */
    public static void putHeader(
        final org.agrona.MutableDirectBuffer buffer, final int offset, final int frameLength, final int type)
    {
        buffer.putInt(offset + LENGTH_OFFSET, frameLength, BYTE_ORDER);
        buffer.putByte(offset + TYPE_OFFSET, (byte)type);
        buffer.putByte(offset + FLAGS_OFFSET, (byte)0);
        buffer.putShort(offset + RESERVED_OFFSET, (short)0, BYTE_ORDER);
    }
}

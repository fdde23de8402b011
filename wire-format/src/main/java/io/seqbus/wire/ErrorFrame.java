package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * ERROR: the broker refused a frame or is closing the connection, with a code and a reason.
 */
public final class ErrorFrame extends Flyweight
{
    /** Offset of u16 code. */
    public static final int CODE_OFFSET = 8;
    /** Offset of u8 fatal. */
    public static final int FATAL_OFFSET = 10;
    /** Offset of u8 reserved. */
    public static final int RESERVED_OFFSET = 11;
    /** Offset of u32 ref. */
    public static final int REF_OFFSET = 12;
    /** Offset of u16 reason_length. */
    public static final int REASON_LENGTH_OFFSET = 16;
    /** Offset of the reason bytes; also the length of the fixed part. */
    public static final int REASON_OFFSET = 18;

    /**
     * Writes an ERROR frame; the reason is cut to {@link Protocol#MAX_REASON_LENGTH} bytes, between characters.
     *
     * @param buffer to write into, with room for the fixed part and the longest reason.
     * @param offset of the frame.
     * @param code   an {@link ErrorCode}.
     * @param ref    the subscription id concerned, or 0.
     * @param reason for people.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int code, final int ref, final String reason)
    {
        final String text = WireStrings.truncateUtf8(reason, Protocol.MAX_REASON_LENGTH);
        final int reasonLength = WireStrings.putUtf8(buffer, offset + REASON_OFFSET, text);
        final int length = REASON_OFFSET + reasonLength;
        Protocol.putHeader(buffer, offset, length, FrameType.ERROR);
        buffer.putShort(offset + CODE_OFFSET, (short)code, BYTE_ORDER);
        buffer.putByte(offset + FATAL_OFFSET, (byte)(ErrorCode.isFatal(code) ? 1 : 0));
        buffer.putByte(offset + RESERVED_OFFSET, (byte)0);
        buffer.putInt(offset + REF_OFFSET, ref, BYTE_ORDER);
        buffer.putShort(offset + REASON_LENGTH_OFFSET, (short)reasonLength, BYTE_ORDER);
        return length;
    }

    /** @return the {@link ErrorCode}. */
    public int code()
    {
        return u16(CODE_OFFSET);
    }

    /** @return true if the broker closes the connection after this frame. */
    public boolean fatal()
    {
        return u8(FATAL_OFFSET) != 0;
    }

    /** @return the subscription id concerned, or 0. */
    public int ref()
    {
        return u32(REF_OFFSET);
    }

    /** @return bytes of the reason. */
    public int reasonLength()
    {
        return u16(REASON_LENGTH_OFFSET);
    }

    /** @return the reason (allocates). */
    public String reason()
    {
        return utf8(REASON_OFFSET, reasonLength());
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * AUTH (bridge only): the last frame of a LAN datagram between brokers that share a key. Holds the first
 * {@link #TAG_LENGTH} bytes of an HMAC-SHA256, with that key, over every byte of the datagram before the tag
 * (the NODE frame, every other frame, and this frame's own header).
 */
public final class AuthFrame extends Flyweight
{
    /** Offset of the tag. */
    public static final int TAG_OFFSET = 8;
    /** Bytes of the tag: HMAC-SHA256 truncated to 128 bits, as RFC 4868 does for IPsec. */
    public static final int TAG_LENGTH = 16;
    /** The frame's fixed length. */
    public static final int LENGTH = TAG_OFFSET + TAG_LENGTH;

    /**
     * Writes the header of an AUTH frame; the tag, computed over everything before it, goes after.
     *
     * @param buffer to write into.
     * @param offset of the frame.
     * @return offset of the tag: the datagram bytes the tag covers end here.
     */
    public static int encodeHeader(final MutableDirectBuffer buffer, final int offset)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.AUTH);
        return offset + TAG_OFFSET;
    }

    /**
     * Whether a datagram ends in something framed like an AUTH frame. Cheap and made before any other check of
     * the datagram: the tag is verified before the rest is trusted to be framed at all.
     *
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return true if its last {@link #LENGTH} bytes start with an AUTH header.
     */
    public static boolean endsWithAuth(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < NodeFrame.LENGTH + LENGTH)
        {
            return false;
        }
        final int at = offset + length - LENGTH;
        return buffer.getInt(at + Protocol.LENGTH_OFFSET, Protocol.BYTE_ORDER) == LENGTH &&
            buffer.getByte(at + Protocol.TYPE_OFFSET) == FrameType.AUTH &&
            buffer.getByte(at + Protocol.FLAGS_OFFSET) == 0 &&
            buffer.getShort(at + Protocol.RESERVED_OFFSET) == 0;
    }

    /**
     * @return index of the tag's first byte in {@link #buffer()}.
     */
    public int tagIndex()
    {
        return offset + TAG_OFFSET;
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * FRAGMENT (bridge only): consecutive bytes of the payload of the {@link DeliverMemfdFrame} its sender sent last,
 * at {@code payload_offset}. Fragments go in order, one per LAN datagram, nothing else of their sender's messages
 * between them.
 */
public final class FragmentFrame extends Flyweight
{
    /** Offset of u64 payload_offset. */
    public static final int PAYLOAD_OFFSET_OFFSET = 8;
    /** Offset of the bytes; also the length of the fixed part. */
    public static final int BYTES_OFFSET = 16;

    /**
     * Writes a FRAGMENT.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param payloadOffset where in the payload these bytes go.
     * @param source        holding the bytes.
     * @param sourceIndex   of the first byte in {@code source}.
     * @param length        how many.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final long payloadOffset, final DirectBuffer source,
        final int sourceIndex, final int length)
    {
        final int frameLength = BYTES_OFFSET + length;
        Protocol.putHeader(buffer, offset, frameLength, FrameType.FRAGMENT);
        buffer.putLong(offset + PAYLOAD_OFFSET_OFFSET, payloadOffset, BYTE_ORDER);
        buffer.putBytes(offset + BYTES_OFFSET, source, sourceIndex, length);
        return frameLength;
    }

    /** @return where in the payload these bytes go (a u64: compare unsigned). */
    public long payloadOffset()
    {
        return u64(PAYLOAD_OFFSET_OFFSET);
    }

    /** @return absolute offset of the bytes in the buffer. */
    public int bytesIndex()
    {
        return offset + BYTES_OFFSET;
    }

    /** @return how many bytes. */
    public int bytesLength()
    {
        return frameLength() - BYTES_OFFSET;
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * STAT_REPLY: one chunk of the broker's JSON statistics document. A document longer than fits
 * one datagram comes as several chunks, in order, each naming its offset and the total length.
 */
public final class StatReplyFrame extends Flyweight
{
    /** Offset of u32 request_id from the STAT_REQUEST. */
    public static final int REQUEST_ID_OFFSET = 8;
    /** Offset of u32 total_length: bytes of the whole document. */
    public static final int TOTAL_LENGTH_OFFSET = 12;
    /** Offset of u32 chunk_offset: where this chunk starts in the document. */
    public static final int CHUNK_OFFSET_OFFSET = 16;
    /** Offset of the chunk's bytes; they run to the end of the frame. */
    public static final int CHUNK_OFFSET = 20;

    /**
     * @param buffer      to write into.
     * @param offset      of the frame.
     * @param requestId   from the request.
     * @param totalLength bytes of the whole document.
     * @param chunkOffset where this chunk starts in the document.
     * @param document    the whole document.
     * @param from        index in {@code document} of the chunk's first byte.
     * @param length      bytes in the chunk.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int totalLength,
        final int chunkOffset, final DirectBuffer document, final int from, final int length)
    {
        final int frameLength = CHUNK_OFFSET + length;
        Protocol.putHeader(buffer, offset, frameLength, FrameType.STAT_REPLY);
        buffer.putInt(offset + REQUEST_ID_OFFSET, requestId, BYTE_ORDER);
        buffer.putInt(offset + TOTAL_LENGTH_OFFSET, totalLength, BYTE_ORDER);
        buffer.putInt(offset + CHUNK_OFFSET_OFFSET, chunkOffset, BYTE_ORDER);
        buffer.putBytes(offset + CHUNK_OFFSET, document, from, length);
        return frameLength;
    }

    /** @return request_id. */
    public int requestId()
    {
        return u32(REQUEST_ID_OFFSET);
    }

    /** @return total_length. */
    public int totalLength()
    {
        return u32(TOTAL_LENGTH_OFFSET);
    }

    /** @return chunk_offset. */
    public int chunkOffset()
    {
        return u32(CHUNK_OFFSET_OFFSET);
    }

    /** @return index in the buffer of the chunk's first byte. */
    public int chunkIndex()
    {
        return offset + CHUNK_OFFSET;
    }

    /** @return bytes in this chunk. */
    public int chunkLength()
    {
        return frameLength() - CHUNK_OFFSET;
    }
}

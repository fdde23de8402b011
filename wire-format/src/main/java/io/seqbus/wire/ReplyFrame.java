package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * REPLY: the answer to a DELIVER_REQUEST, naming its token; routed by the broker to the requester only.
 */
public final class ReplyFrame extends Flyweight
{
    /** Offset of u64 reply_token, as the DELIVER_REQUEST carried it. */
    public static final int REPLY_TOKEN_OFFSET = 8;
    /** Offset of the payload; also the length of the fixed part. */
    public static final int PAYLOAD_OFFSET = 16;

    /**
     * @param payloadLength bytes of the payload.
     * @return the length of the frame that carries it.
     */
    public static int frameLength(final int payloadLength)
    {
        return PAYLOAD_OFFSET + payloadLength;
    }

    /**
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param replyToken    of the request answered.
     * @param payload       buffer holding the payload.
     * @param payloadIndex  of its first byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final long replyToken,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int length = putFixed(buffer, offset, replyToken, payloadLength);
        buffer.putBytes(offset + PAYLOAD_OFFSET, payload, payloadIndex, payloadLength);
        return length;
    }

    /**
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param replyToken    of the request answered.
     * @param payload       array holding the payload.
     * @param payloadOffset of its first byte.
     * @param payloadLength bytes of the payload.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final long replyToken,
        final byte[] payload, final int payloadOffset, final int payloadLength)
    {
        final int length = putFixed(buffer, offset, replyToken, payloadLength);
        buffer.putBytes(offset + PAYLOAD_OFFSET, payload, payloadOffset, payloadLength);
        return length;
    }

    private static int putFixed(
        final MutableDirectBuffer buffer, final int offset, final long replyToken, final int payloadLength)
    {
        final int length = frameLength(payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.REPLY);
        buffer.putLong(offset + REPLY_TOKEN_OFFSET, replyToken, BYTE_ORDER);
        return length;
    }

    /** @return the token of the request answered. */
    public long replyToken()
    {
        return u64(REPLY_TOKEN_OFFSET);
    }

    /** @return absolute offset of the payload in the buffer. */
    public int payloadIndex()
    {
        return offset + PAYLOAD_OFFSET;
    }

    /** @return bytes of the payload. */
    public int payloadLength()
    {
        return frameLength() - PAYLOAD_OFFSET;
    }
}

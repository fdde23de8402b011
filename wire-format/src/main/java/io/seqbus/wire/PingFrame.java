package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * PING and PONG: the same layout, a token that the PONG echoes.
 */
public final class PingFrame extends Flyweight
{
    /** Offset of u64 token. */
    public static final int TOKEN_OFFSET = 8;
    /** The frame's fixed length. */
    public static final int LENGTH = 16;

    /**
     * Writes a PING or PONG frame.
     *
     * @param buffer to write into.
     * @param offset of the frame.
     * @param type   {@link FrameType#PING} or {@link FrameType#PONG}.
     * @param token  to echo.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int type, final long token)
    {
        Protocol.putHeader(buffer, offset, LENGTH, type);
        buffer.putLong(offset + TOKEN_OFFSET, token, BYTE_ORDER);
        return LENGTH;
    }

    /** @return the token. */
    public long token()
    {
        return u64(TOKEN_OFFSET);
    }
}

package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * UNSUBSCRIBE: the client drops one of its subscriptions.
 */
public final class UnsubscribeFrame extends Flyweight
{
    /** Offset of u32 subscription_id. */
    public static final int SUBSCRIPTION_ID_OFFSET = 8;
    /** The frame's fixed length. */
    public static final int LENGTH = 12;

    /**
     * Writes an UNSUBSCRIBE frame.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param subscriptionId to drop.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final int subscriptionId)
    {
        Protocol.putHeader(buffer, offset, LENGTH, FrameType.UNSUBSCRIBE);
        buffer.putInt(offset + SUBSCRIPTION_ID_OFFSET, subscriptionId, BYTE_ORDER);
        return LENGTH;
    }

    /** @return the subscription id. */
    public int subscriptionId()
    {
        return u32(SUBSCRIPTION_ID_OFFSET);
    }
}

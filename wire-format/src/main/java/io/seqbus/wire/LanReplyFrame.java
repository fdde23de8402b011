package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * LAN_REPLY, bridge only: the first REPLY a broker's subscriber gave to a DELIVER_REQUEST that came over the LAN, sent
 * back on the LAN to the requester's broker ({@code target_node}), which ends the request as it would for a local
 * REPLY (SPEC.md, "Requests and replies"). The fields are aligned: u32s before the u64s.
 */
public final class LanReplyFrame extends Flyweight
{
    /** Offset of u32 target_node: the broker whose request this answers (the token's top 32 bits). */
    public static final int TARGET_NODE_OFFSET = 8;
    /** Offset of u32 replier_node: the broker of the subscriber that replied. */
    public static final int REPLIER_NODE_OFFSET = 12;
    /** Offset of u64 reply_token, as the origin issued it. */
    public static final int REPLY_TOKEN_OFFSET = 16;
    /** Offset of u32 replier_uid, from the kernel at the replier's broker. */
    public static final int REPLIER_UID_OFFSET = 24;
    /** Offset of u32 replier_pid. */
    public static final int REPLIER_PID_OFFSET = 28;
    /** Offset of u64 timestamp_ns: when the replier's broker received the REPLY. */
    public static final int TIMESTAMP_OFFSET = 32;
    /** Offset of the payload; also the length of the fixed part. */
    public static final int PAYLOAD_OFFSET = 40;
    /**
     * Flag: nobody at {@code replier_node} can answer (no subscriber there matched, or may reply, or the topic is not
     * shared there); no payload, uid and pid 0.
     */
    public static final int FLAG_NO_RESPONDERS = 0x04;
    /** Flag: every recipient at {@code replier_node} left before one replied; no payload, uid and pid 0. */
    public static final int FLAG_RESPONDERS_GONE = 0x08;

    /**
     * @param payloadLength bytes of the payload.
     * @return the length of the frame that carries it.
     */
    public static int frameLength(final int payloadLength)
    {
        return PAYLOAD_OFFSET + payloadLength;
    }

    /**
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int targetNode, final long replyToken,
        final int replierNode, final int replierUid, final int replierPid, final long timestampNs,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int length = frameLength(payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.LAN_REPLY);
        buffer.putInt(offset + TARGET_NODE_OFFSET, targetNode, BYTE_ORDER);
        buffer.putInt(offset + REPLIER_NODE_OFFSET, replierNode, BYTE_ORDER);
        buffer.putLong(offset + REPLY_TOKEN_OFFSET, replyToken, BYTE_ORDER);
        buffer.putInt(offset + REPLIER_UID_OFFSET, replierUid, BYTE_ORDER);
        buffer.putInt(offset + REPLIER_PID_OFFSET, replierPid, BYTE_ORDER);
        buffer.putLong(offset + TIMESTAMP_OFFSET, timestampNs, BYTE_ORDER);
        buffer.putBytes(offset + PAYLOAD_OFFSET, payload, payloadIndex, payloadLength);
        return length;
    }

    /**
     * A LAN_REPLY that says no reply will come from {@code replierNode}: {@link #FLAG_NO_RESPONDERS} or
     * {@link #FLAG_RESPONDERS_GONE}, no payload.
     *
     * @return the frame length.
     */
    public static int encodeNone(
        final MutableDirectBuffer buffer, final int offset, final int targetNode, final long replyToken,
        final int replierNode, final long timestampNs, final int flag)
    {
        final int length = encode(buffer, offset, targetNode, replyToken, replierNode, 0, 0, timestampNs, buffer, 0, 0);
        buffer.putByte(offset + Protocol.FLAGS_OFFSET, (byte)flag);
        return length;
    }

    /** @return {@link #FLAG_NO_RESPONDERS}, {@link #FLAG_RESPONDERS_GONE}, or 0 for a reply. */
    public int noneFlag()
    {
        return buffer.getByte(offset + Protocol.FLAGS_OFFSET) & (FLAG_NO_RESPONDERS | FLAG_RESPONDERS_GONE);
    }

    /** @return the broker the reply is for. */
    public int targetNode()
    {
        return buffer.getInt(offset + TARGET_NODE_OFFSET, BYTE_ORDER);
    }

    /** @return the replier's broker. */
    public int replierNode()
    {
        return buffer.getInt(offset + REPLIER_NODE_OFFSET, BYTE_ORDER);
    }

    /** @return the origin's token. */
    public long replyToken()
    {
        return buffer.getLong(offset + REPLY_TOKEN_OFFSET, BYTE_ORDER);
    }

    /** @return the replier's uid. */
    public int replierUid()
    {
        return buffer.getInt(offset + REPLIER_UID_OFFSET, BYTE_ORDER);
    }

    /** @return the replier's pid. */
    public int replierPid()
    {
        return buffer.getInt(offset + REPLIER_PID_OFFSET, BYTE_ORDER);
    }

    /** @return when the replier's broker received the REPLY, ns since the epoch. */
    public long timestampNs()
    {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, BYTE_ORDER);
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

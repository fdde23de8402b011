package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * RESPONSE: how a REQUEST ended, exactly one per accepted REQUEST; with {@link #REPLIED} the reply's payload and
 * the replier's kernel identity.
 */
public final class ResponseFrame extends Flyweight
{
    /** A recipient replied; the payload is its reply. */
    public static final int REPLIED = 0;
    /** No subscription matched the topic: nobody could answer. */
    public static final int NO_RESPONDERS = 1;
    /** Every connection the request went to closed before replying. */
    public static final int RESPONDERS_GONE = 2;
    /** No reply within the request's timeout. */
    public static final int TIMED_OUT = 3;
    /** The requester's rules do not let it request on the topic. */
    public static final int DENIED = 4;
    /** The requester (or the broker) holds as many pending requests as it may. */
    public static final int TOO_MANY_REQUESTS = 5;

    /** Offset of u32 request_id. */
    public static final int REQUEST_ID_OFFSET = 8;
    /** Offset of u8 status. */
    public static final int STATUS_OFFSET = 12;
    /** Offset of u8 reserved, then u16 reserved. */
    public static final int RESERVED_OFFSET = 13;
    /** Offset of u32 replier_node. */
    public static final int REPLIER_NODE_OFFSET = 16;
    /** Offset of u32 replier_uid. */
    public static final int REPLIER_UID_OFFSET = 20;
    /** Offset of u32 replier_pid. */
    public static final int REPLIER_PID_OFFSET = 24;
    /** Offset of u32 reserved. */
    public static final int RESERVED2_OFFSET = 28;
    /** Offset of u64 timestamp_ns. */
    public static final int TIMESTAMP_OFFSET = 32;
    /** Offset of the payload; also the length of the fixed part. */
    public static final int PAYLOAD_OFFSET = 40;

    /**
     * @param payloadLength bytes of the reply's payload (0 unless {@link #REPLIED}).
     * @return the length of the frame.
     */
    public static int frameLength(final int payloadLength)
    {
        return PAYLOAD_OFFSET + payloadLength;
    }

    /**
     * Writes a RESPONSE without a reply (every status but {@link #REPLIED}).
     *
     * @param buffer    to write into.
     * @param offset    of the frame.
     * @param requestId the requester's id.
     * @param status    how it ended.
     * @return the frame length.
     */
    public static int encodeFailure(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int status)
    {
        return putFixed(buffer, offset, requestId, status, 0, 0, 0, 0, 0);
    }

    /**
     * Writes a RESPONSE carrying a reply.
     *
     * @param buffer        to write into.
     * @param offset        of the frame.
     * @param requestId     the requester's id.
     * @param replierNode   node id of the replier's broker.
     * @param replierUid    from the kernel.
     * @param replierPid    from the kernel.
     * @param timestampNs   when the broker received the REPLY, ns since the epoch.
     * @param payload       buffer holding the reply's payload.
     * @param payloadIndex  of its first byte.
     * @param payloadLength bytes of it.
     * @return the frame length.
     */
    public static int encodeReplied(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int replierNode,
        final int replierUid, final int replierPid, final long timestampNs,
        final DirectBuffer payload, final int payloadIndex, final int payloadLength)
    {
        final int length = putFixed(
            buffer, offset, requestId, REPLIED, replierNode, replierUid, replierPid, timestampNs, payloadLength);
        buffer.putBytes(offset + PAYLOAD_OFFSET, payload, payloadIndex, payloadLength);
        return length;
    }

    private static int putFixed(
        final MutableDirectBuffer buffer, final int offset, final int requestId, final int status,
        final int replierNode, final int replierUid, final int replierPid, final long timestampNs,
        final int payloadLength)
    {
        final int length = frameLength(payloadLength);
        Protocol.putHeader(buffer, offset, length, FrameType.RESPONSE);
        buffer.putInt(offset + REQUEST_ID_OFFSET, requestId, BYTE_ORDER);
        buffer.putByte(offset + STATUS_OFFSET, (byte)status);
        buffer.putByte(offset + RESERVED_OFFSET, (byte)0);
        buffer.putShort(offset + RESERVED_OFFSET + 1, (short)0, BYTE_ORDER);
        buffer.putInt(offset + REPLIER_NODE_OFFSET, replierNode, BYTE_ORDER);
        buffer.putInt(offset + REPLIER_UID_OFFSET, replierUid, BYTE_ORDER);
        buffer.putInt(offset + REPLIER_PID_OFFSET, replierPid, BYTE_ORDER);
        buffer.putInt(offset + RESERVED2_OFFSET, 0, BYTE_ORDER);
        buffer.putLong(offset + TIMESTAMP_OFFSET, timestampNs, BYTE_ORDER);
        return length;
    }

    /**
     * @param status a status code.
     * @return its SPEC.md name, or {@code STATUS(n)}.
     */
    public static String statusName(final int status)
    {
        switch (status)
        {
            case REPLIED: return "REPLIED";
            case NO_RESPONDERS: return "NO_RESPONDERS";
            case RESPONDERS_GONE: return "RESPONDERS_GONE";
            case TIMED_OUT: return "TIMED_OUT";
            case DENIED: return "DENIED";
            case TOO_MANY_REQUESTS: return "TOO_MANY_REQUESTS";
            default: return "STATUS(" + status + ")";
        }
    }

    /** @return the requester's id. */
    public int requestId()
    {
        return u32(REQUEST_ID_OFFSET);
    }

    /** @return how the request ended. */
    public int status()
    {
        return u8(STATUS_OFFSET);
    }

    /** @return node id of the replier's broker (0 without a reply). */
    public int replierNode()
    {
        return u32(REPLIER_NODE_OFFSET);
    }

    /** @return the replier's uid from the kernel. */
    public int replierUid()
    {
        return u32(REPLIER_UID_OFFSET);
    }

    /** @return the replier's pid from the kernel. */
    public int replierPid()
    {
        return u32(REPLIER_PID_OFFSET);
    }

    /** @return when the broker received the REPLY, ns since the epoch. */
    public long timestampNs()
    {
        return u64(TIMESTAMP_OFFSET);
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

package io.seqbus.wire;

import org.agrona.DirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;
import static io.seqbus.wire.Protocol.HEADER_LENGTH;

/**
 * Checks the framing of a whole datagram before any of its frames takes effect: headers,
 * lengths, types and the direction they travel in. Content rules (topics, patterns, limits)
 * are the receiver's to check afterwards.
 *
 * <p>One instance per thread; it keeps the last failure's offset and reason, so a caller can
 * report them without allocating.
 */
public final class FrameValidator
{
    /** Which side sent the datagram, so frames of the wrong kind are caught. */
    public enum Direction
    {
        /** Client to broker. */
        FROM_CLIENT,
        /** Broker to client. */
        FROM_BROKER,
        /**
         * Broker to brokers over the LAN bridge: a NODE frame first, then ANNOUNCE, DELIVER, DELIVER_MEMFD and
         * FRAGMENT frames, and an AUTH frame last where the brokers share a key.
         */
        ON_LAN
    }

    private final Direction direction;
    private final HeaderBlock headerBlock = new HeaderBlock();
    private int errorOffset;
    private int lastFrameOffset;
    private int helloFrames;
    private int descriptorsClaimed;
    private String errorReason = "";

    /**
     * @param direction the datagrams this instance will check travel in.
     */
    public FrameValidator(final Direction direction)
    {
        this.direction = direction;
    }

    /**
     * @return the offset of the frame that failed the last {@link #validate} call.
     */
    public int errorOffset()
    {
        return errorOffset;
    }

    /**
     * @return a reason for people, describing the last failure.
     */
    public String errorReason()
    {
        return errorReason;
    }

    /**
     * Validates every frame of a datagram that came without descriptors.
     *
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return 0 when well-formed, else the {@link ErrorCode} to answer.
     */
    public int validate(final DirectBuffer buffer, final int offset, final int length)
    {
        return validate(buffer, offset, length, 0);
    }

    /**
     * Validates every frame of a datagram, and that its descriptor frames own exactly the descriptors that came with
     * it: each PUBLISH_FDS or DELIVER_FDS takes the next {@code fd_count} (SPEC.md, "Descriptors"). Framing errors
     * win; a count that does not add up is {@link ErrorCode#DESCRIPTOR_MISMATCH}.
     *
     * @param buffer      holding the datagram.
     * @param offset      of its first byte.
     * @param length      of the datagram.
     * @param descriptors that arrived with it (SCM_RIGHTS), 0 when none.
     * @return 0 when well-formed, else the {@link ErrorCode} to answer.
     */
    public int validate(final DirectBuffer buffer, final int offset, final int length, final int descriptors)
    {
        final int code = validateFrames(buffer, offset, length);
        if (code != 0)
        {
            return code;
        }
        if (descriptorsClaimed != descriptors)
        {
            return fail(offset, ErrorCode.DESCRIPTOR_MISMATCH, descriptorsClaimed == 0 ?
                "descriptors arrived with a datagram that has no descriptor frame" :
                "the frames' fd_counts do not add up to the descriptors that arrived");
        }
        return 0;
    }

    /**
     * @return the descriptors the frames of the datagram the last {@link #validate} call found well-formed claim: the
     * sum of their {@code fd_count}s.
     */
    public int descriptorsClaimed()
    {
        return descriptorsClaimed;
    }

    private int validateFrames(final DirectBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        int at = offset;
        helloFrames = 0;
        descriptorsClaimed = 0;
        if (length == 0)
        {
            return fail(at, ErrorCode.TRUNCATED_FRAME, "empty datagram");
        }
        while (at < end)
        {
            final int code = validateFrame(buffer, at, end - at);
            if (code != 0)
            {
                return code;
            }
            final int type = buffer.getByte(at + Protocol.TYPE_OFFSET);
            if (direction == Direction.ON_LAN && (at == offset) != (type == FrameType.NODE))
            {
                return fail(at, ErrorCode.PROTOCOL_VIOLATION, "a LAN datagram has one NODE frame, the first");
            }
            if (type == FrameType.HELLO)
            {
                helloFrames++;
            }
            else if (type == FrameType.PUBLISH_FDS)
            {
                descriptorsClaimed += buffer.getByte(at + PublishFdsFrame.FD_COUNT_OFFSET) & 0xFF;
            }
            else if (type == FrameType.DELIVER_FDS)
            {
                descriptorsClaimed += buffer.getByte(at + DeliverFdsFrame.FD_COUNT_OFFSET) & 0xFF;
            }
            else if (type == FrameType.SHM_FDS)
            {
                descriptorsClaimed += buffer.getInt(at + ShmFdsFrame.FD_COUNT_OFFSET, BYTE_ORDER);
            }
            else if (type == FrameType.SHM_READY)
            {
                descriptorsClaimed += ShmReadyFrame.DESCRIPTORS;
            }
            lastFrameOffset = at;
            at += buffer.getInt(at, BYTE_ORDER);
            if (type == FrameType.AUTH && at != end)
            {
                return fail(lastFrameOffset, ErrorCode.PROTOCOL_VIOLATION,
                    "a LAN datagram has at most one AUTH frame, the last");
            }
        }
        return 0;
    }

    /**
     * @return the offset of the last frame of the datagram the last {@link #validate} call found well-formed.
     */
    public int lastFrameOffset()
    {
        return lastFrameOffset;
    }

    /**
     * @return how many HELLO frames the datagram the last {@link #validate} call found well-formed holds; with
     * whether the first one is HELLO, that is all a receiver needs to refuse a misplaced HELLO before any frame
     * takes effect.
     */
    public int helloFrames()
    {
        return helloFrames;
    }

    private int validateFrame(final DirectBuffer buffer, final int at, final int remaining)
    {
        if (remaining < HEADER_LENGTH)
        {
            return fail(at, ErrorCode.TRUNCATED_FRAME, "datagram ends inside a frame header");
        }
        // frame_length is a u32: read it unsigned, or a length of 2^31 and up looks negative and
        // is taken for "below the header" instead of "past the end of the datagram".
        final long unsignedLength = buffer.getInt(at + Protocol.LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF_FFFFL;
        if (unsignedLength < HEADER_LENGTH)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the 8-byte header");
        }
        if (unsignedLength > remaining)
        {
            return fail(at, ErrorCode.TRUNCATED_FRAME, "datagram ends before frame_length bytes");
        }
        final int frameLength = (int)unsignedLength;
        final int type = buffer.getByte(at + Protocol.TYPE_OFFSET) & 0xFF;
        if ((buffer.getByte(at + Protocol.FLAGS_OFFSET) & ~allowedFlags(type)) != 0 ||
            buffer.getShort(at + Protocol.RESERVED_OFFSET) != 0)
        {
            return fail(at, ErrorCode.PROTOCOL_VIOLATION, "flags or reserved header bits this frame does not define");
        }
        if (!FrameType.isKnown(type))
        {
            return fail(at, ErrorCode.UNKNOWN_FRAME_TYPE, "frame type not defined in version 1");
        }
        final boolean allowed = direction == Direction.FROM_CLIENT ? FrameType.isSentByClient(type) :
            direction == Direction.FROM_BROKER ? FrameType.isSentByBroker(type) : FrameType.isSentOnLan(type);
        if (!allowed)
        {
            return fail(at, ErrorCode.PROTOCOL_VIOLATION, "frame type is sent by the other side only");
        }
        final int code = validateBody(buffer, at, frameLength, type);
        if (code != 0 || (buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) == 0)
        {
            return code;
        }
        return headerBlocks(buffer, at, frameLength, type);
    }

    private int validateBody(final DirectBuffer buffer, final int at, final int frameLength, final int type)
    {
        switch (type)
        {
            case FrameType.HELLO:
                return hello(buffer, at, frameLength);
            case FrameType.WELCOME:
                // Offset 10 was reserved; it is max_topic_length now, for a client that asked (SPEC.md, WELCOME).
                return welcome(buffer, at, frameLength);
            case FrameType.SUBSCRIBE:
                if (frameLength >= SubscribeFrame.PATTERN_OFFSET &&
                    buffer.getByte(at + SubscribeFrame.RESERVED_OFFSET) != 0)
                {
                    return reservedNotZero(at);
                }
                if ((buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_GROUP) != 0)
                {
                    return subscribeWithGroup(buffer, at, frameLength);
                }
                return exactWithString(
                    buffer, at, frameLength, SubscribeFrame.PATTERN_OFFSET, SubscribeFrame.PATTERN_LENGTH_OFFSET);
            case FrameType.UNSUBSCRIBE:
                return exact(at, frameLength, UnsubscribeFrame.LENGTH);
            case FrameType.PUBLISH:
                return atLeastWithString(
                    buffer, at, frameLength, PublishFrame.TOPIC_OFFSET, PublishFrame.TOPIC_LENGTH_OFFSET);
            case FrameType.DELIVER:
                return atLeastWithString(
                    buffer, at, frameLength, DeliverFrame.TOPIC_OFFSET, DeliverFrame.TOPIC_LENGTH_OFFSET);
            case FrameType.DELIVER_RUN:
                return validateRun(buffer, at, frameLength);
            case FrameType.PUBLISH_FDS:
                return descriptorFrame(buffer, at, frameLength, PublishFdsFrame.TOPIC_OFFSET,
                    PublishFdsFrame.TOPIC_LENGTH_OFFSET, PublishFdsFrame.FD_COUNT_OFFSET,
                    PublishFdsFrame.PAYLOAD_SIZE_OFFSET);
            case FrameType.DELIVER_FDS:
                if (frameLength >= DeliverFdsFrame.TOPIC_OFFSET &&
                    buffer.getShort(at + DeliverFdsFrame.RESERVED_OFFSET) != 0)
                {
                    return reservedNotZero(at);
                }
                return descriptorFrame(buffer, at, frameLength, DeliverFdsFrame.TOPIC_OFFSET,
                    DeliverFdsFrame.TOPIC_LENGTH_OFFSET, DeliverFdsFrame.FD_COUNT_OFFSET,
                    DeliverFdsFrame.PAYLOAD_SIZE_OFFSET);
            case FrameType.GAP:
                if (frameLength == GapFrame.LENGTH && (buffer.getInt(at + GapFrame.REASON_OFFSET, BYTE_ORDER) >>> 8) != 0)
                {
                    return reservedNotZero(at);
                }
                return exact(at, frameLength, GapFrame.LENGTH);
            case FrameType.ERROR:
                if (frameLength >= ErrorFrame.REASON_OFFSET && buffer.getByte(at + ErrorFrame.RESERVED_OFFSET) != 0)
                {
                    return reservedNotZero(at);
                }
                return exactWithString(buffer, at, frameLength, ErrorFrame.REASON_OFFSET, ErrorFrame.REASON_LENGTH_OFFSET);
            case FrameType.PING:
            case FrameType.PONG:
                return exact(at, frameLength, PingFrame.LENGTH);
            case FrameType.STAT_REQUEST:
                return exact(at, frameLength, StatRequestFrame.LENGTH);
            case FrameType.STAT_REPLY:
                if (frameLength < StatReplyFrame.CHUNK_OFFSET)
                {
                    return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part");
                }
                return 0;
            case FrameType.SHM_READY:
                return exact(at, frameLength, ShmReadyFrame.LENGTH);
            case FrameType.SHM_ATTACH:
                if (frameLength == ShmAttachFrame.LENGTH &&
                    buffer.getInt(at + ShmAttachFrame.RESERVED_OFFSET, BYTE_ORDER) != 0)
                {
                    return reservedNotZero(at);
                }
                return exact(at, frameLength, ShmAttachFrame.LENGTH);
            case FrameType.SHM_FDS:
                if (frameLength == ShmFdsFrame.LENGTH)
                {
                    if (buffer.getInt(at + ShmFdsFrame.RESERVED_OFFSET, BYTE_ORDER) != 0)
                    {
                        return reservedNotZero(at);
                    }
                    final int count = buffer.getInt(at + ShmFdsFrame.FD_COUNT_OFFSET, BYTE_ORDER);
                    if (count < 1 || count > Protocol.MAX_DESCRIPTORS_PER_SEND)
                    {
                        return fail(at, ErrorCode.PROTOCOL_VIOLATION, "SHM_FDS fd_count is not 1..253");
                    }
                }
                return exact(at, frameLength, ShmFdsFrame.LENGTH);
            case FrameType.NODE:
                if (frameLength == NodeFrame.LENGTH && buffer.getInt(at + NodeFrame.RESERVED_OFFSET, BYTE_ORDER) != 0)
                {
                    return reservedNotZero(at);
                }
                return exact(at, frameLength, NodeFrame.LENGTH);
            case FrameType.ANNOUNCE:
                if (frameLength >= AnnounceFrame.NODE_NAME_OFFSET &&
                    buffer.getByte(at + AnnounceFrame.RESERVED_OFFSET) != 0)
                {
                    return reservedNotZero(at);
                }
                return exactWithString(
                    buffer, at, frameLength, AnnounceFrame.NODE_NAME_OFFSET, AnnounceFrame.NODE_NAME_LENGTH_OFFSET);
            case FrameType.AUTH:
                return exact(at, frameLength, AuthFrame.LENGTH);
            case FrameType.DELIVER_MEMFD:
                // With HEADERS the header block follows the topic (its length is checked in headerBlocks).
                return (buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) != 0 ?
                    atLeastWithString(buffer, at, frameLength, DeliverMemfdFrame.TOPIC_OFFSET,
                    DeliverMemfdFrame.TOPIC_LENGTH_OFFSET) :
                    exactWithString(buffer, at, frameLength, DeliverMemfdFrame.TOPIC_OFFSET,
                    DeliverMemfdFrame.TOPIC_LENGTH_OFFSET);
            case FrameType.GROUPS:
            {
                final String groupsError = GroupsFrame.framingError(buffer, at, frameLength);
                return groupsError == null ? 0 : fail(at, ErrorCode.BAD_FRAME_LENGTH, groupsError);
            }
            case FrameType.REQUEST:
            case FrameType.DELIVER_REQUEST:
            case FrameType.REPLY:
            case FrameType.RESPONSE:
                return requestFrame(buffer, at, frameLength, type);
            case FrameType.LAN_REPLY:
                return lanReply(buffer, at, frameLength);
            case FrameType.FRAGMENT:
                if (frameLength <= FragmentFrame.BYTES_OFFSET)
                {
                    return fail(at, ErrorCode.BAD_FRAME_LENGTH, "a FRAGMENT carries at least one byte");
                }
                return 0;
            default:
                return fail(at, ErrorCode.UNKNOWN_FRAME_TYPE, "frame type not defined in version 1");
        }
    }

    private int lanReply(final DirectBuffer buffer, final int at, final int frameLength)
    {
        if (frameLength < LanReplyFrame.PAYLOAD_OFFSET)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part");
        }
        final int flags = buffer.getByte(at + Protocol.FLAGS_OFFSET);
        final int none = flags & (LanReplyFrame.FLAG_NO_RESPONDERS | LanReplyFrame.FLAG_RESPONDERS_GONE);
        if (none == 0)
        {
            return 0;
        }
        if (flags != LanReplyFrame.FLAG_NO_RESPONDERS && flags != LanReplyFrame.FLAG_RESPONDERS_GONE)
        {
            return fail(at, ErrorCode.PROTOCOL_VIOLATION,
                "a LAN_REPLY that says no reply comes has that one flag alone (not both, not HEADERS)");
        }
        return frameLength == LanReplyFrame.PAYLOAD_OFFSET ? 0 :
            fail(at, ErrorCode.BAD_FRAME_LENGTH, "a LAN_REPLY that says no reply comes carries no payload");
    }

    private int exact(final int at, final int frameLength, final int expected)
    {
        if (frameLength != expected)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length differs from the type's fixed length");
        }
        return 0;
    }

    private int hello(final DirectBuffer buffer, final int at, final int frameLength)
    {
        if (frameLength < HelloFrame.NAME_OFFSET)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part");
        }
        final int flags = buffer.getInt(at + HelloFrame.FLAGS_OFFSET, BYTE_ORDER);
        final int trailer = (flags & HelloFrame.FLAG_SESSION) != 0 ? HelloFrame.SESSION_LENGTH : 0;
        return exactWithString(
            buffer, at, frameLength - trailer, HelloFrame.NAME_OFFSET, HelloFrame.NAME_LENGTH_OFFSET);
    }

    // The trailer is there exactly when the HELLO asked for it; a reader that did not ask never sees it.
    private int welcome(final DirectBuffer buffer, final int at, final int frameLength)
    {
        if (frameLength >= WelcomeFrame.NODE_NAME_OFFSET)
        {
            final int nameEnd = WelcomeFrame.NODE_NAME_OFFSET +
                (buffer.getShort(at + WelcomeFrame.NODE_NAME_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF);
            // The trailers' lengths (16 descriptors, 8 services, 24 both) say which are there (SPEC.md, WELCOME).
            final int trailerBytes = frameLength - nameEnd;
            if (WelcomeFrame.isDescriptorTrailer(trailerBytes))
            {
                return buffer.getInt(at + nameEnd + WelcomeFrame.DESCRIPTOR_LIMITS_RESERVED_OFFSET, BYTE_ORDER) != 0 ?
                    reservedNotZero(at) : 0;
            }
            if (WelcomeFrame.isServiceTrailer(trailerBytes))
            {
                return 0;
            }
        }
        return exactWithString(
            buffer, at, frameLength, WelcomeFrame.NODE_NAME_OFFSET, WelcomeFrame.NODE_NAME_LENGTH_OFFSET);
    }

    // PUBLISH_FDS and DELIVER_FDS: a topic, 1 or more descriptors, known fd_flags only, and the payload either in the
    // memfd (payload_size, nothing inline) or inline (payload_size 0), never both.
    private int descriptorFrame(
        final DirectBuffer buffer, final int at, final int frameLength, final int fixed, final int topicLengthOffset,
        final int fdCountOffset, final int payloadSizeOffset)
    {
        final int code = atLeastWithString(buffer, at, frameLength, fixed, topicLengthOffset);
        if (code != 0)
        {
            return code;
        }
        if (buffer.getByte(at + fdCountOffset) == 0)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "fd_count is 0: a descriptor frame owns at least one");
        }
        final int fdFlags = buffer.getByte(at + fdCountOffset + 1) & 0xFF;
        if ((fdFlags & ~PublishFdsFrame.KNOWN_FD_FLAGS) != 0)
        {
            return fail(at, ErrorCode.PROTOCOL_VIOLATION, "fd_flags bits that version 1 does not define are set");
        }
        final int inline = frameLength - fixed - (buffer.getShort(at + topicLengthOffset, BYTE_ORDER) & 0xFFFF);
        if ((fdFlags & PublishFdsFrame.MEMFD_PAYLOAD) != 0)
        {
            // With HEADERS the header block is inline beside the memfd, and nothing else (headerBlocks checks it).
            if (inline != 0 && (buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) == 0)
            {
                return fail(at, ErrorCode.BAD_FRAME_LENGTH, "inline payload bytes beside a memfd payload");
            }
        }
        else if (buffer.getLong(at + payloadSizeOffset, BYTE_ORDER) != 0)
        {
            return fail(at, ErrorCode.PROTOCOL_VIOLATION, "payload_size is not 0 without MEMFD_PAYLOAD");
        }
        return 0;
    }

    private int exactWithString(
        final DirectBuffer buffer, final int at, final int frameLength, final int fixed, final int lengthOffset)
    {
        if (frameLength < fixed)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part");
        }
        final int stringLength = buffer.getShort(at + lengthOffset, BYTE_ORDER) & 0xFFFF;
        if (fixed + stringLength != frameLength)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "string length disagrees with frame_length");
        }
        return 0;
    }

    // SUBSCRIBE with GROUP: the pattern, then u8 group_length and exactly that many bytes to the frame's end. The
    // name's content (1..64 bytes, a topic token) is the broker's to check: INVALID_GROUP refuses that subscription
    // only, where a framing error here refuses the whole datagram.
    private int subscribeWithGroup(final DirectBuffer buffer, final int at, final int frameLength)
    {
        final int code = atLeastWithString(
            buffer, at, frameLength, SubscribeFrame.PATTERN_OFFSET, SubscribeFrame.PATTERN_LENGTH_OFFSET);
        if (code != 0)
        {
            return code;
        }
        final int groupLengthAt = SubscribeFrame.PATTERN_OFFSET +
            (buffer.getShort(at + SubscribeFrame.PATTERN_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF);
        if (groupLengthAt + SubscribeFrame.GROUP_LENGTH_FIELD > frameLength)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "SUBSCRIBE with GROUP ends before group_length");
        }
        final int groupLength = buffer.getByte(at + groupLengthAt) & 0xFF;
        if (groupLengthAt + SubscribeFrame.GROUP_LENGTH_FIELD + groupLength != frameLength)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "group_length disagrees with frame_length");
        }
        return 0;
    }

    private int atLeastWithString(
        final DirectBuffer buffer, final int at, final int frameLength, final int fixed, final int lengthOffset)
    {
        if (frameLength < fixed)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part");
        }
        final int stringLength = buffer.getShort(at + lengthOffset, BYTE_ORDER) & 0xFFFF;
        if (fixed + stringLength > frameLength)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "topic length runs past the frame");
        }
        return 0;
    }

    private int validateRun(final DirectBuffer buffer, final int at, final int frameLength)
    {
        final int code = atLeastWithString(
            buffer, at, frameLength, DeliverRunFrame.TOPIC_OFFSET, DeliverRunFrame.TOPIC_LENGTH_OFFSET);
        if (code != 0)
        {
            return code;
        }
        final long count = buffer.getInt(at + DeliverRunFrame.COUNT_OFFSET, BYTE_ORDER) & 0xFFFF_FFFFL;
        final int end = at + frameLength;
        int entry = at + DeliverRunFrame.TOPIC_OFFSET +
            (buffer.getShort(at + DeliverRunFrame.TOPIC_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF);
        long seen = 0;
        while (entry < end)
        {
            if (end - entry < DeliverRunFrame.ENTRY_HEADER_LENGTH)
            {
                return fail(at, ErrorCode.BAD_FRAME_LENGTH, "a run entry's length runs past the frame");
            }
            final long length = buffer.getInt(entry, BYTE_ORDER) & 0xFFFF_FFFFL;
            if (length > end - entry - DeliverRunFrame.ENTRY_HEADER_LENGTH)
            {
                return fail(at, ErrorCode.BAD_FRAME_LENGTH, "a run entry's payload runs past the frame");
            }
            entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + (int)length;
            seen++;
        }
        if (seen != count || count == 0)
        {
            return fail(at, ErrorCode.BAD_FRAME_LENGTH, "a run's count disagrees with its entries");
        }
        return 0;
    }

    // The header block (SPEC.md, "Headers") of a frame with HEADERS. From a client only that it is there is framing:
    // its content is the broker's to check per frame against its limits (non-fatal INVALID_HEADERS, that frame
    // alone), so one bad block does not take the other frames of its datagram with it. From a broker or a LAN peer
    // there is nobody to refuse one frame to: the whole block is checked here, against the format's own limits.
    private int headerBlocks(final DirectBuffer buffer, final int at, final int frameLength, final int type)
    {
        final int end = at + frameLength;
        switch (type)
        {
            case FrameType.PUBLISH:
                return headerBlock(buffer, at,
                    payloadStart(buffer, at, PublishFrame.TOPIC_OFFSET, PublishFrame.TOPIC_LENGTH_OFFSET), end, false);
            case FrameType.DELIVER:
                return headerBlock(buffer, at,
                    payloadStart(buffer, at, DeliverFrame.TOPIC_OFFSET, DeliverFrame.TOPIC_LENGTH_OFFSET), end, false);
            case FrameType.PUBLISH_FDS:
                return headerBlock(buffer, at,
                    payloadStart(buffer, at, PublishFdsFrame.TOPIC_OFFSET, PublishFdsFrame.TOPIC_LENGTH_OFFSET), end,
                    (buffer.getByte(at + PublishFdsFrame.FD_FLAGS_OFFSET) & PublishFdsFrame.MEMFD_PAYLOAD) != 0);
            case FrameType.DELIVER_FDS:
                return headerBlock(buffer, at,
                    payloadStart(buffer, at, DeliverFdsFrame.TOPIC_OFFSET, DeliverFdsFrame.TOPIC_LENGTH_OFFSET), end,
                    (buffer.getByte(at + DeliverFdsFrame.FD_FLAGS_OFFSET) & PublishFdsFrame.MEMFD_PAYLOAD) != 0);
            case FrameType.DELIVER_MEMFD:
                return headerBlock(buffer, at,
                    payloadStart(buffer, at, DeliverMemfdFrame.TOPIC_OFFSET, DeliverMemfdFrame.TOPIC_LENGTH_OFFSET),
                    end, true);
            case FrameType.DELIVER_RUN:
            {
                int entry =
                    payloadStart(buffer, at, DeliverRunFrame.TOPIC_OFFSET, DeliverRunFrame.TOPIC_LENGTH_OFFSET);
                while (entry < end)
                {
                    final int entryEnd = entry + DeliverRunFrame.ENTRY_HEADER_LENGTH + buffer.getInt(entry, BYTE_ORDER);
                    final int code = headerBlock(buffer, at, entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, entryEnd, false);
                    if (code != 0)
                    {
                        return code;
                    }
                    entry = entryEnd;
                }
                return 0;
            }
            case FrameType.REQUEST:
                return headerBlock(buffer, at,
                    payloadStart(buffer, at, RequestFrame.TOPIC_OFFSET, RequestFrame.TOPIC_LENGTH_OFFSET), end, false);
            case FrameType.DELIVER_REQUEST:
                return headerBlock(buffer, at, payloadStart(buffer, at, DeliverRequestFrame.TOPIC_OFFSET,
                    DeliverRequestFrame.TOPIC_LENGTH_OFFSET), end, false);
            case FrameType.REPLY:
                return headerBlock(buffer, at, at + ReplyFrame.PAYLOAD_OFFSET, end, false);
            case FrameType.RESPONSE:
                // Only a REPLIED RESPONSE has a payload (requestFrame), so only it can carry the block.
                return headerBlock(buffer, at, at + ResponseFrame.PAYLOAD_OFFSET, end, false);
            case FrameType.LAN_REPLY:
                return headerBlock(buffer, at, at + LanReplyFrame.PAYLOAD_OFFSET, end, false);
            default:
                return 0;
        }
    }

    private static int payloadStart(
        final DirectBuffer buffer, final int at, final int topicOffset, final int topicLengthOffset)
    {
        return at + topicOffset + (buffer.getShort(at + topicLengthOffset, BYTE_ORDER) & 0xFFFF);
    }

    private int headerBlock(
        final DirectBuffer buffer, final int at, final int payload, final int end, final boolean blockOnly)
    {
        final int available = end - payload;
        if (available < HeaderBlock.LENGTH_FIELD || HeaderBlock.blockLength(buffer, payload) < HeaderBlock.LENGTH_FIELD ||
            HeaderBlock.blockLength(buffer, payload) > available)
        {
            return fail(at, ErrorCode.INVALID_HEADERS, "HEADERS set and no header block fits the payload (block at byte " +
                (payload - at) + " of the frame)");
        }
        if (blockOnly && HeaderBlock.blockLength(buffer, payload) != available)
        {
            return fail(at, ErrorCode.INVALID_HEADERS, "beside a memfd payload the header block is the only inline part");
        }
        if (direction == Direction.FROM_CLIENT)
        {
            return 0;
        }
        if (headerBlock.check(buffer, payload, available, HeaderBlock.MAX_BLOCK_LENGTH, Integer.MAX_VALUE) != 0)
        {
            return fail(at, ErrorCode.INVALID_HEADERS, headerBlock.errorReason() + " (header block at byte " +
                (payload - at) + " of the frame, byte " + headerBlock.errorOffset() + " of the block)");
        }
        return 0;
    }

    // Requests and replies (SPEC.md, "Requests and replies"): the lengths here; request_id and timeout_ms are the
    // broker's to check (INVALID_REQUEST).
    private int requestFrame(final DirectBuffer buffer, final int at, final int frameLength, final int type)
    {
        switch (type)
        {
            case FrameType.REQUEST:
                return atLeastWithString(
                    buffer, at, frameLength, RequestFrame.TOPIC_OFFSET, RequestFrame.TOPIC_LENGTH_OFFSET);
            case FrameType.DELIVER_REQUEST:
                return atLeastWithString(buffer, at, frameLength, DeliverRequestFrame.TOPIC_OFFSET,
                    DeliverRequestFrame.TOPIC_LENGTH_OFFSET);
            case FrameType.REPLY:
                return frameLength < ReplyFrame.PAYLOAD_OFFSET ?
                    fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part") : 0;
            default:
                if (frameLength < ResponseFrame.PAYLOAD_OFFSET)
                {
                    return fail(at, ErrorCode.BAD_FRAME_LENGTH, "frame_length below the type's fixed part");
                }
                if (buffer.getByte(at + ResponseFrame.RESERVED_OFFSET) != 0 ||
                    buffer.getShort(at + ResponseFrame.RESERVED_OFFSET + 1) != 0 ||
                    buffer.getInt(at + ResponseFrame.RESERVED2_OFFSET) != 0)
                {
                    return reservedNotZero(at);
                }
                if (frameLength > ResponseFrame.PAYLOAD_OFFSET &&
                    (buffer.getByte(at + ResponseFrame.STATUS_OFFSET) & 0xFF) != ResponseFrame.REPLIED)
                {
                    return fail(at, ErrorCode.BAD_FRAME_LENGTH, "a RESPONSE carries a payload only when REPLIED");
                }
                return 0;
        }
    }

    private int reservedNotZero(final int at)
    {
        return fail(at, ErrorCode.PROTOCOL_VIOLATION, "reserved field is not 0");
    }

    private int fail(final int at, final int code, final String reason)
    {
        errorOffset = at;
        errorReason = reason;
        return code;
    }

    // Issue 19 (docs/design/service-patterns.md): which frame-header flags a frame type may carry. Each constant
    // below turns a flag on once its check exists in this class; until then the flag is refused, as in version 1.
    private static final int HEADER_FLAGS = Protocol.FLAG_HEADERS; // the header block's check: headerBlocks
    private static final int REQUEST_HEADER_FLAGS = Protocol.FLAG_HEADERS; // requests and replies: headerBlocks
    private static final int SUBSCRIBE_FLAGS = Protocol.FLAG_GROUP; // with subscribeWithGroup's check
    // A LAN_REPLY: HEADERS as a REPLY's (headerBlocks), or saying that no reply will come from its broker, one such
    // flag at most and then no payload (lanReply).
    private static final int LAN_REPLY_FLAGS =
        Protocol.FLAG_HEADERS | LanReplyFrame.FLAG_NO_RESPONDERS | LanReplyFrame.FLAG_RESPONDERS_GONE;

    private static int allowedFlags(final int type)
    {
        switch (type)
        {
            case FrameType.PUBLISH:
            case FrameType.PUBLISH_FDS:
            case FrameType.DELIVER:
            case FrameType.DELIVER_RUN:
            case FrameType.DELIVER_FDS:
            case FrameType.DELIVER_MEMFD:
                return HEADER_FLAGS;
            case FrameType.REQUEST:
            case FrameType.DELIVER_REQUEST:
            case FrameType.REPLY:
            case FrameType.RESPONSE:
                return REQUEST_HEADER_FLAGS;
            case FrameType.SUBSCRIBE:
                return SUBSCRIBE_FLAGS;
            case FrameType.LAN_REPLY:
                return LAN_REPLY_FLAGS;
            default:
                return 0;
        }
    }
}

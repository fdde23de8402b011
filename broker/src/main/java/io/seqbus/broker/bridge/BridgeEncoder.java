package io.seqbus.broker.bridge;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.seqbus.broker.log.Log;
import io.seqbus.wire.AnnounceFrame;
import io.seqbus.wire.GroupsFrame;
import io.seqbus.wire.AuthFrame;
import io.seqbus.sys.Mapping;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverMemfdFrame;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.LanReplyFrame;
import io.seqbus.wire.FragmentFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.NodeFrame;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The outgoing side of the bridge. Local messages on shared topics are appended as DELIVER frames
 * ({@code subscription_id} 0, every origin field kept) to a backlog; each duty cycle the backlog goes out as
 * Aeron messages of a NODE frame plus as many whole DELIVERs as fit one Aeron frame (one big message alone
 * if it does not fit), so many messages share one UDP datagram. A memfd payload goes as a DELIVER_MEMFD, the last
 * message of its batch, followed by its bytes in FRAGMENT frames of up to 1 MiB, one per Aeron message, copied from
 * a read-only mapping of the memfd; nothing else goes out between them, so order holds. A refused offer (back
 * pressure) leaves the backlog (or the rest of a payload) for the next cycle; the agent holds local publishers back
 * while it is long. With a shared key every datagram ends in an AUTH frame.
 */
final class BridgeEncoder
{
    /** Payload bytes of one FRAGMENT at most. */
    static final int MAX_FRAGMENT_BYTES = 1 << 20;

    /** Stands in the payload queue for one that could not be mapped. */
    private static final Mapping UNMAPPED = unmapped();

    private final ExclusivePublication publication;
    private final BridgeCounters counters;
    private final LanAuthenticator authenticator;
    private final int authLength;
    private final int nodeId;
    private final long instanceId;
    private final int batchLength;
    private final int fragmentBytes;
    private final ArrayDeque<Mapping> payloads = new ArrayDeque<>();
    private final UnsafeBuffer payloadView = new UnsafeBuffer(0, 0);
    private Mapping sending;
    private long fragmentOffset;
    private long payloadBacklogBytes;
    private final ExpandableDirectByteBuffer backlog = new ExpandableDirectByteBuffer(1024 * 1024);
    private final UnsafeBuffer send;
    private final UnsafeBuffer groupsBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final UnsafeBuffer announce = new UnsafeBuffer(ByteBuffer.allocateDirect(
        NodeFrame.LENGTH + AnnounceFrame.NODE_NAME_OFFSET + Protocol.MAX_NAME_LENGTH + AuthFrame.LENGTH));
    private int readOffset;
    private int writeOffset;
    private long nextSequence = 1;
    private long messagesOut;
    private long bytesOut;

    BridgeEncoder(
        final ExclusivePublication publication, final BridgeCounters counters, final int nodeId, final long instanceId,
        final int largestDeliver, final LanAuthenticator authenticator)
    {
        this.publication = publication;
        this.counters = counters;
        this.authenticator = authenticator;
        this.authLength = authenticator == null ? 0 : AuthFrame.LENGTH;
        this.nodeId = nodeId;
        this.instanceId = instanceId;
        // The AUTH frame must fit the same Aeron frame as what it signs.
        this.batchLength = publication.maxPayloadLength() - authLength;
        final int largestMessage = NodeFrame.LENGTH + largestDeliver + authLength;
        if (largestMessage > publication.maxMessageLength())
        {
            throw new IllegalArgumentException("the LAN channel's term length allows messages of at most " +
                publication.maxMessageLength() + " bytes; the largest DELIVER needs " + largestMessage +
                ": raise term-length or lower max payload");
        }
        // A fragment fills one Aeron message (at most term length / 8), up to 1 MiB.
        this.fragmentBytes = Math.min(MAX_FRAGMENT_BYTES,
            publication.maxMessageLength() - NodeFrame.LENGTH - FragmentFrame.BYTES_OFFSET - authLength);
        this.send = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(Math.max(batchLength + authLength,
            largestMessage), NodeFrame.LENGTH + FragmentFrame.BYTES_OFFSET + fragmentBytes + authLength)));
    }

    /**
     * Queues one local message for the LAN.
     */
    void append(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final int headerFlag)
    {
        if (readOffset == writeOffset)
        {
            readOffset = 0;
            writeOffset = 0;
        }
        final int at = writeOffset;
        writeOffset += DeliverFrame.encode(backlog, writeOffset, 0, sourceNode, publisherId, sequence, timestampNs,
            uid, pid, buffer, topicIndex, topicLength, payloadLength);
        // HEADERS crosses as it came: the header block is the start of the payload copied above.
        backlog.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
    }

    /**
     * Queues one local request for the LAN: a DELIVER_REQUEST with this broker's token, numbered as a DELIVER.
     */
    void appendRequest(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final long replyToken, final int headerFlag)
    {
        if (readOffset == writeOffset)
        {
            readOffset = 0;
            writeOffset = 0;
        }
        final int at = writeOffset;
        writeOffset += DeliverRequestFrame.encode(backlog, writeOffset, 0, sourceNode, publisherId, sequence,
            timestampNs, uid, pid, replyToken, buffer, topicIndex, topicLength, payloadLength);
        // HEADERS crosses as it came: the header block is the start of the payload copied above.
        backlog.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
    }

    /**
     * Queues a LAN_REPLY, in order with the messages: not numbered (a lost one ends its request in TIMED_OUT).
     *
     * @param headerFlag the REPLY's HEADERS flag: the payload starts with its header block, which crosses with it.
     */
    void appendLanReply(
        final int targetNode, final long replyToken, final int replierNode, final int replierUid,
        final int replierPid, final long timestampNs, final DirectBuffer payload, final int payloadIndex,
        final int payloadLength, final int headerFlag)
    {
        if (readOffset == writeOffset)
        {
            readOffset = 0;
            writeOffset = 0;
        }
        final int at = writeOffset;
        writeOffset += LanReplyFrame.encode(backlog, writeOffset, targetNode, replyToken, replierNode, replierUid,
            replierPid, timestampNs, payload, payloadIndex, payloadLength);
        backlog.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
    }

    /**
     * Queues a LAN_REPLY that says no reply will come from this broker ({@link LanReplyFrame#encodeNone}).
     */
    void appendLanNone(final int targetNode, final long replyToken, final int replierNode, final long timestampNs,
        final int flag)
    {
        if (readOffset == writeOffset)
        {
            readOffset = 0;
            writeOffset = 0;
        }
        writeOffset += LanReplyFrame.encodeNone(backlog, writeOffset, targetNode, replyToken, replierNode,
            timestampNs, flag);
    }

    /**
     * @return bytes waiting to go out.
     */
    int backlogBytes()
    {
        return writeOffset - readOffset;
    }

    /**
     * Queues one local memfd payload for the LAN, in order with the messages queued before and after it: a
     * DELIVER_MEMFD in the backlog, and the payload's read-only mapping, from which its fragments are copied into
     * Aeron when its turn comes. The mapping keeps the bytes after the caller closes the descriptor.
     *
     * @param memfd       the sealed payload memfd; the caller keeps it.
     * @param payloadSize its size, at most the LAN bound.
     */
    void appendMemfd(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int memfd, final long payloadSize,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid)
    {
        appendMemfd(buffer, topicIndex, topicLength, memfd, payloadSize, sourceNode, publisherId, sequence,
            timestampNs, uid, pid, buffer, 0, 0);
    }

    /**
     * As {@link #appendMemfd(DirectBuffer, int, int, int, long, int, long, long, long, int, int)}, with a header
     * block: it follows the topic in the DELIVER_MEMFD, whose header then has {@code HEADERS} (SPEC.md, "Headers").
     *
     * @param blockLength bytes of the block at {@code blockIndex} of {@code block}; 0 for none.
     */
    void appendMemfd(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int memfd, final long payloadSize,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final DirectBuffer block, final int blockIndex, final int blockLength)
    {
        Mapping mapping;
        try
        {
            mapping = Mapping.readOnly(memfd, payloadSize);
        }
        catch (final IOException ex)
        {
            // Queued anyway, without bytes: its bridge sequence is skipped, so receivers count it lost.
            Log.warn("bridge: cannot map a memfd payload of " + payloadSize + " bytes for the LAN: " + ex.getMessage() +
                "; its receivers get a GAP");
            mapping = null;
        }
        if (readOffset == writeOffset)
        {
            readOffset = 0;
            writeOffset = 0;
        }
        final int at = writeOffset;
        writeOffset += DeliverMemfdFrame.encode(backlog, writeOffset, sourceNode, publisherId, sequence, timestampNs,
            uid, pid, payloadSize, buffer, topicIndex, topicLength);
        if (blockLength > 0)
        {
            backlog.putBytes(writeOffset, block, blockIndex, blockLength);
            writeOffset += blockLength;
            backlog.putInt(at + Protocol.LENGTH_OFFSET, writeOffset - at, Protocol.BYTE_ORDER);
            backlog.putByte(at + Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        }
        payloads.addLast(mapping == null ? UNMAPPED : mapping);
        payloadBacklogBytes += payloadSize;
        counters.set(BridgeCounters.PAYLOAD_BACKLOG_BYTES, payloadBacklogBytes);
    }

    /**
     * @return payload bytes one FRAGMENT carries at most: what one Aeron message holds, up to 1 MiB.
     */
    int fragmentBytes()
    {
        return fragmentBytes;
    }

    /**
     * @return memfd payloads queued or being sent.
     */
    int payloadsQueued()
    {
        return payloads.size() + (sending == null ? 0 : 1);
    }

    /**
     * @return bytes of memfd payloads queued or being sent (the publishers' memory, mapped), not yet sent.
     */
    long payloadBacklogBytes()
    {
        return payloadBacklogBytes;
    }

    /**
     * Sends as much of the backlog as Aeron takes now: the fragments of a payload being sent first, then batches
     * of messages; a DELIVER_MEMFD ends its batch, and its payload's fragments follow it before anything else.
     *
     * @return Aeron messages sent.
     */
    int drain()
    {
        int sent = 0;
        while (true)
        {
            if (sending != null)
            {
                sent += sendFragments();
                if (sending != null)
                {
                    break;
                }
                continue;
            }
            if (readOffset >= writeOffset)
            {
                break;
            }
            if (Protocol.frameType(backlog, readOffset) == FrameType.DELIVER_MEMFD && payloads.peekFirst() == UNMAPPED)
            {
                // A payload that could not be mapped: its number is skipped, receivers see the jump.
                payloads.pollFirst();
                unmappedSkipped(Protocol.frameLength(backlog, readOffset));
                continue;
            }
            int length = NodeFrame.encode(send, 0, nodeId, instanceId, nextSequence);
            int at = readOffset;
            int frames = 0;
            int delivers = 0; // numbered in the bridge sequence: all but LAN_REPLY
            long payloadBytes = 0;
            boolean startsPayload = false;
            while (at < writeOffset)
            {
                final int frameLength = Protocol.frameLength(backlog, at);
                final int type = Protocol.frameType(backlog, at);
                final boolean memfd = type == FrameType.DELIVER_MEMFD;
                if (frames > 0 && (length + frameLength > batchLength || (memfd && payloads.peekFirst() == UNMAPPED)))
                {
                    break;
                }
                send.putBytes(length, backlog, at, frameLength);
                if (type == FrameType.DELIVER)
                {
                    payloadBytes += frameLength - DeliverFrame.TOPIC_OFFSET -
                        (backlog.getShort(at + DeliverFrame.TOPIC_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF);
                }
                length += frameLength;
                at += frameLength;
                frames++;
                if (type != FrameType.LAN_REPLY)
                {
                    delivers++;
                }
                if (memfd)
                {
                    startsPayload = true;
                    break;
                }
            }
            if (authenticator != null)
            {
                length = authenticator.sign(send, 0, length);
            }
            final long result = publication.offer(send, 0, length);
            if (result > 0)
            {
                sent++;
                counters.increment(BridgeCounters.DATAGRAMS_OUT);
                messagesOut += delivers;
                bytesOut += payloadBytes;
                counters.set(BridgeCounters.MESSAGES_OUT, messagesOut);
                counters.set(BridgeCounters.BYTES_OUT, bytesOut);
                if (startsPayload)
                {
                    sending = payloads.pollFirst();
                    fragmentOffset = 0;
                }
            }
            else if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
            {
                counters.increment(BridgeCounters.BACK_PRESSURE);
                break;
            }
            else
            {
                // No receiver connected (nobody to owe these to), or the publication is gone. The sequence
                // still advances, so a receiver that comes back sees the jump and reports it.
                counters.add(BridgeCounters.MESSAGES_UNSENT, delivers);
                if (result != Publication.NOT_CONNECTED)
                {
                    Log.warn("bridge: offer failed: " + Publication.errorString(result));
                }
                if (startsPayload)
                {
                    done(payloads.pollFirst());
                }
            }
            nextSequence += delivers;
            readOffset = at;
            if (result <= 0 && result != Publication.NOT_CONNECTED)
            {
                break;
            }
        }
        compact();
        return sent;
    }

    /**
     * Offers the fragments of the payload being sent, from where the last call stopped, until it is all sent or
     * Aeron pushes back.
     *
     * @return fragments sent.
     */
    private int sendFragments()
    {
        int sent = 0;
        final Mapping mapping = sending;
        final long size = mapping.length();
        if (size > 0)
        {
            payloadView.wrap(mapping.address(), (int)size);
        }
        while (fragmentOffset < size)
        {
            final int n = (int)Math.min(fragmentBytes, size - fragmentOffset);
            int length = NodeFrame.encode(send, 0, nodeId, instanceId, nextSequence);
            length += FragmentFrame.encode(send, length, fragmentOffset, payloadView, (int)fragmentOffset, n);
            if (authenticator != null)
            {
                length = authenticator.sign(send, 0, length);
            }
            final long result = publication.offer(send, 0, length);
            if (result > 0)
            {
                sent++;
                counters.increment(BridgeCounters.DATAGRAMS_OUT);
                fragmentOffset += n;
                payloadBacklogBytes -= n;
            }
            else if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
            {
                counters.increment(BridgeCounters.BACK_PRESSURE);
                counters.set(BridgeCounters.PAYLOAD_BACKLOG_BYTES, payloadBacklogBytes);
                return sent;
            }
            else
            {
                // Nobody to send the rest to, or the publication is gone: a receiver that was there drops the
                // partial payload when the sender's next message comes, and counts it lost.
                if (result != Publication.NOT_CONNECTED)
                {
                    Log.warn("bridge: offer failed: " + Publication.errorString(result));
                }
                payloadBacklogBytes -= size - fragmentOffset;
                fragmentOffset = size;
                done(mapping);
                return sent;
            }
        }
        bytesOut += size;
        counters.set(BridgeCounters.BYTES_OUT, bytesOut);
        counters.increment(BridgeCounters.PAYLOADS_OUT);
        done(mapping);
        return sent;
    }

    private void unmappedSkipped(final int frameLength)
    {
        payloadBacklogBytes -= backlog.getLong(readOffset + DeliverMemfdFrame.PAYLOAD_SIZE_OFFSET, Protocol.BYTE_ORDER);
        counters.set(BridgeCounters.PAYLOAD_BACKLOG_BYTES, payloadBacklogBytes);
        counters.add(BridgeCounters.MESSAGES_UNSENT, 1);
        nextSequence++;
        readOffset += frameLength;
    }

    private void done(final Mapping mapping)
    {
        if (mapping == sending)
        {
            sending = null;
        }
        else
        {
            payloadBacklogBytes -= mapping.length();
        }
        mapping.close();
        counters.set(BridgeCounters.PAYLOAD_BACKLOG_BYTES, payloadBacklogBytes);
    }

    private void compact()
    {
        final int remaining = writeOffset - readOffset;
        if (readOffset > 0 && readOffset >= remaining)
        {
            // Move what is left to the front (no overlap), so a backlog that never empties never grows.
            backlog.putBytes(0, backlog, readOffset, remaining);
            readOffset = 0;
            writeOffset = remaining;
        }
        counters.set(BridgeCounters.BACKLOG_BYTES, remaining);
    }

    /**
     * Unmaps every payload still queued (the bridge is closing).
     */
    void closePayloads()
    {
        if (sending != null)
        {
            done(sending);
        }
        for (Mapping m = payloads.pollFirst(); m != null; m = payloads.pollFirst())
        {
            if (m != UNMAPPED)
            {
                done(m);
            }
        }
        payloadBacklogBytes = 0;
        counters.set(BridgeCounters.PAYLOAD_BACKLOG_BYTES, 0);
    }

    private static Mapping unmapped()
    {
        try
        {
            return Mapping.readOnly(-1, 0);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("an empty mapping maps nothing", ex);
        }
    }

    /**
     * Offers a GROUPS in a datagram of its own (a broker before issue 19 refuses the datagram, not the ANNOUNCE).
     *
     * @param entries this broker's queue groups by pattern, at most {@link GroupsFrame#MAX_ENTRIES}.
     * @return true if Aeron took it.
     */
    boolean groups(final java.util.List<GroupsFrame.Entry> entries)
    {
        final int needed = NodeFrame.LENGTH + GroupsFrame.lengthOf(entries) + AuthFrame.LENGTH;
        if (groupsBuffer.capacity() < needed)
        {
            groupsBuffer.wrap(ByteBuffer.allocateDirect(needed));
        }
        int length = NodeFrame.encode(groupsBuffer, 0, nodeId, instanceId, nextSequence);
        length += GroupsFrame.encode(groupsBuffer, length, entries);
        if (authenticator != null)
        {
            length = authenticator.sign(groupsBuffer, 0, length);
        }
        return publication.offer(groupsBuffer, 0, length) > 0;
    }

    /**
     * Offers an ANNOUNCE.
     *
     * @return true if Aeron took it.
     */
    boolean announce(final long startTimeMs, final long messagesIn, final long bytesIn, final int state,
        final String nodeName)
    {
        int length = NodeFrame.encode(announce, 0, nodeId, instanceId, nextSequence);
        length += AnnounceFrame.encode(announce, length, startTimeMs, messagesOut, bytesOut, messagesIn, bytesIn,
            state, nodeName);
        if (authenticator != null)
        {
            length = authenticator.sign(announce, 0, length);
        }
        final boolean ok = publication.offer(announce, 0, length) > 0;
        if (ok)
        {
            counters.increment(BridgeCounters.ANNOUNCES_OUT);
        }
        return ok;
    }
}

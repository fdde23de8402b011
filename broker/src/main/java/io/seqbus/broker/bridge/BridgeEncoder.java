package io.seqbus.broker.bridge;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.seqbus.broker.log.Log;
import io.seqbus.wire.AnnounceFrame;
import io.seqbus.wire.AuthFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.NodeFrame;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The outgoing side of the bridge. Local messages on shared topics are appended as DELIVER frames
 * ({@code subscription_id} 0, every origin field kept) to a backlog; each duty cycle the backlog goes out as
 * Aeron messages of a NODE frame plus as many whole DELIVERs as fit one Aeron frame (one big message alone
 * if it does not fit), so many messages share one UDP datagram. A refused offer (back pressure) leaves the
 * backlog for the next cycle; the agent holds local publishers back while it is long. With a shared key every
 * datagram ends in an AUTH frame.
 */
final class BridgeEncoder
{
    private final ExclusivePublication publication;
    private final BridgeCounters counters;
    private final LanAuthenticator authenticator;
    private final int authLength;
    private final int nodeId;
    private final long instanceId;
    private final int batchLength;
    private final ExpandableDirectByteBuffer backlog = new ExpandableDirectByteBuffer(1024 * 1024);
    private final UnsafeBuffer send;
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
        this.send = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(batchLength + authLength, largestMessage)));
    }

    /**
     * Queues one local message for the LAN.
     */
    void append(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid)
    {
        if (readOffset == writeOffset)
        {
            readOffset = 0;
            writeOffset = 0;
        }
        writeOffset += DeliverFrame.encode(backlog, writeOffset, 0, sourceNode, publisherId, sequence, timestampNs,
            uid, pid, buffer, topicIndex, topicLength, payloadLength);
    }

    /**
     * @return bytes waiting to go out.
     */
    int backlogBytes()
    {
        return writeOffset - readOffset;
    }

    /**
     * Sends as much of the backlog as Aeron takes now.
     *
     * @return Aeron messages sent.
     */
    int drain()
    {
        int sent = 0;
        while (readOffset < writeOffset)
        {
            int length = NodeFrame.encode(send, 0, nodeId, instanceId, nextSequence);
            int at = readOffset;
            int delivers = 0;
            long payloadBytes = 0;
            while (at < writeOffset)
            {
                final int frameLength = Protocol.frameLength(backlog, at);
                if (delivers > 0 && length + frameLength > batchLength)
                {
                    break;
                }
                send.putBytes(length, backlog, at, frameLength);
                payloadBytes += frameLength - DeliverFrame.TOPIC_OFFSET -
                    (backlog.getShort(at + DeliverFrame.TOPIC_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF);
                length += frameLength;
                at += frameLength;
                delivers++;
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
            }
            nextSequence += delivers;
            readOffset = at;
            if (result <= 0 && result != Publication.NOT_CONNECTED)
            {
                break;
            }
        }
        final int remaining = writeOffset - readOffset;
        if (readOffset > 0 && readOffset >= remaining)
        {
            // Move what is left to the front (no overlap), so a backlog that never empties never grows.
            backlog.putBytes(0, backlog, readOffset, remaining);
            readOffset = 0;
            writeOffset = remaining;
        }
        counters.set(BridgeCounters.BACKLOG_BYTES, remaining);
        return sent;
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

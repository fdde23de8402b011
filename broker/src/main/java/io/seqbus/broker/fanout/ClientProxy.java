package io.seqbus.broker.fanout;

import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ResponseFrame;
import io.seqbus.wire.StatReplyFrame;
import io.seqbus.wire.WelcomeFrame;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Every frame the broker writes to a client other than the deliveries themselves, in one place (as Aeron's
 * {@code ClientProxy} is for its clients): WELCOME, PONG, STAT_REPLY, ERROR and GAP. Each is queued behind what
 * the subscriber has queued already and flushed with it at the end of the duty cycle. DELIVER_RUN frames are
 * written by {@link FanOut}, which extends them in place. Deciding whether to answer at all (the reply bound,
 * the logging) is the caller's; this only writes.
 */
public final class ClientProxy
{
    /** Longest ERROR frame: a reason of the most bytes allowed. */
    public static final int MAX_ERROR_FRAME = ErrorFrame.REASON_OFFSET + Protocol.MAX_REASON_LENGTH;
    /** Longest WELCOME frame: a node name of the most bytes allowed. */
    public static final int MAX_WELCOME_FRAME = WelcomeFrame.NODE_NAME_OFFSET + Protocol.MAX_NAME_LENGTH;

    private ClientProxy()
    {
    }

    /**
     * Queues the answer to HELLO.
     *
     * @param to          the client.
     * @param maxPayload  the broker's limit.
     * @param maxDatagram the broker's limit.
     * @param nodeId      this broker's node.
     * @param publisherId what the client's publishes are numbered under.
     * @param nodeName    this broker's name.
     * @param maxTopicLength the broker's topic limit, or 0 for a client that did not ask for it.
     */
    public static void welcome(
        final Subscriber to, final int maxPayload, final int maxDatagram, final int nodeId, final long publisherId,
        final String nodeName, final int maxTopicLength)
    {
        welcome(to, maxPayload, maxDatagram, nodeId, publisherId, nodeName, maxTopicLength, 0, 0, 0);
    }

    /**
     * Queues WELCOME, with the descriptor-limits trailer for a HELLO that set DESCRIPTORS.
     *
     * @param maxDescriptorsPerMessage  0 for a connection without DESCRIPTORS: no trailer.
     * @param maxDescriptorsPerDatagram for the trailer.
     * @param maxMemfdSize              for the trailer.
     */
    public static void welcome(
        final Subscriber to, final int maxPayload, final int maxDatagram, final int nodeId, final long publisherId,
        final String nodeName, final int maxTopicLength, final int maxDescriptorsPerMessage,
        final int maxDescriptorsPerDatagram, final long maxMemfdSize)
    {
        welcome(to, maxPayload, maxDatagram, nodeId, publisherId, nodeName, maxTopicLength, maxDescriptorsPerMessage,
            maxDescriptorsPerDatagram, maxMemfdSize, 0, 0, 0);
    }

    /**
     * Queues WELCOME, with the descriptor-limits trailer for a HELLO that set DESCRIPTORS and the service-limits
     * trailer for one that set SERVICES (issue 19).
     *
     * @param maxHeaderBytes      0 for a connection without SERVICES: no service trailer.
     * @param maxHeaders          for the service trailer.
     * @param maxRequestTimeoutMs for the service trailer.
     */
    public static void welcome(
        final Subscriber to, final int maxPayload, final int maxDatagram, final int nodeId, final long publisherId,
        final String nodeName, final int maxTopicLength, final int maxDescriptorsPerMessage,
        final int maxDescriptorsPerDatagram, final long maxMemfdSize, final int maxHeaderBytes, final int maxHeaders,
        final int maxRequestTimeoutMs)
    {
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(
            MAX_WELCOME_FRAME + WelcomeFrame.DESCRIPTOR_LIMITS_LENGTH + WelcomeFrame.SERVICE_LIMITS_LENGTH);
        final int offset = outbox.writeOffset();
        int length = WelcomeFrame.encode(out, offset, Protocol.VERSION, maxPayload, maxDatagram,
            nodeId, publisherId, nodeName, maxTopicLength);
        if (maxDescriptorsPerMessage != 0)
        {
            length = WelcomeFrame.appendDescriptorLimits(
                out, offset, maxDescriptorsPerMessage, maxDescriptorsPerDatagram, maxMemfdSize);
        }
        if (maxHeaderBytes != 0)
        {
            length = WelcomeFrame.appendServiceLimits(out, offset, maxHeaderBytes, maxHeaders, maxRequestTimeoutMs);
        }
        outbox.commit(length);
        // WELCOME ends its datagram: a client does not know max_datagram before it, so what comes first must fit
        // a small buffer (SPEC.md, Transport). The frames after it go in the next datagram.
        outbox.seal();
        to.markForFlush();
    }

    /**
     * Queues the answer to PING.
     *
     * @param to    the client.
     * @param token from the PING.
     */
    public static void pong(final Subscriber to, final long token)
    {
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(PingFrame.LENGTH);
        outbox.commit(PingFrame.encode(out, outbox.writeOffset(), FrameType.PONG, token));
        to.markForFlush();
    }

    /**
     * Queues a STAT document in as many STAT_REPLY chunks as the datagram limit needs.
     *
     * @param to        the client.
     * @param requestId from the STAT_REQUEST.
     * @param document  the JSON document's bytes.
     * @param length    of the document.
     * @param chunkMax  most document bytes per chunk.
     */
    public static void statReply(
        final Subscriber to, final int requestId, final DirectBuffer document, final int length, final int chunkMax)
    {
        final Outbox outbox = to.outbox();
        int from = 0;
        do
        {
            final int chunk = Math.min(chunkMax, length - from);
            final MutableDirectBuffer out = outbox.reserve(StatReplyFrame.CHUNK_OFFSET + chunk);
            outbox.commit(StatReplyFrame.encode(out, outbox.writeOffset(), requestId, length, from, document, from,
                chunk));
            from += chunk;
        }
        while (from < length);
        to.markForFlush();
    }

    /**
     * Queues an ERROR.
     *
     * @param to     the client.
     * @param code   an {@code ErrorCode}.
     * @param ref    the subscription concerned, or 0.
     * @param reason for people.
     */
    public static void error(final Subscriber to, final int code, final int ref, final String reason)
    {
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(MAX_ERROR_FRAME);
        outbox.commit(ErrorFrame.encode(out, outbox.writeOffset(), code, ref, reason));
        to.markForFlush();
    }

    /**
     * Queues a GAP.
     *
     * @param to             the client.
     * @param subscriptionId the subscription concerned, 0 for all of the connection's.
     * @param sourceNode     node of the publisher whose messages are missing, 0 when several or unknown.
     * @param publisherId    publisher whose messages are missing, 0 when several or unknown.
     * @param fromSequence   first missing sequence, 0 when unknown.
     * @param count          messages missing.
     * @param reason         a {@code GapReason}.
     */
    public static void gap(
        final Subscriber to, final int subscriptionId, final int sourceNode, final long publisherId,
        final long fromSequence, final long count, final int reason)
    {
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(GapFrame.LENGTH);
        outbox.commit(GapFrame.encode(out, outbox.writeOffset(), subscriptionId, sourceNode, publisherId,
            fromSequence, count, reason));
        to.counts().onGapsSent(1);
        to.markForFlush();
    }

    /**
     * Queues a RESPONSE without a reply (every status but REPLIED).
     *
     * @param to        the requester.
     * @param requestId its id for the request.
     * @param status    a {@code ResponseFrame} status.
     */
    public static void responseFailure(final Subscriber to, final int requestId, final int status)
    {
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(ResponseFrame.PAYLOAD_OFFSET);
        outbox.commit(ResponseFrame.encodeFailure(out, outbox.writeOffset(), requestId, status));
        to.markForFlush();
    }

    /**
     * Queues a RESPONSE carrying a reply.
     *
     * @param to            the requester.
     * @param requestId     its id for the request.
     * @param replierNode   node id of the replier's broker.
     * @param replierUid    from the kernel.
     * @param replierPid    from the kernel.
     * @param timestampNs   when the REPLY arrived, ns since the epoch.
     * @param payload       buffer holding the reply's payload.
     * @param payloadIndex  of its first byte.
     * @param payloadLength bytes of it, a header block included.
     * @param headerFlag    the REPLY's {@code HEADERS} flag: its payload starts with a block.
     */
    public static void responseReplied(
        final Subscriber to, final int requestId, final int replierNode, final int replierUid, final int replierPid,
        final long timestampNs, final DirectBuffer payload, final int payloadIndex, final int payloadLength,
        final int headerFlag)
    {
        // The REPLY's block goes on with the flag; a requester from before headers (no SERVICES) gets the payload
        // alone.
        final int skip = headerFlag != 0 && !to.acceptsHeaders() ? HeaderBlock.blockLength(payload, payloadIndex) : 0;
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(ResponseFrame.frameLength(payloadLength - skip));
        final int at = outbox.writeOffset();
        outbox.commit(ResponseFrame.encodeReplied(out, at, requestId, replierNode, replierUid,
            replierPid, timestampNs, payload, payloadIndex + skip, payloadLength - skip));
        if (skip == 0 && headerFlag != 0)
        {
            out.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
        }
        to.counts().onDelivered(payloadLength - skip);
        to.markForFlush();
    }
}

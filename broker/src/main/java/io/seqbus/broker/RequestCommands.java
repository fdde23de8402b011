package io.seqbus.broker;

import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.LanReplyFrame;
import io.seqbus.wire.Printable;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ReplyFrame;
import io.seqbus.wire.RequestFrame;
import io.seqbus.wire.ResponseFrame;
import io.seqbus.wire.Topics;
import org.agrona.DirectBuffer;

/**
 * REQUEST and REPLY from a client (SPEC.md, "Requests and replies"): each is checked here (request_id, timeout,
 * topic, payload, the rules' {@code request} verb, the bounds), a REQUEST is numbered as a PUBLISH and fanned out
 * as DELIVER_REQUEST to the subscribers whose rules let them reply, and the {@link Requests} table routes each
 * REPLY to its requester only. Part of the command adapter ({@link ClientCommandAdapter}); agent thread only.
 */
final class RequestCommands
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final FanOut fanOut;
    private final Replies replies;
    private final Requests requests;
    private final LanBridge bridge;
    private final RequestFrame request = new RequestFrame();
    private final ReplyFrame reply = new ReplyFrame();
    private final HeaderChecks headerChecks;

    RequestCommands(
        final BrokerContext context, final BrokerCounters counters, final FanOut fanOut, final Replies replies,
        final LanBridge bridge)
    {
        this.bridge = bridge;
        this.context = context;
        this.counters = counters;
        this.fanOut = fanOut;
        this.replies = replies;
        this.requests = new Requests(counters, context.nodeId());
        requests.bridge(bridge);
        this.headerChecks = new HeaderChecks(context, replies);
    }

    /** @return the table, for STAT and the agent's expiry. */
    Requests table()
    {
        return requests;
    }

    /**
     * @return false when a fatal ERROR was queued and the connection must close.
     */
    boolean onRequest(
        final ClientConnection c, final DirectBuffer buffer, final int at, final long nowNs, final long timestampNs)
    {
        request.wrap(buffer, at);
        final int id = request.requestId();
        final long timeoutMs = request.timeoutMs();
        if (id == 0 || requests.isPending(c, id))
        {
            return replies.reject(c, ErrorCode.INVALID_REQUEST, 0, id == 0 ? "request_id 0 is not allowed" :
                "request_id " + Integer.toUnsignedString(id) + " is pending already");
        }
        if (timeoutMs < 1 || timeoutMs > context.maxRequestTimeoutMs())
        {
            return replies.reject(c, ErrorCode.INVALID_REQUEST, 0, "timeout_ms " + timeoutMs + " is out of range 1.." +
                context.maxRequestTimeoutMs() + " (max_request_timeout_ms)");
        }
        final int topicIndex = request.topicIndex();
        final int topicLength = request.topicLength();
        if (!Topics.isValidTopic(buffer, topicIndex, topicLength) || topicLength > context.maxTopicLength())
        {
            return replies.reject(c, ErrorCode.INVALID_TOPIC, 0, "invalid request topic '" +
                Printable.quote(buffer, topicIndex, topicLength) + "': dot-separated non-empty tokens, no wildcards, " +
                "at most " + Math.min(Protocol.MAX_TOPIC_LENGTH, context.maxTopicLength()) + " bytes");
        }
        final int payloadLength = request.payloadLength();
        if (payloadLength > context.maxPayload() ||
            DeliverRequestFrame.frameLength(topicLength, payloadLength) > context.maxDatagram())
        {
            return replies.reject(c, ErrorCode.PAYLOAD_TOO_LARGE, 0, "request payload of " + payloadLength +
                " bytes is over max_payload " + context.maxPayload() + " (or its DELIVER_REQUEST over max_datagram)");
        }
        // A header block is checked as a PUBLISH's; refused, the REQUEST takes no sequence and gets no RESPONSE.
        final int headerFlag = HeaderChecks.headerFlag(buffer, at);
        if (headerFlag != 0)
        {
            final int headers = headerChecks.check(c, buffer, topicIndex + topicLength, payloadLength);
            if (headers != PublishRights.ALLOWED)
            {
                return headers == PublishRights.REFUSED;
            }
        }
        // Numbered from here: every REQUEST that gets a RESPONSE has its sequence, one refused with an ERROR has
        // none, so a client counts what the broker numbered as for PUBLISH (SPEC.md, HELLO sessions).
        final long sequence = c.nextSequence();
        counters.increment(BrokerCounters.MESSAGES_PUBLISHED);
        counters.add(BrokerCounters.BYTES_PUBLISHED, payloadLength);
        c.subscriber().counts().onPublished(payloadLength);
        if (!c.permissions().mayRequest(buffer, topicIndex, topicLength))
        {
            requests.refuse(c, id, ResponseFrame.DENIED);
            return true;
        }
        final int slot = requests.begin(c, id, timeoutMs, nowNs, context.maxPendingRequestsPerConnection(),
            context.maxPendingRequestsPerUid(), context.maxPendingRequestsTotal());
        if (slot < 0)
        {
            requests.refuse(c, id, ResponseFrame.TOO_MANY_REQUESTS);
            return true;
        }
        requests.delivering(slot, buffer, topicIndex, topicLength);
        final int n = fanOut.deliverRequest(buffer, topicIndex, topicLength, payloadLength, context.nodeId(),
            c.publisherId(), sequence, timestampNs, c.uid(), c.pid(), requests.token(slot), headerFlag, requests,
            nowNs);
        counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
        counters.add(BrokerCounters.BYTES_DELIVERED, (long)n * payloadLength);
        final int peers = bridge == null ? 0 : bridge.onLocalRequest(buffer, topicIndex, topicLength, payloadLength,
            context.nodeId(), c.publisherId(), sequence, timestampNs, c.uid(), c.pid(), requests.token(slot), headerFlag);
        if (peers > 0)
        {
            requests.viaLan(slot, peers);
        }
        requests.delivered(slot);
        return true;
    }

    /**
     * A request from another broker (SPEC.md, "Requests across the LAN"): delivered to the local subscribers whose
     * rules let them reply, under a proxy slot whose first reply goes back on the LAN. Dropped when the table is
     * full (the origin then times out).
     */
    void onLanRequest(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final long originToken, final int headerFlag, final long nowNs)
    {
        final int slot = requests.beginProxy(originToken, context.maxRequestTimeoutMs(), nowNs,
            context.maxPendingRequestsTotal());
        if (slot < 0)
        {
            return;
        }
        requests.delivering(slot, buffer, topicIndex, topicLength);
        final int n = fanOut.deliverRequest(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId,
            sequence, timestampNs, uid, pid, requests.token(slot), headerFlag, requests, nowNs);
        counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
        counters.add(BrokerCounters.BYTES_DELIVERED, (long)n * payloadLength);
        requests.delivered(slot);
    }

    /**
     * A request from another broker on a topic not shared here: its broker hears at once that no reply comes from
     * this one (no proxy slot is taken).
     */
    void onLanRequestNotShared(final long originToken)
    {
        if (bridge != null)
        {
            bridge.sendLanNone(originToken, 0, LanReplyFrame.FLAG_NO_RESPONDERS);
        }
    }

    /**
     * A LAN_REPLY for this broker saying no reply will come from its sender (a LanReplyFrame flag).
     */
    void onLanNone(final long token, final int flag)
    {
        requests.noneFromLan(token, flag == LanReplyFrame.FLAG_RESPONDERS_GONE);
    }

    /**
     * A LAN_REPLY for this broker: ends its request as a local REPLY would.
     */
    void onLanReply(final long token, final int replierNode, final int replierUid, final int replierPid,
        final long timestampNs, final DirectBuffer payload, final int payloadIndex, final int payloadLength,
        final int headerFlag)
    {
        requests.replyFromLan(token, replierNode, replierUid, replierPid, timestampNs, payload, payloadIndex,
            payloadLength, headerFlag);
    }

    /**
     * @return false when a fatal ERROR was queued and the connection must close.
     */
    boolean onReply(final ClientConnection c, final DirectBuffer buffer, final int at, final long timestampNs)
    {
        reply.wrap(buffer, at);
        final int payloadLength = reply.payloadLength();
        if (payloadLength > context.maxPayload())
        {
            return replies.reject(c, ErrorCode.PAYLOAD_TOO_LARGE, 0,
                "reply payload of " + payloadLength + " bytes is over max_payload " + context.maxPayload());
        }
        // A REPLY's block is checked as a PUBLISH's; refused, the REPLY is dropped and the request stays pending.
        final int headerFlag = HeaderChecks.headerFlag(buffer, at);
        if (headerFlag != 0)
        {
            final int headers = headerChecks.check(c, buffer, reply.payloadIndex(), payloadLength);
            if (headers != PublishRights.ALLOWED)
            {
                return headers == PublishRights.REFUSED;
            }
        }
        requests.reply(c, reply.replyToken(), buffer, reply.payloadIndex(), payloadLength, headerFlag, timestampNs);
        return true;
    }

    /**
     * @param nowNs the agent's clock.
     * @return requests that timed out now.
     */
    int expire(final long nowNs)
    {
        return requests.expire(nowNs);
    }

    /**
     * @param c a connection that closes.
     */
    void forget(final ClientConnection c)
    {
        requests.onClosed(c);
    }
}

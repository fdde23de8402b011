package io.seqbus.broker;

import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.ClientProxy;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.SubscriptionRegistry;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.stat.TopicRates;
import io.seqbus.sys.ScmRights;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.StatReplyFrame;
import io.seqbus.wire.StatRequestFrame;
import io.seqbus.wire.WireStrings;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Commands in: every frame a client sends is decoded and checked here (as Aeron's {@code ClientCommandAdapter}
 * does for its clients), the protocol of SPEC.md from the broker's side, then handed to what it acts on: the
 * fan-out (PUBLISH), {@link SubscriptionCommands} (SUBSCRIBE, UNSUBSCRIBE), {@link Sessions} (a HELLO with a
 * session). Every answer goes out through {@link Replies} and {@link ClientProxy}. A datagram's framing is
 * checked whole first, so a malformed datagram takes no effect at all; then its frames take effect in order.
 */
final class ClientCommandAdapter
{
    /** How the reason of a refused PUBLISH begins; the topic and {@code "' "} follow (SPEC.md, ERROR). */
    static final String PUBLISH_REFUSED_PREFIX = PublishRights.PUBLISH_REFUSED_PREFIX;

    private final BrokerContext context;
    private final FanOut fanOut;
    private final BrokerCounters counters;
    private final LanBridge bridge;
    private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_CLIENT);
    private final HelloFrame hello = new HelloFrame();
    private final PublishFrame publish = new PublishFrame();
    private final PingFrame ping = new PingFrame();
    private final StatRequestFrame statRequest = new StatRequestFrame();
    private final TopicRates topicRates;
    private final StatSource statSource;
    private final Replies replies;
    private final Sessions sessions;
    private final SubscriptionCommands subscriptions;
    private final PublishRights rights;
    private final HeaderChecks headerChecks;
    private final DescriptorPublishes descriptors;
    private final SharedMemoryClients shm;
    private final RequestCommands requests;

    ClientCommandAdapter(
        final BrokerContext context, final SubscriptionRegistry registry, final FanOut fanOut,
        final BrokerCounters counters, final TopicRates topicRates, final StatSource statSource,
        final LanBridge bridge, final Sessions.ResumedPublishers resumedPublishers, final SharedMemoryClients shm)
    {
        this.shm = shm;
        this.context = context;
        this.fanOut = fanOut;
        this.counters = counters;
        this.topicRates = topicRates;
        this.statSource = statSource;
        this.bridge = bridge;
        this.replies = new Replies(context, counters);
        this.sessions = new Sessions(context, counters, resumedPublishers);
        this.subscriptions = new SubscriptionCommands(context, counters, registry, replies);
        this.rights = new PublishRights(context, counters, replies);
        this.headerChecks = new HeaderChecks(context, replies);
        this.descriptors = new DescriptorPublishes(
            context, counters, fanOut, fanOut.descriptorPool(), bridge, topicRates, replies, rights);
        this.requests = new RequestCommands(context, counters, fanOut, replies, bridge);
    }

    /**
     * Builds the STAT_REPLY document; the agent knows every connection.
     */
    @FunctionalInterface
    interface StatSource
    {
        /**
         * @param statFlags from the request.
         * @param viewerUid uid of the client that asked: who may see other clients' patterns.
         * @return the JSON document.
         */
        String statDocument(int statFlags, int viewerUid);
    }

    /**
     * Handles one datagram from a client, and the descriptors that came with it, which are closed or handed on
     * here whatever happens.
     *
     * @param c           the sender.
     * @param buffer      holding the datagram at offset 0.
     * @param length      of the datagram.
     * @param received    the receive that read it, holding its descriptors (SCM_RIGHTS).
     * @param nowNs       the agent's monotonic clock.
     * @param timestampNs wall clock for DELIVER timestamps, ns since the epoch.
     * @return false when a fatal ERROR was queued and the connection must close.
     */
    boolean onDatagram(
        final ClientConnection c, final DirectBuffer buffer, final int length, final ScmRights received,
        final long nowNs, final long timestampNs)
    {
        final int fdCount = descriptors.take(received);
        try
        {
            if (fdCount > 0 && !mayPassDescriptors(c))
            {
                return false;
            }
            return onFrames(c, buffer, length, fdCount, nowNs, timestampNs);
        }
        finally
        {
            descriptors.closeRest();
        }
    }

    /**
     * The datagram's control message was cut (MSG_CTRUNC): the descriptors that came were closed already.
     *
     * @return false: the connection must close.
     */
    boolean onTruncatedDescriptors(final ClientConnection c, final ScmRights received)
    {
        received.closeReceived();
        counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_TRUNCATED);
        return replies.reject(c, ErrorCode.DESCRIPTORS_TRUNCATED, 0, "descriptors cut off (MSG_CTRUNC): more than " +
            "max_descriptors_per_datagram " + context.maxDescriptorsPerDatagram() + " in one datagram, or the " +
            "broker is out of descriptors (" + DescriptorBudget.openDescriptors() + " open, limit " +
            DescriptorBudget.limit() + ")");
    }

    /** Descriptors only after a WELCOME that carried the limits, i.e. a HELLO with DESCRIPTORS (SPEC.md). */
    private boolean mayPassDescriptors(final ClientConnection c)
    {
        if (c.state() == ClientConnection.State.AWAITING_HELLO)
        {
            counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH);
            return replies.reject(c, ErrorCode.DESCRIPTOR_MISMATCH, 0, "descriptors arrived before WELCOME (with " +
                "the HELLO datagram)");
        }
        if (!c.subscriber().acceptsDescriptors())
        {
            counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH);
            return replies.reject(c, ErrorCode.DESCRIPTOR_MISMATCH, 0, "descriptors from a connection whose HELLO " +
                "did not set DESCRIPTORS");
        }
        return true;
    }

    private boolean onFrames(
        final ClientConnection c, final DirectBuffer buffer, final int length, final int fdCount, final long nowNs,
        final long timestampNs)
    {
        if (length > context.maxDatagram())
        {
            return replies.reject(c, ErrorCode.DATAGRAM_TOO_LARGE, 0,
                "datagram longer than max_datagram " + context.maxDatagram());
        }
        final int code = validator.validate(buffer, 0, length, fdCount);
        if (code != 0)
        {
            if (code == ErrorCode.DESCRIPTOR_MISMATCH)
            {
                counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH);
            }
            return replies.reject(c, code, 0, validator.errorReason() + " (frame at byte " + validator.errorOffset() + ")");
        }
        if (!handshakeInPlace(c, buffer))
        {
            return false;
        }
        int at = 0;
        int frames = 0;
        while (at < length)
        {
            final int frameLength = Protocol.frameLength(buffer, at);
            frames++;
            final int type = Protocol.frameType(buffer, at);
            if (type == FrameType.SHM_ATTACH && at + frameLength != length)
            {
                return replies.reject(c, ErrorCode.PROTOCOL_VIOLATION, 0,
                    "SHM_ATTACH must be the last frame the client sends on its socket");
            }
            if (!onFrame(c, buffer, at, type, nowNs, timestampNs))
            {
                return false;
            }
            at += frameLength;
        }
        if (context.maxFramesPerSecond() > 0)
        {
            // Each frame is due one interval after the previous one; the agent stops reading a
            // connection whose frames are more than a second ahead of their due time.
            c.chargeFrames(frames, nowNs, 1_000_000_000L / context.maxFramesPerSecond());
        }
        return true;
    }

    /**
     * @param buffer holding a datagram at offset 0.
     * @param length of the datagram.
     * @return true when taking the datagram would publish: it is well formed and holds a PUBLISH or PUBLISH_FDS.
     * A malformed one is not, so it is taken and refused at once.
     */
    boolean wouldPublish(final DirectBuffer buffer, final int length)
    {
        // A peek brings no descriptors, so a PUBLISH_FDS datagram's counts cannot add up: its framing is what counts.
        final int code = length > context.maxDatagram() ? ErrorCode.DATAGRAM_TOO_LARGE :
            validator.validate(buffer, 0, length);
        if (code != 0 && code != ErrorCode.DESCRIPTOR_MISMATCH)
        {
            return false;
        }
        for (int at = 0; at < length; at += Protocol.frameLength(buffer, at))
        {
            final int type = Protocol.frameType(buffer, at);
            if (type == FrameType.PUBLISH || type == FrameType.PUBLISH_FDS || type == FrameType.REQUEST)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The handshake rules, checked over the whole datagram before any frame takes effect, as the framing is: HELLO
     * is the connection's first frame and only that (SPEC.md, "Validation and error codes"). So a datagram with a
     * second HELLO after a PUBLISH is refused whole, the PUBLISH included, as a datagram with bad framing is.
     *
     * @return false when the datagram was refused with a fatal ERROR.
     */
    private boolean handshakeInPlace(final ClientConnection c, final DirectBuffer buffer)
    {
        final int hellos = validator.helloFrames();
        if (c.state() == ClientConnection.State.AWAITING_HELLO)
        {
            final int first = Protocol.frameType(buffer, 0);
            if (first != FrameType.HELLO)
            {
                return replies.reject(c, ErrorCode.HELLO_REQUIRED, 0, "the first frame must be HELLO, not " +
                    FrameType.name(first));
            }
            if (hellos > 1)
            {
                return replies.reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, "HELLO sent twice (in one datagram)");
            }
            return true;
        }
        if (hellos > 0)
        {
            return replies.reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, "HELLO sent twice");
        }
        return true;
    }

    private boolean onFrame(
        final ClientConnection c, final DirectBuffer buffer, final int at, final int type,
        final long nowNs, final long timestampNs)
    {
        switch (type)
        {
            case FrameType.PUBLISH:
                return onPublish(c, buffer, at, nowNs, timestampNs);
            case FrameType.PUBLISH_FDS:
                return descriptors.onPublishFds(c, buffer, at, nowNs, timestampNs);
            case FrameType.HELLO:
                return onHello(c, buffer, at);
            case FrameType.SUBSCRIBE:
                return subscriptions.onSubscribe(c, buffer, at);
            case FrameType.UNSUBSCRIBE:
                return subscriptions.onUnsubscribe(c, buffer, at);
            case FrameType.PING:
                ping.wrap(buffer, at);
                if (!replies.fit(c, PingFrame.LENGTH))
                {
                    return replies.evictForReplies(c);
                }
                ClientProxy.pong(c.subscriber(), ping.token());
                return true;
            case FrameType.PONG:
                return true;
            case FrameType.STAT_REQUEST:
                return onStatRequest(c, buffer, at);
            case FrameType.REQUEST:
                return requests.onRequest(c, buffer, at, nowNs, timestampNs);
            case FrameType.REPLY:
                return requests.onReply(c, buffer, at, timestampNs);
            case FrameType.SHM_ATTACH:
                return shm.attach(c) || replies.reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, c.shm() == null ?
                    "SHM_ATTACH without SHM_READY" : "SHM_ATTACH sent twice");
            default:
                return replies.reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, "unexpected " + FrameType.name(type));
        }
    }

    private boolean onPublish(
        final ClientConnection c, final DirectBuffer buffer, final int at, final long nowNs, final long timestampNs)
    {
        publish.wrap(buffer, at);
        final int topicIndex = publish.topicIndex();
        final int topicLength = publish.topicLength();
        final int verdict = rights.check(c, buffer, topicIndex, topicLength);
        if (verdict != PublishRights.ALLOWED)
        {
            return verdict == PublishRights.REFUSED;
        }
        final int payloadLength = publish.payloadLength();
        if (payloadLength > context.maxPayload())
        {
            return replies.reject(c, ErrorCode.PAYLOAD_TOO_LARGE, 0,
                "payload of " + payloadLength + " bytes is over max_payload " + context.maxPayload());
        }
        final int headerFlag = HeaderChecks.headerFlag(buffer, at);
        if (headerFlag != 0)
        {
            final int headers = headerChecks.check(c, buffer, topicIndex + topicLength, payloadLength);
            if (headers != PublishRights.ALLOWED)
            {
                return headers == PublishRights.REFUSED;
            }
        }
        if (context.statTopTopics() > 0)
        {
            topicRates.onPublish(buffer, topicIndex, topicLength);
        }
        final long sequence = c.nextSequence();
        counters.increment(BrokerCounters.MESSAGES_PUBLISHED);
        counters.add(BrokerCounters.BYTES_PUBLISHED, payloadLength);
        c.subscriber().counts().onPublished(payloadLength);
        final int n = fanOut.deliver(
            buffer, topicIndex, topicLength, payloadLength, context.nodeId(), c.publisherId(), sequence,
            timestampNs, c.uid(), c.pid(), headerFlag, nowNs);
        counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
        counters.add(BrokerCounters.BYTES_DELIVERED, (long)n * payloadLength);
        if (bridge != null)
        {
            bridge.onLocalMessage(buffer, topicIndex, topicLength, payloadLength, context.nodeId(), c.publisherId(),
                sequence, timestampNs, c.uid(), c.pid(), headerFlag);
        }
        return true;
    }

    private boolean onStatRequest(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        statRequest.wrap(buffer, at);
        final int flags = statRequest.statFlags();
        if ((flags & ~(StatRequestFrame.NO_CLIENTS | StatRequestFrame.NO_TOPICS)) != 0)
        {
            return replies.reject(c, ErrorCode.INVALID_OPTION, 0, "unknown stat_flags bits 0x" + Integer.toHexString(flags));
        }
        counters.increment(BrokerCounters.STAT_REQUESTS);
        if (!replies.fit(c, StatReplyFrame.CHUNK_OFFSET))
        {
            // Full already: do not build a document for a client that does not read.
            return replies.evictForReplies(c);
        }
        final byte[] document = statSource.statDocument(flags, c.uid()).getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer source = new UnsafeBuffer(document);
        final int chunkMax = context.maxDatagram() - StatReplyFrame.CHUNK_OFFSET;
        final int chunks = (document.length + chunkMax - 1) / Math.max(1, chunkMax);
        if (!replies.fit(c, document.length + (long)Math.max(1, chunks) * StatReplyFrame.CHUNK_OFFSET))
        {
            return replies.evictForReplies(c);
        }
        ClientProxy.statReply(c.subscriber(), statRequest.requestId(), source, document.length, chunkMax);
        return true;
    }

    private boolean onHello(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        // handshakeInPlace let only the connection's first frame be a HELLO.
        hello.wrap(buffer, at);
        if (hello.minVersion() > Protocol.VERSION || hello.maxVersion() < Protocol.VERSION)
        {
            return replies.reject(c, ErrorCode.UNSUPPORTED_VERSION, 0, "versions " + hello.minVersion() + ".." +
                hello.maxVersion() + " offered; this broker speaks " + Protocol.VERSION);
        }
        if (hello.nameLength() > Protocol.MAX_NAME_LENGTH ||
            !WireStrings.isValidUtf8(buffer, hello.nameIndex(), hello.nameLength()))
        {
            return replies.reject(c, ErrorCode.INVALID_NAME, 0,
                "client name must be UTF-8 of at most " + Protocol.MAX_NAME_LENGTH + " bytes");
        }
        c.name(hello.name());
        if (hello.hasSession())
        {
            sessions.resume(c, PublisherIds.fromSession(c.uid(), hello.sessionId()), hello.nextSequence());
        }
        c.state(ClientConnection.State.OPEN);
        final boolean passesDescriptors = hello.wantsDescriptors();
        c.subscriber().acceptsDescriptors(passesDescriptors);
        c.subscriber().acceptsHeaders(hello.wantsServices());
        // With DESCRIPTORS the WELCOME carries the descriptor limits: only then may the client pass any.
        ClientProxy.welcome(c.subscriber(), context.maxPayload(), context.maxDatagram(), context.nodeId(),
            c.publisherId(), context.nodeName(), hello.wantsTopicLimit() ? context.maxTopicLength() : 0,
            passesDescriptors ? context.maxDescriptorsPerMessage() : 0, context.maxDescriptorsPerDatagram(),
            context.maxMemfdSize(), hello.wantsServices() ? context.maxHeaderBytes() : 0, context.maxHeaders(),
            context.maxRequestTimeoutMs());
        if ((hello.clientFlags() & HelloFrame.FLAG_SHARED_MEMORY) != 0)
        {
            // WELCOME and SHM_READY go on the socket now; every later frame to it goes into its ring.
            shm.offer(c);
        }
        Log.debug("hello from " + c.label());
        return true;
    }

    /**
     * Queues an ERROR frame for a client; see {@link Replies#reject}.
     *
     * @return false when the code is fatal and the connection must close.
     */
    boolean reject(final ClientConnection c, final int code, final int ref, final String reason)
    {
        return replies.reject(c, code, ref, reason);
    }

    /**
     * Applies reloaded access rules to a live connection; see {@link SubscriptionCommands#reapply}.
     *
     * @return subscriptions removed.
     */
    int reapply(final ClientConnection c, final AccessControl rules)
    {
        return subscriptions.reapply(c, rules);
    }

    /**
     * A connection closes: its subscriptions go, and its session's numbering is remembered.
     *
     * @param c the connection.
     */
    void forget(final ClientConnection c)
    {
        sessions.closed(c);
        subscriptions.forget(c);
        requests.forget(c);
    }

    /** @return requests and replies, for the bridge's requests across the LAN. */
    RequestCommands requestCommands()
    {
        return requests;
    }

    /**
     * Ends the requests whose timeout passed (RESPONSE TIMED_OUT); once per duty cycle.
     *
     * @param nowNs the agent's clock.
     * @return requests ended.
     */
    int expireRequests(final long nowNs)
    {
        return requests.expire(nowNs);
    }

    /**
     * @param c a connection.
     * @return its requests waiting for a RESPONSE, for STAT.
     */
    int pendingRequests(final ClientConnection c)
    {
        return requests.table().pending(c);
    }

}

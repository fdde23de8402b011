package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.Outbox;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.broker.route.Subscription;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.broker.stat.TopicRates;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Printable;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.SlowConsumerPolicy;
import io.seqbus.wire.StatReplyFrame;
import io.seqbus.wire.StatRequestFrame;
import io.seqbus.wire.SubscribeFrame;
import io.seqbus.wire.Topics;
import io.seqbus.wire.UnsubscribeFrame;
import io.seqbus.wire.WelcomeFrame;
import io.seqbus.wire.WireStrings;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;

/**
 * What the broker does with each frame a client sends: the protocol of SPEC.md from the
 * broker's side. A datagram's framing is checked whole first, so a malformed datagram takes
 * no effect at all; then its frames take effect in order.
 */
final class ClientProtocol
{
    private static final int MAX_ERROR_FRAME = ErrorFrame.REASON_OFFSET + Protocol.MAX_REASON_LENGTH;
    /** How the reason of a refused PUBLISH begins; the topic and {@code "' "} follow (SPEC.md, ERROR). */
    static final String PUBLISH_REFUSED_PREFIX = "publish '";

    private final BrokerContext context;
    private final TopicIndex<Subscription> index;
    private final FanOut fanOut;
    private final BrokerCounters counters;
    private final LanBridge bridge;
    private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_CLIENT);
    private final HelloFrame hello = new HelloFrame();
    private final SubscribeFrame subscribe = new SubscribeFrame();
    private final UnsubscribeFrame unsubscribe = new UnsubscribeFrame();
    private final PublishFrame publish = new PublishFrame();
    private final PingFrame ping = new PingFrame();
    private final StatRequestFrame statRequest = new StatRequestFrame();
    private final TopicRates topicRates;
    private final StatSource statSource;
    private final ArrayList<Subscription> revoked = new ArrayList<>();
    private final UidAccounts accounts;
    private final ResumedPublishers resumedPublishers;
    private final ClosedSessions closedSessions;
    /** The newest open connection of each session publisher: only its close says where the numbering stopped. */
    private final Long2ObjectHashMap<ClientConnection> liveSessions = new Long2ObjectHashMap<>();

    ClientProtocol(
        final BrokerContext context, final TopicIndex<Subscription> index, final FanOut fanOut,
        final BrokerCounters counters, final TopicRates topicRates, final StatSource statSource,
        final LanBridge bridge, final UidAccounts accounts, final ResumedPublishers resumedPublishers)
    {
        this.accounts = accounts;
        this.resumedPublishers = resumedPublishers;
        this.closedSessions = new ClosedSessions(context.maxClosedSessions(), context.maxClosedSessionsPerUid());
        this.context = context;
        this.index = index;
        this.fanOut = fanOut;
        this.counters = counters;
        this.topicRates = topicRates;
        this.statSource = statSource;
        this.bridge = bridge;
    }

    /**
     * Builds the STAT_REPLY document; the agent knows every connection.
     */
    @FunctionalInterface
    interface StatSource
    {
        /**
         * @param statFlags from the request.
         * @return the JSON document.
         */
        String statDocument(int statFlags);
    }

    /**
     * Tells subscribers that a session publisher came back with sequences the broker never numbered.
     */
    @FunctionalInterface
    interface ResumedPublishers
    {
        /**
         * @param resumer      the publisher's new connection (told nothing: its own client knows).
         * @param publisherId  the session's publisher id.
         * @param fromSequence the first sequence never numbered.
         * @param count        how many.
         * @return connections told.
         */
        int tell(ClientConnection resumer, long publisherId, long fromSequence, long count);
    }

    /**
     * Handles one datagram from a client.
     *
     * @param c           the sender.
     * @param buffer      holding the datagram at offset 0.
     * @param length      of the datagram.
     * @param nowNs       the agent's monotonic clock.
     * @param timestampNs wall clock for DELIVER timestamps, ns since the epoch.
     * @return false when a fatal ERROR was queued and the connection must close.
     */
    boolean onDatagram(
        final ClientConnection c, final DirectBuffer buffer, final int length, final long nowNs, final long timestampNs)
    {
        if (length > context.maxDatagram())
        {
            return reject(c, ErrorCode.DATAGRAM_TOO_LARGE, 0,
                "datagram longer than max_datagram " + context.maxDatagram());
        }
        final int code = validator.validate(buffer, 0, length);
        if (code != 0)
        {
            return reject(c, code, 0, validator.errorReason() + " (frame at byte " + validator.errorOffset() + ")");
        }
        int at = 0;
        int frames = 0;
        while (at < length)
        {
            final int frameLength = Protocol.frameLength(buffer, at);
            frames++;
            if (!onFrame(c, buffer, at, Protocol.frameType(buffer, at), nowNs, timestampNs))
            {
                return false;
            }
            at += frameLength;
        }
        if (context.maxFramesPerSecond() > 0)
        {
            // Each frame is due one interval after the previous one; the agent stops reading a
            // connection whose frames are more than a second ahead of their due time.
            c.frameClockNs = Math.max(c.frameClockNs, nowNs) +
                frames * (1_000_000_000L / context.maxFramesPerSecond());
        }
        return true;
    }

    /**
     * @param buffer holding a datagram at offset 0.
     * @param length of the datagram.
     * @return true when taking the datagram would publish: it is well formed and holds a PUBLISH.
     * A malformed one is not, so it is taken and refused at once.
     */
    boolean wouldPublish(final DirectBuffer buffer, final int length)
    {
        if (length > context.maxDatagram() || validator.validate(buffer, 0, length) != 0)
        {
            return false;
        }
        for (int at = 0; at < length; at += Protocol.frameLength(buffer, at))
        {
            if (Protocol.frameType(buffer, at) == FrameType.PUBLISH)
            {
                return true;
            }
        }
        return false;
    }

    private boolean onFrame(
        final ClientConnection c, final DirectBuffer buffer, final int at, final int type,
        final long nowNs, final long timestampNs)
    {
        if (c.state() == ClientConnection.State.AWAITING_HELLO && type != FrameType.HELLO)
        {
            return reject(c, ErrorCode.HELLO_REQUIRED, 0, "the first frame must be HELLO, not " + FrameType.name(type));
        }
        switch (type)
        {
            case FrameType.PUBLISH:
                return onPublish(c, buffer, at, nowNs, timestampNs);
            case FrameType.HELLO:
                return onHello(c, buffer, at);
            case FrameType.SUBSCRIBE:
                return onSubscribe(c, buffer, at);
            case FrameType.UNSUBSCRIBE:
                return onUnsubscribe(c, buffer, at);
            case FrameType.PING:
                ping.wrap(buffer, at);
                if (!replyFits(c, PingFrame.LENGTH))
                {
                    return evictForReplies(c);
                }
                final Outbox outbox = c.outbox();
                final MutableDirectBuffer out = outbox.reserve(PingFrame.LENGTH);
                outbox.commit(PingFrame.encode(out, outbox.writeOffset(), FrameType.PONG, ping.token()));
                fanOut.markForFlush(c);
                return true;
            case FrameType.PONG:
                return true;
            case FrameType.STAT_REQUEST:
                return onStatRequest(c, buffer, at);
            default:
                return reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, "unexpected " + FrameType.name(type));
        }
    }

    private boolean onPublish(
        final ClientConnection c, final DirectBuffer buffer, final int at, final long nowNs, final long timestampNs)
    {
        publish.wrap(buffer, at);
        final int topicIndex = publish.topicIndex();
        final int topicLength = publish.topicLength();
        if (!Topics.isValidTopic(buffer, topicIndex, topicLength))
        {
            return reject(c, ErrorCode.INVALID_TOPIC, 0,
                "invalid topic '" + Printable.quote(buffer, topicIndex, topicLength) +
                "': dot-separated non-empty tokens, no wildcards, no spaces or control characters, valid UTF-8, " +
                "at most " + Protocol.MAX_TOPIC_LENGTH + " bytes");
        }
        if (topicLength > context.maxTopicLength())
        {
            counters.increment(BrokerCounters.LIMIT_TOPIC_LENGTH);
            return reject(c, ErrorCode.INVALID_TOPIC, 0, "topic of " + topicLength +
                " bytes is over max_topic_length " + context.maxTopicLength());
        }
        if (!c.permissions.mayPublish(buffer, topicIndex, topicLength))
        {
            counters.increment(BrokerCounters.ACCESS_DENIED_PUBLISH);
            // SPEC.md, ERROR: the reason starts with the topic byte for byte, so the client can
            // refuse the next publish to it itself; ref stays 0, as no subscription is concerned.
            return reject(c, ErrorCode.ACCESS_DENIED, 0, PUBLISH_REFUSED_PREFIX +
                buffer.getStringWithoutLengthUtf8(topicIndex, topicLength) + "' refused: uid " + c.uid() + " gid " +
                c.gid() + " may not publish there (" + c.permissions.label() + ": publish " +
                c.permissions.publishPatterns() + ")");
        }
        final int payloadLength = publish.payloadLength();
        if (payloadLength > context.maxPayload())
        {
            return reject(c, ErrorCode.PAYLOAD_TOO_LARGE, 0,
                "payload of " + payloadLength + " bytes is over max_payload " + context.maxPayload());
        }
        if (context.statTopTopics() > 0)
        {
            topicRates.onPublish(buffer, topicIndex, topicLength);
        }
        final long sequence = c.nextSequence();
        counters.increment(BrokerCounters.MESSAGES_PUBLISHED);
        counters.add(BrokerCounters.BYTES_PUBLISHED, payloadLength);
        final int n = fanOut.deliver(
            buffer, topicIndex, topicLength, payloadLength, context.nodeId(), c.publisherId(), sequence,
            timestampNs, c.uid(), c.pid(), nowNs);
        counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
        counters.add(BrokerCounters.BYTES_DELIVERED, (long)n * payloadLength);
        if (bridge != null)
        {
            bridge.onLocalMessage(buffer, topicIndex, topicLength, payloadLength, context.nodeId(), c.publisherId(),
                sequence, timestampNs, c.uid(), c.pid());
        }
        return true;
    }

    private boolean onStatRequest(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        statRequest.wrap(buffer, at);
        final int flags = statRequest.statFlags();
        if ((flags & ~(StatRequestFrame.NO_CLIENTS | StatRequestFrame.NO_TOPICS)) != 0)
        {
            return reject(c, ErrorCode.INVALID_OPTION, 0, "unknown stat_flags bits 0x" + Integer.toHexString(flags));
        }
        counters.increment(BrokerCounters.STAT_REQUESTS);
        if (!replyFits(c, StatReplyFrame.CHUNK_OFFSET))
        {
            // Full already: do not build a document for a client that does not read.
            return evictForReplies(c);
        }
        final byte[] document = statSource.statDocument(flags).getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer source = new UnsafeBuffer(document);
        final int chunkMax = context.maxDatagram() - StatReplyFrame.CHUNK_OFFSET;
        final int chunks = (document.length + chunkMax - 1) / Math.max(1, chunkMax);
        if (!replyFits(c, document.length + (long)Math.max(1, chunks) * StatReplyFrame.CHUNK_OFFSET))
        {
            return evictForReplies(c);
        }
        final Outbox outbox = c.outbox();
        int from = 0;
        do
        {
            final int length = Math.min(chunkMax, document.length - from);
            final MutableDirectBuffer out = outbox.reserve(StatReplyFrame.CHUNK_OFFSET + length);
            outbox.commit(StatReplyFrame.encode(
                out, outbox.writeOffset(), statRequest.requestId(), document.length, from, source, from, length));
            from += length;
        }
        while (from < document.length);
        fanOut.markForFlush(c);
        return true;
    }

    private boolean onHello(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        if (c.state() != ClientConnection.State.AWAITING_HELLO)
        {
            return reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, "HELLO sent twice");
        }
        hello.wrap(buffer, at);
        if (hello.minVersion() > Protocol.VERSION || hello.maxVersion() < Protocol.VERSION)
        {
            return reject(c, ErrorCode.UNSUPPORTED_VERSION, 0, "versions " + hello.minVersion() + ".." +
                hello.maxVersion() + " offered; this broker speaks " + Protocol.VERSION);
        }
        if (hello.nameLength() > Protocol.MAX_NAME_LENGTH ||
            !WireStrings.isValidUtf8(buffer, hello.nameIndex(), hello.nameLength()))
        {
            return reject(c, ErrorCode.INVALID_NAME, 0,
                "client name must be UTF-8 of at most " + Protocol.MAX_NAME_LENGTH + " bytes");
        }
        c.name(hello.name());
        if (hello.hasSession())
        {
            final long publisherId = PublisherIds.fromSession(c.uid(), hello.sessionId());
            c.resumeSession(publisherId, hello.nextSequence());
            resume(c, publisherId, hello.nextSequence());
        }
        c.state(ClientConnection.State.OPEN);
        final Outbox outbox = c.outbox();
        final MutableDirectBuffer out = outbox.reserve(WelcomeFrame.NODE_NAME_OFFSET + Protocol.MAX_NAME_LENGTH);
        outbox.commit(WelcomeFrame.encode(out, outbox.writeOffset(), Protocol.VERSION, context.maxPayload(),
            context.maxDatagram(), context.nodeId(), c.publisherId(), context.nodeName()));
        fanOut.markForFlush(c);
        Log.debug("hello from " + c.label());
        return true;
    }

    /**
     * A session came back. When its previous connection was closed by this broker with publishes unread (an
     * eviction, a fatal ERROR), the client counted them sent and the broker never numbered them: the sequences
     * between where the broker stopped and where the client resumes are lost, and only now can that be known.
     * Subscribers are told once, with one GAP per connection that has subscriptions, and only when there is a
     * hole: the client library passes it on to the subscriptions that saw this publisher (SPEC.md, GAP).
     */
    private void resume(final ClientConnection c, final long publisherId, final long nextSequence)
    {
        liveSessions.put(publisherId, c);
        final long last = closedSessions.resumed(publisherId);
        counters.set(BrokerCounters.CLOSED_SESSIONS, closedSessions.size());
        c.sessionSeen = last >= 0;
        final long next = Math.max(1, nextSequence);
        if (last >= 0 && next > last + 1)
        {
            final int told = resumedPublishers.tell(c, publisherId, last + 1, next - last - 1);
            counters.increment(BrokerCounters.SESSIONS_RESUMED_WITH_LOSS);
            counters.add(BrokerCounters.RESUMED_LOSS_GAPS, told);
            Log.debug(c.label() + " resumed its session at sequence " + next + ": the broker had numbered up to " +
                last + "; told " + told + " subscriber connections");
        }
    }

    /**
     * Remembers where a closing session connection's numbering stopped, once, and only for the newest connection
     * of its session: an older one that closes late says nothing about the newer one's numbering.
     */
    private void sessionClosed(final ClientConnection c)
    {
        if (!c.hasSession() || liveSessions.get(c.publisherId()) != c)
        {
            return;
        }
        liveSessions.remove(c.publisherId());
        if (!c.sessionSeen && !c.numberedAny())
        {
            // No subscriber can have seen this publisher here: nothing to compare a resume with.
            return;
        }
        closedSessions.limits(context.maxClosedSessions(), context.maxClosedSessionsPerUid());
        closedSessions.closed(c.uid(), c.publisherId(), c.lastSequence());
        counters.set(BrokerCounters.CLOSED_SESSIONS, closedSessions.size());
        counters.set(BrokerCounters.CLOSED_SESSIONS_FORGOTTEN, closedSessions.forgotten());
    }

    private boolean onSubscribe(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        subscribe.wrap(buffer, at);
        final int id = subscribe.subscriptionId();
        if (id == 0 || c.subscriptions().containsKey(id))
        {
            return reject(c, ErrorCode.DUPLICATE_SUBSCRIPTION, id,
                id == 0 ? "subscription id 0 is not allowed" : "subscription id " + id + " is already in use");
        }
        if (c.subscriptions().size() >= context.maxSubscriptionsPerConnection())
        {
            return reject(c, ErrorCode.TOO_MANY_SUBSCRIPTIONS, id,
                "at most " + context.maxSubscriptionsPerConnection() + " subscriptions per connection");
        }
        if (!Topics.isValidPattern(buffer, subscribe.patternIndex(), subscribe.patternLength()))
        {
            return reject(c, ErrorCode.INVALID_PATTERN, id, "invalid pattern '" +
                Printable.quote(buffer, subscribe.patternIndex(), subscribe.patternLength()) +
                "': tokens as in topics, '*' for one whole token, '>' as the last token only");
        }
        if (subscribe.patternLength() > context.maxTopicLength())
        {
            counters.increment(BrokerCounters.LIMIT_TOPIC_LENGTH);
            return reject(c, ErrorCode.INVALID_PATTERN, id, "pattern of " + subscribe.patternLength() +
                " bytes is over max_topic_length " + context.maxTopicLength());
        }
        final String pattern = subscribe.pattern();
        if (!c.permissions.maySubscribe(pattern))
        {
            counters.increment(BrokerCounters.ACCESS_DENIED_SUBSCRIBE);
            return reject(c, ErrorCode.ACCESS_DENIED, id, "uid " + c.uid() + " gid " + c.gid() +
                " may not subscribe to '" + pattern + "': it matches topics outside " +
                c.permissions.subscribePatterns() + " (" + c.permissions.label() + ")");
        }
        final SlowConsumerPolicy requested = SlowConsumerPolicy.fromCode(subscribe.policy());
        if (requested == null)
        {
            return reject(c, ErrorCode.INVALID_OPTION, id, "unknown slow-consumer policy " + subscribe.policy());
        }
        final long askedQueueBytes = subscribe.maxQueueBytes() & 0xFFFF_FFFFL;
        final long mostQueueBytes = Math.max(context.maxQueueBytesLimit(), context.maxQueueBytes());
        if (askedQueueBytes > mostQueueBytes)
        {
            return reject(c, ErrorCode.INVALID_OPTION, id, "max_queue_bytes " + askedQueueBytes +
                " is above this broker's max_queue_bytes_limit " + mostQueueBytes + "; 0 = the default " +
                context.maxQueueBytes());
        }
        if (requested == SlowConsumerPolicy.BLOCK && !c.mayBlock)
        {
            counters.increment(BrokerCounters.ACCESS_DENIED_SUBSCRIBE);
            return reject(c, ErrorCode.ACCESS_DENIED, id, "uid " + c.uid() + " gid " + c.gid() +
                " may not subscribe with the block policy, which holds other users' publishers back (only root, " +
                "the broker's user and [[acl.rule]] entries with block = true may); choose drop-oldest, drop-newest " +
                "or disconnect");
        }
        final int cost = Subscription.costOf(pattern);
        final String over = subscriptionBudgetExceeded(c, cost);
        if (over != null)
        {
            counters.increment(BrokerCounters.LIMIT_SUBSCRIPTION_BYTES);
            return reject(c, ErrorCode.TOO_MANY_SUBSCRIPTIONS, id, "subscription to '" + pattern + "' (charged " +
                cost + " bytes) refused: " + over);
        }
        SlowConsumerPolicy policy = requested == SlowConsumerPolicy.DEFAULT ? context.defaultPolicy() : requested;
        if (policy == SlowConsumerPolicy.BLOCK && !c.mayBlock)
        {
            // The broker's default would let this peer hold everyone back: it gets GAPs instead.
            policy = SlowConsumerPolicy.DROP_NEWEST;
        }
        final int queueBytes = askedQueueBytes == 0 ? context.maxQueueBytes() : (int)askedQueueBytes;
        final Subscription subscription = new Subscription(c, id, pattern, policy, queueBytes, cost);
        c.subscriptions().put(id, subscription);
        charge(c, cost);
        refreshQueueLimit(c);
        index.add(subscription.pattern(), subscription);
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
        return true;
    }

    /**
     * @return null when the subscription fits the connection's, its uid's and the broker's budget;
     * else which bound it would pass, for the ERROR.
     */
    private String subscriptionBudgetExceeded(final ClientConnection c, final int cost)
    {
        if (c.subscriptionBytes + cost > context.maxSubscriptionBytesPerConnection())
        {
            return "this connection's subscriptions are charged " + c.subscriptionBytes +
                " bytes of max_subscription_bytes_per_connection " + context.maxSubscriptionBytesPerConnection();
        }
        if (c.account().subscriptionBytes() + cost > context.maxSubscriptionBytesPerUid())
        {
            return "uid " + c.uid() + "'s subscriptions are charged " + c.account().subscriptionBytes() +
                " bytes of max_subscription_bytes_per_uid " + context.maxSubscriptionBytesPerUid();
        }
        if (accounts.totalSubscriptionBytes() + cost > context.maxTotalSubscriptionBytes())
        {
            return "all subscriptions together are charged " + accounts.totalSubscriptionBytes() +
                " bytes of max_total_subscription_bytes " + context.maxTotalSubscriptionBytes();
        }
        return null;
    }

    private void charge(final ClientConnection c, final long bytes)
    {
        c.subscriptionBytes += bytes;
        accounts.subscriptions(c.account(), bytes);
    }

    /**
     * A connection's queue bound is the largest its subscriptions asked for (so one that asked for
     * less than the default gets less), and the default while it has none.
     */
    private void refreshQueueLimit(final ClientConnection c)
    {
        if (c.subscriptions().isEmpty())
        {
            c.queueLimit(context.maxQueueBytes());
            return;
        }
        int limit = 0;
        for (final Subscription s : c.subscriptions().values())
        {
            limit = Math.max(limit, s.queueBytes());
        }
        c.queueLimit(limit);
    }

    /**
     * Replies (PONG, STAT_REPLY, ERROR, WELCOME) go through the same queue as deliveries and count
     * against its bound, with the broker's default as the floor, so a subscription that asked for a
     * small queue can still be answered.
     */
    private boolean replyFits(final ClientConnection c, final long length)
    {
        return c.outbox().queuedBytes() + length <= Math.max(c.queueLimit(), context.maxQueueBytes());
    }

    /**
     * Evicts a client whose replies outgrew its queue: it asks for answers it does not read, as a
     * slow consumer does. What was queued goes, so the ERROR is the next thing it reads.
     *
     * @return false: the connection must close.
     */
    private boolean evictForReplies(final ClientConnection c)
    {
        counters.increment(BrokerCounters.REPLY_EVICTIONS);
        fanOut.onClosed(c);
        c.evicting = true;
        c.outbox().clear();
        return reject(c, ErrorCode.SLOW_CONSUMER, 0, "slow consumer: the replies it asked for (PONG, STAT, ERROR) " +
            "outgrew its queue of " + Math.max(c.queueLimit(), context.maxQueueBytes()) + " bytes unread");
    }

    private boolean onUnsubscribe(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        unsubscribe.wrap(buffer, at);
        final int id = unsubscribe.subscriptionId();
        final Subscription subscription = c.subscriptions().remove(id);
        if (subscription == null)
        {
            return reject(c, ErrorCode.UNKNOWN_SUBSCRIPTION, id, "no subscription with id " + id);
        }
        index.remove(subscription.pattern(), subscription);
        charge(c, -subscription.cost());
        refreshQueueLimit(c);
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
        return true;
    }

    /**
     * Applies reloaded access rules to a live connection: it gets the permissions of its identity
     * under the new rules, and each subscription they no longer allow is removed, with an
     * ACCESS_DENIED ERROR naming it (ref: its id), so the client knows it will get no more.
     *
     * @param c     an open connection.
     * @param rules the new rules.
     * @return subscriptions removed.
     */
    int reapply(final ClientConnection c, final AccessControl rules)
    {
        c.permissions = rules.permissionsFor(c.uid(), c.gid());
        revoked.clear();
        c.subscriptions().forEach((id, subscription) ->
        {
            if (!c.permissions.maySubscribe(subscription.pattern()))
            {
                revoked.add(subscription);
            }
        });
        for (final Subscription subscription : revoked)
        {
            c.subscriptions().remove(subscription.id());
            index.remove(subscription.pattern(), subscription);
            charge(c, -subscription.cost());
            counters.increment(BrokerCounters.ACCESS_REVOKED);
            reject(c, ErrorCode.ACCESS_DENIED, subscription.id(), "subscription " + subscription.id() + " to '" +
                subscription.pattern() + "' removed: the reloaded access rules no longer allow it (" +
                c.permissions.label() + ": subscribe " + c.permissions.subscribePatterns() + ")");
        }
        refreshQueueLimit(c);
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
        return revoked.size();
    }

    /**
     * Removes every subscription of a closing connection from the index.
     *
     * @param c the connection.
     */
    void forget(final ClientConnection c)
    {
        sessionClosed(c);
        c.subscriptions().forEach((id, subscription) -> index.remove(subscription.pattern(), subscription));
        c.subscriptions().clear();
        charge(c, -c.subscriptionBytes);
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
    }

    /**
     * Queues an ERROR frame for a client.
     *
     * @param c      the client.
     * @param code   an {@link ErrorCode}.
     * @param ref    subscription id concerned, or 0.
     * @param reason for people.
     * @return false when the code is fatal and the connection must close.
     */
    boolean reject(final ClientConnection c, final int code, final int ref, final String reason)
    {
        counters.increment(BrokerCounters.FRAMES_REJECTED + code);
        if (!ErrorCode.isFatal(code) && !replyFits(c, MAX_ERROR_FRAME))
        {
            return evictForReplies(c);
        }
        final Outbox outbox = c.outbox();
        final MutableDirectBuffer out = outbox.reserve(MAX_ERROR_FRAME);
        outbox.commit(ErrorFrame.encode(out, outbox.writeOffset(), code, ref, reason));
        fanOut.markForFlush(c);
        final boolean fatal = ErrorCode.isFatal(code);
        if (fatal && code != ErrorCode.SHUTTING_DOWN)
        {
            Log.warn("closing " + c.label() + ": " + ErrorCode.name(code) + ": " + reason);
        }
        else
        {
            Log.debug("refused a frame of " + c.label() + ": " + ErrorCode.name(code) + ": " + reason);
        }
        return !fatal;
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.Printable;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.Topics;
import org.agrona.DirectBuffer;

/**
 * The checks every publish passes first, PUBLISH and PUBLISH_FDS alike: a valid topic, within max_topic_length,
 * that the peer's rules let it publish to (SPEC.md, "Validation and error codes"). A refusal is answered here.
 */
final class PublishRights
{
    /** The publish may go on. */
    static final int ALLOWED = 0;
    /** Refused; the connection goes on. */
    static final int REFUSED = 1;
    /** Refused with a fatal ERROR (or the client was evicted for unread replies): the connection closes. */
    static final int CLOSE = 2;

    /** How the reason of a refused PUBLISH begins; the topic and {@code "' "} follow (SPEC.md, ERROR). */
    static final String PUBLISH_REFUSED_PREFIX = "publish '";

    private final BrokerContext context;
    private final BrokerCounters counters;
    private final Replies replies;

    PublishRights(final BrokerContext context, final BrokerCounters counters, final Replies replies)
    {
        this.context = context;
        this.counters = counters;
        this.replies = replies;
    }

    /**
     * @return {@link #ALLOWED}, {@link #REFUSED} or {@link #CLOSE}.
     */
    int check(final ClientConnection c, final DirectBuffer buffer, final int topicIndex, final int topicLength)
    {
        final int maxTopicLength = context.maxTopicLength();
        if (c.lastTopic().matches(buffer, topicIndex, topicLength, c.permissions(), maxTopicLength))
        {
            return ALLOWED;
        }
        if (!Topics.isValidTopic(buffer, topicIndex, topicLength))
        {
            return refused(replies.reject(c, ErrorCode.INVALID_TOPIC, 0, "invalid topic '" +
                Printable.quote(buffer, topicIndex, topicLength) + "': dot-separated non-empty tokens, no wildcards, " +
                "no spaces or control characters, valid UTF-8, at most " + Protocol.MAX_TOPIC_LENGTH + " bytes"));
        }
        if (topicLength > context.maxTopicLength())
        {
            counters.increment(BrokerCounters.LIMIT_TOPIC_LENGTH);
            return refused(replies.reject(c, ErrorCode.INVALID_TOPIC, 0, "topic of " + topicLength +
                " bytes is over max_topic_length " + context.maxTopicLength()));
        }
        if (!c.permissions().mayPublish(buffer, topicIndex, topicLength))
        {
            counters.increment(BrokerCounters.ACCESS_DENIED_PUBLISH);
            // SPEC.md, ERROR: the reason starts with the topic byte for byte, so the client can
            // refuse the next publish to it itself; ref stays 0, as no subscription is concerned.
            return refused(replies.reject(c, ErrorCode.ACCESS_DENIED, 0, PUBLISH_REFUSED_PREFIX +
                buffer.getStringWithoutLengthUtf8(topicIndex, topicLength) + "' refused: uid " + c.uid() + " gid " +
                c.gid() + " may not publish there (" + c.permissions().label() + ": publish " +
                c.permissions().publishPatterns() + ")"));
        }
        c.lastTopic().allowed(buffer, topicIndex, topicLength, c.permissions(), maxTopicLength);
        return ALLOWED;
    }

    /**
     * @param goOn what {@link Replies#reject} returned.
     * @return {@link #REFUSED} or {@link #CLOSE}.
     */
    static int refused(final boolean goOn)
    {
        return goOn ? REFUSED : CLOSE;
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.ClientProxy;
import io.seqbus.broker.fanout.Subscriber;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;

/**
 * Whether a client may be answered, and the ERROR for every refusal, counted and logged in one place. Replies
 * (PONG, STAT_REPLY, ERROR, WELCOME) go through the same queue as deliveries and count against its bound, with
 * the broker's default as the floor, so a subscription that asked for a small queue can still be answered; a
 * client whose replies outgrow it is evicted as a slow consumer. The frames are written by {@link ClientProxy}.
 */
final class Replies
{
    private final BrokerContext context;
    private final BrokerCounters counters;

    Replies(final BrokerContext context, final BrokerCounters counters)
    {
        this.context = context;
        this.counters = counters;
    }

    /**
     * @param c      the client.
     * @param length of the reply, bytes.
     * @return true when the reply fits its queue.
     */
    boolean fit(final ClientConnection c, final long length)
    {
        final Subscriber s = c.subscriber();
        return s.queuedBytes() + length <= Math.max(s.queueLimit(), context.maxQueueBytes());
    }

    /**
     * Evicts a client whose replies outgrew its queue: it asks for answers it does not read, as a
     * slow consumer does. What was queued goes, so the ERROR is the next thing it reads.
     *
     * @param c the client.
     * @return false: the connection must close.
     */
    boolean evictForReplies(final ClientConnection c)
    {
        counters.increment(BrokerCounters.REPLY_EVICTIONS);
        final long discarded = c.subscriber().discardQueue();
        return reject(c, ErrorCode.SLOW_CONSUMER, 0, "slow consumer: the replies it asked for (PONG, STAT, ERROR) " +
            "outgrew its queue of " + Math.max(c.subscriber().queueLimit(), context.maxQueueBytes()) +
            " bytes unread; " + discarded + " queued messages discarded");
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
        if (!ErrorCode.isFatal(code) && !fit(c, ClientProxy.MAX_ERROR_FRAME))
        {
            return evictForReplies(c);
        }
        ClientProxy.error(c.subscriber(), code, ref, reason);
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

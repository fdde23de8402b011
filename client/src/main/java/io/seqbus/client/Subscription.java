package io.seqbus.client;


/**
 * A live subscription of a {@link BusClient}, made by {@link BusClient#subscribe}.
 *
 * <p>The broker does not acknowledge a SUBSCRIBE; it answers a refusal with an ERROR whose
 * {@code ref} is this subscription's id (too many subscriptions, access denied, a bad option).
 * Such an ERROR goes to the client's {@link ErrorHandler} and also marks this subscription as
 * failed: {@link #error()} returns it, {@link #isActive()} turns false, and the subscription is
 * not sent again after a reconnect. To learn whether a subscription is in force, call
 * {@link BusClient#sync} after subscribing (it waits until the broker has handled the
 * SUBSCRIBE) and then look at {@link #error()}.
 *
 * <p>After a reconnect a queue group's SUBSCRIBE ({@link SubscriptionOptions#group}) goes only once WELCOME says
 * SERVICES: against a broker from before them it is never sent, and the subscription fails with an error
 * ({@link ErrorCode#CLIENT}, "queue groups need a broker with SERVICES") that the error handler also hears; the
 * other subscriptions resume.
 */
public final class Subscription implements AutoCloseable
{
    private final BusClient client;
    private final int id;
    private final String pattern;
    private final MessageHandler handler;
    private final GapHandler gapHandler;
    private final SlowConsumerPolicy policy;
    private final long maxQueueBytes;
    private final String group;
    private final Counters counters = new Counters(SubscriptionStats.COUNT);
    // Polling side: what this subscription delivered per publisher, to count what a reconnect lost.
    private final PublisherSequences sequences = new PublisherSequences();
    private volatile BusError error;
    private volatile boolean closed;
    // Under the Outbound lock: drain() sent its UNSUBSCRIBE; deliveries already on their way still run.
    private boolean drained;

    Subscription(
        final BusClient client, final int id, final String pattern, final MessageHandler handler,
        final GapHandler gapHandler, final SlowConsumerPolicy policy, final long maxQueueBytes, final String group)
    {
        this.group = group;
        this.client = client;
        this.id = id;
        this.pattern = pattern;
        this.handler = handler;
        this.gapHandler = gapHandler;
        this.policy = policy;
        this.maxQueueBytes = maxQueueBytes;
    }

    /**
     * @return the id the client chose, 1, 2, 3, … in the order of subscribing.
     */
    public int id()
    {
        return id;
    }

    /**
     * @return the pattern.
     */
    public String pattern()
    {
        return pattern;
    }

    /**
     * @return the slow-consumer policy asked for.
     */
    public SlowConsumerPolicy policy()
    {
        return policy;
    }

    /**
     * @return the queue group it is a member of ({@link SubscriptionOptions#group(String)}), or null.
     */
    public String group()
    {
        return group;
    }

    /**
     * @return the queue bound asked for, 0 for the broker's default.
     */
    public long maxQueueBytes()
    {
        return maxQueueBytes;
    }

    /**
     * @return what this subscription has seen so far: messages delivered, handler errors, gaps and the
     * messages they say were lost or dropped. A snapshot of counters the polling thread keeps; cheap, but it
     * allocates, so call it from a metrics poll rather than per message.
     */
    public SubscriptionStats stats()
    {
        return SubscriptionStats.of(counters, queue());
    }

    /**
     * @return the ERROR with which the broker refused this subscription, or null.
     */
    public BusError error()
    {
        return error;
    }

    /**
     * @return true unless closed or refused by the broker.
     */
    public boolean isActive()
    {
        return !closed && error == null;
    }

    /**
     * @return true once {@link #close()} was called.
     */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Unsubscribes. No new deliveries are dispatched to the handler after this returns, except
     * one already running on the polling thread, or on the executor (see {@link SubscriptionOptions#executor}: what
     * was queued for it is not handled, and counted in {@link SubscriptionStats#unhandled()}). Idempotent.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            client.unsubscribe(this);
        }
        final HandlerQueue queue = queue();
        if (queue != null)
        {
            queue.close();
        }
    }

    // Handlers off the I/O thread, and pull (issue 19).

    /**
     * Pull mode ({@link BusClient#subscribe(String, SubscriptionOptions)}): takes the oldest message the client
     * queued for this subscription, waiting up to the timeout. The message is a copy the caller owns, valid as long
     * as it is kept. Several threads may call it; each message goes to one of them, in order of taking. In
     * {@link ThreadMode#POLL} messages come only while some thread polls: call it from another thread than the one
     * polling. Gaps are not queued for {@code next}: the gap handler is told on the I/O thread as the GAP is read
     * (as without an executor), so it may hear of a gap before {@code next} returns the messages queued ahead of it;
     * compare {@link Gap#fromSequence()} with {@link Message#sequence()} where the order matters.
     *
     * @param timeout longest wait; zero or negative takes only what is queued already.
     * @return the message, or null when none came within the timeout.
     * @throws IllegalStateException when this is not a pull subscription, when it is closed (by {@link #close()},
     *                               the client's close, or a full queue under the disconnect policy, see
     *                               {@link #error()}) or refused by the broker (before or while waiting; what was
     *                               still queued at its close is counted as {@link SubscriptionStats#unhandled()}),
     *                               when called from a handler on the client's I/O thread (nothing would fill the
     *                               queue while it waits), or when the waiting thread is interrupted.
     */
    public Message next(final java.time.Duration timeout)
    {
        final HandlerQueue queue = queue();
        if (queue == null || !queue.isPull())
        {
            throw new IllegalStateException("next() is for pull subscriptions (BusClient.subscribe(pattern, " +
                "SubscriptionOptions.pull())): " + this);
        }
        if (client.isHandlerThread())
        {
            throw new IllegalStateException("next() cannot be called on the client's I/O thread: nothing would " +
                "fill the queue while it waits");
        }
        checkPullable();
        final Message message = queue.next(timeout.isNegative() ? 0 : timeout.toNanos());
        if (message == null)
        {
            checkPullable();
        }
        return message;
    }

    private void checkPullable()
    {
        if (closed || error != null || queue().isClosed())
        {
            throw new IllegalStateException("subscription " + id + " on '" + pattern + "' is " +
                (error != null ? "refused or closed with an error: " + error : "closed") + "; no more next()");
        }
    }

    /**
     * @return messages the client holds for this subscription's handler on its executor, or for {@link #next};
     * 0 for a subscription whose handler runs on the I/O thread.
     */
    public int pending()
    {
        final HandlerQueue queue = queue();
        return queue != null ? queue.pending() : 0;
    }

    /** @return the queue in front of the handler with an executor or in pull mode, else null. */
    HandlerQueue queue()
    {
        return handler instanceof HandlerQueue ? (HandlerQueue)handler : null;
    }

    /**
     * @return the id, pattern and state as one line.
     */
    public String toString()
    {
        return "Subscription{id=" + id + ", pattern=" + pattern + ", policy=" + policy.label() +
            (closed ? ", closed" : "") + (error != null ? ", error=" + error : "") + "}";
    }

    /** Written by the polling side only. */
    Counters counters()
    {
        return counters;
    }

    MessageHandler handler()
    {
        return handler;
    }

    GapHandler gapHandler()
    {
        return gapHandler;
    }

    /** Under the Outbound lock: drain() unsubscribed it at the broker; it is not sent again, nor on reconnect. */
    void drained()
    {
        drained = true;
    }

    /** Under the Outbound lock. */
    boolean isDrained()
    {
        return drained;
    }

    void fail(final BusError error)
    {
        this.error = error;
        // A refused subscription gets nothing more: its queue (executor or pull) closes, next() ends.
        final HandlerQueue queue = queue();
        if (queue != null)
        {
            queue.close();
        }
    }

    /** @return per publisher, the last sequence delivered; polling side only. */
    PublisherSequences sequences()
    {
        return sequences;
    }
}

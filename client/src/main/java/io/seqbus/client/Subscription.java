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
        return SubscriptionStats.of(counters);
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
     * one already running on the polling thread. Idempotent.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            client.unsubscribe(this);
        }
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
    }

    /** @return per publisher, the last sequence delivered; polling side only. */
    PublisherSequences sequences()
    {
        return sequences;
    }
}

package io.seqbus.client;


/**
 * Messages that may have been lost: a reusable view, valid only during the
 * {@link GapHandler#onGap} call it is passed to (for a subscription with an executor, a copy of its own).
 * <p>
 * After a reconnect the client reports one {@code RECONNECTED} gap with count 0 (what publishers that never
 * publish again lost is unknown), then, at the first message of each publisher it delivered before, a
 * {@code RECONNECTED} gap with that publisher and the exact count of its messages missed: every client keeps its
 * publisher id and sequence across its reconnects and broker restarts. When only a publisher's connection broke
 * and the broker had closed it with publishes unread, the broker says so when that publisher comes back: a
 * {@code PUBLISHER_RESUMED} gap with that publisher, the first sequence lost and the exact count, passed only to
 * the subscriptions that delivered a message of that publisher. Drop gaps name their publisher (under
 * drop-newest, publisher 0 when several). The sum of the counts is the loss, or more, never less (SPEC.md, "What a
 * subscriber can count"). Not so with a broker older than sessions, nor for publishers whose client has
 * none (an old Python client): they come back as new publishers, and only the count 0 gap covers them.
 */
public final class Gap
{
    private Subscription subscription;
    private int sourceNode;
    private long publisherId;
    private long fromSequence;
    private long count;
    private int reason;

    Gap()
    {
    }

    Gap set(
        final Subscription subscription, final int sourceNode, final long publisherId, final long fromSequence,
        final long count, final int reason)
    {
        this.subscription = subscription;
        this.sourceNode = sourceNode;
        this.publisherId = publisherId;
        this.fromSequence = fromSequence;
        this.count = count;
        this.reason = reason;
        return this;
    }

    /** @return a copy that stays valid after the call: for a subscription whose handlers run on an executor. */
    Gap copy()
    {
        return new Gap().set(subscription, sourceNode, publisherId, fromSequence, count, reason);
    }

    /**
     * @return the subscription that may have lost messages.
     */
    public Subscription subscription()
    {
        return subscription;
    }

    /**
     * @return the id of that subscription (a GAP for "every subscription" is passed to each of them).
     */
    public int subscriptionId()
    {
        return subscription.id();
    }

    /**
     * @return node id the lost messages came from, 0 if unknown.
     */
    public int sourceNode()
    {
        return sourceNode;
    }

    /**
     * @return publisher id of the lost messages, 0 if unknown or several.
     */
    public long publisherId()
    {
        return publisherId;
    }

    /**
     * @return first sequence lost, 0 if unknown.
     */
    public long fromSequence()
    {
        return fromSequence;
    }

    /**
     * @return messages lost, 0 if unknown.
     */
    public long count()
    {
        return count;
    }

    /**
     * @return the {@link GapReason} code.
     */
    public int reason()
    {
        return reason;
    }

    /**
     * @return the reason's name from SPEC.md, such as {@code RECONNECTED}.
     */
    public String reasonName()
    {
        return GapReason.name(reason);
    }

    /**
     * @return the fields as one line (allocates).
     */
    public String toString()
    {
        return "Gap{sub=" + subscriptionId() + ", reason=" + reasonName() + ", node=" + sourceNode +
            ", publisher=" + publisherId + ", from=" + fromSequence + ", count=" + count + "}";
    }
}

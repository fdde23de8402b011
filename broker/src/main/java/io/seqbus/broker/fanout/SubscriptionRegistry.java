package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.wire.SlowConsumerPolicy;

import java.util.ArrayList;
import java.util.function.IntSupplier;
import java.util.function.Predicate;

/**
 * Every live subscription, kept in step in the three places it is known: its subscriber's own table, the topic
 * index that routes to it, and what it is charged (to the subscriber, its uid and the broker), with the
 * subscriptions gauge and each subscriber's queue bound that follow from them. Subscribe, unsubscribe, the
 * removal of what reloaded rules no longer allow, and the removal of all of a closing client's go through here
 * and nowhere else, as Redis's pubsub.c does subscribe, unsubscribe and unsubscribe-all. Checking whether a
 * subscription may be made is the command adapter's; this only applies it. Owned by the agent thread.
 */
public final class SubscriptionRegistry
{
    private final TopicIndex<Subscription> index;
    private final UidAccounts accounts;
    private final BrokerCounters counters;
    private final IntSupplier defaultQueueBytes;
    private final ArrayList<Subscription> removing = new ArrayList<>();
    private final Groups groups = new Groups();

    /**
     * @param index             the topic index the fan-out matches against.
     * @param accounts          what each uid holds.
     * @param counters          where the subscriptions gauge is kept.
     * @param defaultQueueBytes the broker's default queue bound (changes on reload).
     */
    public SubscriptionRegistry(
        final TopicIndex<Subscription> index, final UidAccounts accounts, final BrokerCounters counters,
        final IntSupplier defaultQueueBytes)
    {
        this.index = index;
        this.accounts = accounts;
        this.counters = counters;
        this.defaultQueueBytes = defaultQueueBytes;
        index.arrange(Groups.PLAIN_THEN_BY_GROUP);
    }

    /**
     * @return the queue groups' members by pattern, at most {@link io.seqbus.wire.GroupsFrame#MAX_ENTRIES}, for
     * the LAN's GROUPS announcement (allocates: once an announcement interval).
     */
    public java.util.List<io.seqbus.wire.GroupsFrame.Entry> groupEntries()
    {
        return groups.entries(io.seqbus.wire.GroupsFrame.MAX_ENTRIES);
    }

    /** @return queue groups with live members. */
    public int groupCount()
    {
        return groups.size();
    }

    /** @return heap charged for all subscriptions together, bytes. */
    public long totalSubscriptionBytes()
    {
        return accounts.totalSubscriptionBytes();
    }

    /**
     * Adds a checked subscription.
     *
     * @param to         the subscriber.
     * @param id         its id, not in use by this subscriber.
     * @param pattern    a valid pattern.
     * @param policy     resolved slow-consumer policy (never DEFAULT).
     * @param queueBytes the bound of the subscriber's queue it asks for.
     * @param cost       heap charged for it, bytes ({@link Subscription#costOf}).
     * @return the subscription.
     */
    public Subscription subscribe(
        final Subscriber to, final int id, final String pattern, final SlowConsumerPolicy policy, final int queueBytes,
        final int cost)
    {
        return subscribe(to, id, pattern, policy, queueBytes, cost, null);
    }

    /**
     * Adds a checked subscription, a member of a queue group when {@code group} is not null.
     *
     * @param to         the subscriber.
     * @param id         its id, not in use by this subscriber.
     * @param pattern    a valid pattern.
     * @param policy     resolved slow-consumer policy (never DEFAULT).
     * @param queueBytes the bound of the subscriber's queue it asks for.
     * @param cost       heap charged for it, bytes ({@link Subscription#costOf}).
     * @param group      a valid group name, or null.
     * @return the subscription.
     */
    public Subscription subscribe(
        final Subscriber to, final int id, final String pattern, final SlowConsumerPolicy policy, final int queueBytes,
        final int cost, final String group)
    {
        final Subscription s =
            new Subscription(to, id, pattern, policy, queueBytes, cost, group == null ? null : groups.join(group, pattern));
        to.add(s);
        accounts.subscriptions(to.account(), cost);
        to.refreshQueueLimit(defaultQueueBytes.getAsInt());
        index.add(pattern, s);
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
        return s;
    }

    /**
     * @param from the subscriber.
     * @param id   the subscription's id.
     * @return the subscription removed, or null when it has none with that id.
     */
    public Subscription unsubscribe(final Subscriber from, final int id)
    {
        final Subscription s = from.remove(id);
        if (s != null)
        {
            forget(from, s);
            from.refreshQueueLimit(defaultQueueBytes.getAsInt());
            counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
        }
        return s;
    }

    /**
     * Removes the subscriptions whose pattern is no longer allowed, as after reloaded access rules.
     *
     * @param from    the subscriber.
     * @param allowed says whether a pattern is still allowed.
     * @return the subscriptions removed, in no order; valid until the next call.
     */
    public ArrayList<Subscription> unsubscribeUnless(final Subscriber from, final Predicate<String> allowed)
    {
        removing.clear();
        for (final Subscription s : from.subscriptionMap().values())
        {
            if (!allowed.test(s.pattern()))
            {
                removing.add(s);
            }
        }
        for (int i = 0; i < removing.size(); i++)
        {
            forget(from, from.remove(removing.get(i).id()));
        }
        from.refreshQueueLimit(defaultQueueBytes.getAsInt());
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
        return removing;
    }

    /**
     * Removes every subscription of a closing subscriber.
     *
     * @param from the subscriber.
     */
    public void unsubscribeAll(final Subscriber from)
    {
        if (from.subscriptionCount() == 0)
        {
            return;
        }
        removing.clear();
        removing.addAll(from.subscriptionMap().values());
        for (int i = 0; i < removing.size(); i++)
        {
            forget(from, from.remove(removing.get(i).id()));
        }
        removing.clear();
        counters.set(BrokerCounters.SUBSCRIPTIONS, index.subscriptionCount());
    }

    private void forget(final Subscriber from, final Subscription s)
    {
        if (s.group() != null)
        {
            groups.leave(s.group(), s.pattern());
        }
        index.remove(s.pattern(), s);
        accounts.subscriptions(from.account(), -s.cost());
    }
}

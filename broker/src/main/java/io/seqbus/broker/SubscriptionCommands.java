package io.seqbus.broker;

import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.acl.Permissions;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.Subscription;
import io.seqbus.broker.fanout.SubscriptionRegistry;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.Groups;
import io.seqbus.wire.Printable;
import io.seqbus.wire.SlowConsumerPolicy;
import io.seqbus.wire.SubscribeFrame;
import io.seqbus.wire.Topics;
import io.seqbus.wire.UnsubscribeFrame;
import org.agrona.DirectBuffer;

import java.util.ArrayList;

/**
 * SUBSCRIBE and UNSUBSCRIBE from a client, and the access rules reloaded under live subscriptions: each is
 * checked here (id, pattern, permissions, policy, queue bound, the subscription budgets) and applied through the
 * {@link SubscriptionRegistry}, which keeps the subscriber, the topic index and the charges in step. Part of the
 * command adapter ({@link ClientCommandAdapter}); owned by the agent thread.
 */
final class SubscriptionCommands
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final SubscriptionRegistry registry;
    private final Replies replies;
    private final SubscribeFrame subscribe = new SubscribeFrame();
    private final UnsubscribeFrame unsubscribe = new UnsubscribeFrame();

    SubscriptionCommands(
        final BrokerContext context, final BrokerCounters counters, final SubscriptionRegistry registry,
        final Replies replies)
    {
        this.context = context;
        this.counters = counters;
        this.registry = registry;
        this.replies = replies;
    }

    boolean onSubscribe(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        subscribe.wrap(buffer, at);
        final int id = subscribe.subscriptionId();
        if (id == 0 || c.subscriber().subscription(id) != null)
        {
            return replies.reject(c, ErrorCode.DUPLICATE_SUBSCRIPTION, id,
                id == 0 ? "subscription id 0 is not allowed" : "subscription id " + id + " is already in use");
        }
        if (c.subscriber().subscriptionCount() >= context.maxSubscriptionsPerConnection())
        {
            return replies.reject(c, ErrorCode.TOO_MANY_SUBSCRIPTIONS, id,
                "at most " + context.maxSubscriptionsPerConnection() + " subscriptions per connection");
        }
        if (!Topics.isValidPattern(buffer, subscribe.patternIndex(), subscribe.patternLength()))
        {
            return replies.reject(c, ErrorCode.INVALID_PATTERN, id, "invalid pattern '" +
                Printable.quote(buffer, subscribe.patternIndex(), subscribe.patternLength()) +
                "': tokens as in topics, '*' for one whole token, '>' as the last token only");
        }
        if (subscribe.patternLength() > context.maxTopicLength())
        {
            counters.increment(BrokerCounters.LIMIT_TOPIC_LENGTH);
            return replies.reject(c, ErrorCode.INVALID_PATTERN, id, "pattern of " + subscribe.patternLength() +
                " bytes is over max_topic_length " + context.maxTopicLength());
        }
        final String pattern = subscribe.pattern();
        if (!c.permissions().maySubscribe(pattern))
        {
            counters.increment(BrokerCounters.ACCESS_DENIED_SUBSCRIBE);
            return replies.reject(c, ErrorCode.ACCESS_DENIED, id, "uid " + c.uid() + " gid " + c.gid() +
                " may not subscribe to '" + pattern + "': it matches topics outside " +
                c.permissions().subscribePatterns() + " (" + c.permissions().label() + ")");
        }
        String group = null;
        if (subscribe.hasGroup())
        {
            if (!Groups.isValidGroup(buffer, subscribe.groupIndex(), subscribe.groupLength()))
            {
                return replies.reject(c, ErrorCode.INVALID_GROUP, id, "invalid queue group name '" +
                    Printable.quote(buffer, subscribe.groupIndex(), subscribe.groupLength()) +
                    "': 1 to 64 bytes of one topic token (no '.', '*', '>', space or control character)");
            }
            group = subscribe.group();
            if (!c.permissions().mayJoin(group))
            {
                counters.increment(BrokerCounters.ACCESS_DENIED_SUBSCRIBE);
                return replies.reject(c, ErrorCode.ACCESS_DENIED, id, "uid " + c.uid() + " gid " + c.gid() +
                    " may not join queue group '" + group + "': the rules allow " + c.permissions().groupNames() +
                    " (" + c.permissions().label() + ")");
            }
        }
        final SlowConsumerPolicy requested = SlowConsumerPolicy.fromCode(subscribe.policy());
        if (requested == null)
        {
            return replies.reject(c, ErrorCode.INVALID_OPTION, id,
                "unknown slow-consumer policy " + subscribe.policy());
        }
        final long askedQueueBytes = subscribe.maxQueueBytes() & 0xFFFF_FFFFL;
        final long mostQueueBytes = Math.max(context.maxQueueBytesLimit(), context.maxQueueBytes());
        if (askedQueueBytes > mostQueueBytes)
        {
            return replies.reject(c, ErrorCode.INVALID_OPTION, id, "max_queue_bytes " + askedQueueBytes +
                " is above this broker's max_queue_bytes_limit " + mostQueueBytes + "; 0 = the default " +
                context.maxQueueBytes());
        }
        if (requested == SlowConsumerPolicy.BLOCK && !c.mayBlock())
        {
            counters.increment(BrokerCounters.ACCESS_DENIED_SUBSCRIBE);
            return replies.reject(c, ErrorCode.ACCESS_DENIED, id, "uid " + c.uid() + " gid " + c.gid() +
                " may not subscribe with the block policy, which holds other users' publishers back (only root, " +
                "the broker's user and [[acl.rule]] entries with block = true may); choose drop-oldest, drop-newest " +
                "or disconnect");
        }
        final int cost = Subscription.costOf(pattern);
        final String over = subscriptionBudgetExceeded(c, cost);
        if (over != null)
        {
            counters.increment(BrokerCounters.LIMIT_SUBSCRIPTION_BYTES);
            return replies.reject(c, ErrorCode.TOO_MANY_SUBSCRIPTIONS, id, "subscription to '" + pattern +
                "' (charged " + cost + " bytes) refused: " + over);
        }
        SlowConsumerPolicy policy = requested == SlowConsumerPolicy.DEFAULT ? context.defaultPolicy() : requested;
        if (policy == SlowConsumerPolicy.BLOCK && !c.mayBlock())
        {
            // The broker's default would let this peer hold everyone back: it gets GAPs instead.
            policy = SlowConsumerPolicy.DROP_NEWEST;
        }
        final int queueBytes = askedQueueBytes == 0 ? context.maxQueueBytes() : (int)askedQueueBytes;
        registry.subscribe(c.subscriber(), id, pattern, policy, queueBytes, cost, group);
        return true;
    }

    /**
     * @return null when the subscription fits the connection's, its uid's and the broker's budget;
     * else which bound it would pass, for the ERROR.
     */
    private String subscriptionBudgetExceeded(final ClientConnection c, final int cost)
    {
        final long connectionBytes = c.subscriber().subscriptionBytes();
        if (connectionBytes + cost > context.maxSubscriptionBytesPerConnection())
        {
            return "this connection's subscriptions are charged " + connectionBytes +
                " bytes of max_subscription_bytes_per_connection " + context.maxSubscriptionBytesPerConnection();
        }
        if (c.account().subscriptionBytes() + cost > context.maxSubscriptionBytesPerUid())
        {
            return "uid " + c.uid() + "'s subscriptions are charged " + c.account().subscriptionBytes() +
                " bytes of max_subscription_bytes_per_uid " + context.maxSubscriptionBytesPerUid();
        }
        if (registry.totalSubscriptionBytes() + cost > context.maxTotalSubscriptionBytes())
        {
            return "all subscriptions together are charged " + registry.totalSubscriptionBytes() +
                " bytes of max_total_subscription_bytes " + context.maxTotalSubscriptionBytes();
        }
        return null;
    }

    boolean onUnsubscribe(final ClientConnection c, final DirectBuffer buffer, final int at)
    {
        unsubscribe.wrap(buffer, at);
        final int id = unsubscribe.subscriptionId();
        if (registry.unsubscribe(c.subscriber(), id) == null)
        {
            return replies.reject(c, ErrorCode.UNKNOWN_SUBSCRIPTION, id, "no subscription with id " + id);
        }
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
        c.grant(rules.permissionsFor(c.uid(), c.gid()), rules.mayBlock(c.uid(), c.gid()));
        final Permissions permissions = c.permissions();
        final ArrayList<Subscription> revoked = registry.unsubscribeUnless(c.subscriber(), permissions::maySubscribe);
        for (int i = 0; i < revoked.size(); i++)
        {
            final Subscription subscription = revoked.get(i);
            counters.increment(BrokerCounters.ACCESS_REVOKED);
            replies.reject(c, ErrorCode.ACCESS_DENIED, subscription.id(), "subscription " + subscription.id() +
                " to '" + subscription.pattern() + "' removed: the reloaded access rules no longer allow it (" +
                permissions.label() + ": subscribe " + permissions.subscribePatterns() + ")");
        }
        return revoked.size();
    }

    /**
     * Removes every subscription of a closing connection.
     *
     * @param c the connection.
     */
    void forget(final ClientConnection c)
    {
        registry.unsubscribeAll(c.subscriber());
    }
}

package io.seqbus.client;


import io.seqbus.wire.Groups;

import java.util.Objects;

/**
 * Options of one subscription: what the broker does when this subscriber is slow, how much it
 * may queue, and who hears about gaps. Setters return this for chaining.
 */
public final class SubscriptionOptions
{
    private SlowConsumerPolicy policy = SlowConsumerPolicy.DEFAULT;
    private long maxQueueBytes;
    private GapHandler gapHandler;
    private String group;

    /**
     * Options with the broker's defaults and the client's gap handler.
     */
    public SubscriptionOptions()
    {
    }

    /**
     * @param policy what the broker does when this subscriber falls behind; {@code DEFAULT} = the broker's.
     * @return this.
     */
    public SubscriptionOptions policy(final SlowConsumerPolicy policy)
    {
        this.policy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * @return the slow-consumer policy.
     */
    public SlowConsumerPolicy policy()
    {
        return policy;
    }

    /**
     * @param maxQueueBytes bound of this subscriber's queue at the broker, 0 for the broker's default,
     *                      at most 4 GiB - 1.
     * @return this.
     * @throws IllegalArgumentException when negative or above the u32 range.
     */
    public SubscriptionOptions maxQueueBytes(final long maxQueueBytes)
    {
        if (maxQueueBytes < 0 || maxQueueBytes > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("maxQueueBytes must be 0..4294967295: " + maxQueueBytes);
        }
        this.maxQueueBytes = maxQueueBytes;
        return this;
    }

    /**
     * @return the queue bound in bytes, 0 for the broker's default.
     */
    public long maxQueueBytes()
    {
        return maxQueueBytes;
    }

    /**
     * @param gapHandler told about this subscription's gaps; null = the client's
     *                   {@link ClientOptions#gapHandler()}.
     * @return this.
     */
    public SubscriptionOptions gapHandler(final GapHandler gapHandler)
    {
        this.gapHandler = gapHandler;
        return this;
    }

    /**
     * @return this subscription's gap handler, or null for the client's.
     */
    public GapHandler gapHandler()
    {
        return gapHandler;
    }

    /**
     * Makes the subscription a member of a queue group: each message on a matching topic goes to one member of the
     * group (on this broker), picked round robin among those with room, while ordinary subscriptions still get
     * every message. A member sees gaps in each publisher's sequence (the messages other members got): these are
     * not reported as loss. What was queued at the broker for a member that goes away is discarded and counted
     * there (SPEC.md, "Queue groups").
     *
     * @param group the group's name: 1 to 64 bytes of one topic token (no {@code .}, {@code *}, {@code >}, space or
     *              control character); null for an ordinary subscription.
     * @return this.
     * @throws IllegalArgumentException for an invalid name.
     */
    public SubscriptionOptions group(final String group)
    {
        if (group != null && !Groups.isValidGroup(group))
        {
            throw new IllegalArgumentException("invalid queue group name '" + group + "': 1 to " +
                Groups.MAX_GROUP_LENGTH + " bytes of one topic token (no '.', '*', '>', space or control character)");
        }
        this.group = group;
        return this;
    }

    /**
     * @return the queue group's name, or null for an ordinary subscription.
     */
    public String group()
    {
        return group;
    }
}

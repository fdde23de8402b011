package io.seqbus.client;


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
}

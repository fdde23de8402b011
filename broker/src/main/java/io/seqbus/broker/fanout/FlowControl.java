package io.seqbus.broker.fanout;

import io.seqbus.wire.SlowConsumerPolicy;

/**
 * A slow-consumer policy: what happens to a message for a subscriber whose queue is at a bound, one class per
 * policy in the manner of Aeron's {@code *FlowControl}. Only the subscriber concerned is affected, except under
 * {@link BlockFlowControl}, which holds publishers back. Stateless: the state is the {@link Subscriber}'s and the
 * {@link Subscription}'s. Called by {@link FanOut} on the agent thread, only when a bound is reached.
 */
interface FlowControl
{
    /**
     * @param policy a resolved policy (never DEFAULT).
     * @return its flow control.
     */
    static FlowControl of(final SlowConsumerPolicy policy)
    {
        switch (policy)
        {
            case DROP_OLDEST:
                return DropOldestFlowControl.INSTANCE;
            case DROP_NEWEST:
                return DropNewestFlowControl.INSTANCE;
            case DISCONNECT:
                return DisconnectFlowControl.INSTANCE;
            case BLOCK:
                return BlockFlowControl.INSTANCE;
            default:
                throw new IllegalArgumentException("no flow control for " + policy);
        }
    }

    /** @return the policy it carries out. */
    SlowConsumerPolicy policy();

    /**
     * The subscriber's queue (or its uid's) would pass its bound with this message.
     *
     * @param fanOut      what it may act through.
     * @param s           the subscription the message matched.
     * @param frameLength of the delivery.
     * @param over        bytes by which the bound would be passed.
     * @param sourceNode  of the message.
     * @param publisherId of the message.
     * @param sequence    of the message.
     * @param nowNs       the agent's clock.
     * @return true to queue the message anyway.
     */
    boolean onQueueFull(
        FanOut fanOut, Subscription s, int frameLength, long over, int sourceNode, long publisherId, long sequence,
        long nowNs);

    /**
     * All queues together are at the broker's hard memory bound: nothing is queued, whatever the policy.
     *
     * @param fanOut      what it may act through.
     * @param s           the subscription the message matched.
     * @param sourceNode  of the message.
     * @param publisherId of the message.
     * @param sequence    of the message.
     */
    void onMemoryFull(FanOut fanOut, Subscription s, int sourceNode, long publisherId, long sequence);
}

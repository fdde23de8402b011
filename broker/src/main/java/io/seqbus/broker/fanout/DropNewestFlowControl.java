package io.seqbus.broker.fanout;

import io.seqbus.wire.SlowConsumerPolicy;

/**
 * {@code drop-newest}: the new message is not queued; a GAP with the count goes out before the subscription's
 * next delivery, or as soon as its subscriber's queue has room.
 */
final class DropNewestFlowControl implements FlowControl
{
    static final DropNewestFlowControl INSTANCE = new DropNewestFlowControl();

    private DropNewestFlowControl()
    {
    }

    @Override
    public SlowConsumerPolicy policy()
    {
        return SlowConsumerPolicy.DROP_NEWEST;
    }

    @Override
    public boolean onQueueFull(
        final FanOut fanOut, final Subscription s, final int frameLength, final long over, final int sourceNode,
        final long publisherId, final long sequence, final long nowNs)
    {
        fanOut.dropNewest(s, sourceNode, publisherId, sequence);
        return false;
    }

    @Override
    public void onMemoryFull(
        final FanOut fanOut, final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        fanOut.dropNewest(s, sourceNode, publisherId, sequence);
    }
}

package io.seqbus.broker.fanout;

import io.seqbus.wire.SlowConsumerPolicy;

/**
 * {@code drop-oldest}: queued messages of the subscriber's drop-oldest subscriptions are cut from its oldest
 * datagrams ({@link OldestDropper}), leaving a GAP where they stood; then the new one is queued. When nothing of
 * theirs is left to cut, the new message goes instead, as under drop-newest.
 */
final class DropOldestFlowControl implements FlowControl
{
    static final DropOldestFlowControl INSTANCE = new DropOldestFlowControl();

    private DropOldestFlowControl()
    {
    }

    @Override
    public SlowConsumerPolicy policy()
    {
        return SlowConsumerPolicy.DROP_OLDEST;
    }

    @Override
    public boolean onQueueFull(
        final FanOut fanOut, final Subscription s, final int frameLength, final long over, final int sourceNode,
        final long publisherId, final long sequence, final long nowNs)
    {
        if (fanOut.dropOldest(s.subscriber(), frameLength, over))
        {
            return true;
        }
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

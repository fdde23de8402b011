package io.seqbus.broker.fanout;

import io.seqbus.wire.SlowConsumerPolicy;

/**
 * {@code block}: the message is queued and the subscriber marked over its bound; while any is, {@link Backpressure}
 * holds every publisher back, as AF_UNIX makes a writer wait. The agent evicts one that stays full past the stall
 * timeout. At the memory bound it is evicted at once: nothing can be queued for it.
 */
final class BlockFlowControl implements FlowControl
{
    static final BlockFlowControl INSTANCE = new BlockFlowControl();

    private BlockFlowControl()
    {
    }

    @Override
    public SlowConsumerPolicy policy()
    {
        return SlowConsumerPolicy.BLOCK;
    }

    @Override
    public boolean onQueueFull(
        final FanOut fanOut, final Subscription s, final int frameLength, final long over, final int sourceNode,
        final long publisherId, final long sequence, final long nowNs)
    {
        s.subscriber().enterBlock(nowNs);
        return true;
    }

    @Override
    public void onMemoryFull(
        final FanOut fanOut, final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        fanOut.evictAtMemoryBound(s.subscriber());
    }
}

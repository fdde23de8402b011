package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.SlowConsumerPolicy;

/**
 * {@code disconnect}: a subscriber whose queue reaches its bound is evicted with a SLOW_CONSUMER error; nothing
 * more is queued for it.
 */
final class DisconnectFlowControl implements FlowControl
{
    static final DisconnectFlowControl INSTANCE = new DisconnectFlowControl();

    private DisconnectFlowControl()
    {
    }

    @Override
    public SlowConsumerPolicy policy()
    {
        return SlowConsumerPolicy.DISCONNECT;
    }

    @Override
    public boolean onQueueFull(
        final FanOut fanOut, final Subscription s, final int frameLength, final long over, final int sourceNode,
        final long publisherId, final long sequence, final long nowNs)
    {
        final Subscriber to = s.subscriber();
        fanOut.evict(to, "its queue reached " + to.queueLimit() + " bytes (disconnect policy)");
        fanOut.counters().increment(BrokerCounters.DISCONNECT_EVICTIONS);
        return false;
    }

    @Override
    public void onMemoryFull(
        final FanOut fanOut, final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        fanOut.evictAtMemoryBound(s.subscriber());
    }
}

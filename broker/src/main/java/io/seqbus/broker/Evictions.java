package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.fanout.DatagramPool;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;

import java.util.ArrayList;

/**
 * The slow-consumer policies and the memory bound, on the agent thread: evicts a subscriber whose
 * queue stayed full while publishers waited (block), reached its bound (disconnect), or held the
 * most while all queues together stayed at max_total_queued_bytes. An evicted client gets a
 * SLOW_CONSUMER ERROR, then its connection closes.
 */
final class Evictions
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final FanOut fanOut;
    private final ClientProtocol protocol;
    private final DatagramPool pool;
    private final Connections connections;
    private final ArrayList<ClientConnection> overLimit = new ArrayList<>();
    private boolean totalFull;
    private long totalFullSinceNs;

    Evictions(
        final BrokerContext context, final BrokerCounters counters, final FanOut fanOut,
        final ClientProtocol protocol, final DatagramPool pool, final Connections connections)
    {
        this.context = context;
        this.counters = counters;
        this.fanOut = fanOut;
        this.protocol = protocol;
        this.pool = pool;
        this.connections = connections;
    }

    /**
     * @return true while all queues together are at max_total_queued_bytes.
     */
    boolean isTotalFull()
    {
        return totalFull;
    }

    /**
     * Tracks the memory bound: while all queues together are at max_total_queued_bytes every
     * publisher is held back; if that lasts the stall timeout, the connection with the most
     * queued is evicted, as the block policy does for one full subscriber.
     */
    void checkTotalQueued(final long nowNs)
    {
        final boolean full = pool.memoryInUse() >= context.maxTotalQueuedBytes();
        if (full && !totalFull)
        {
            counters.increment(BrokerCounters.LIMIT_TOTAL_QUEUED);
            totalFullSinceNs = nowNs;
            Log.debug("all queues together reached max_total_queued_bytes " + context.maxTotalQueuedBytes() +
                ": holding every publisher back");
        }
        totalFull = full;
        if (full && nowNs - totalFullSinceNs > context.stallTimeoutNs())
        {
            ClientConnection fullest = null;
            for (final ClientConnection c : connections.values())
            {
                if (c.state() == ClientConnection.State.OPEN &&
                    (fullest == null || c.outbox().queuedBytes() > fullest.outbox().queuedBytes()))
                {
                    fullest = c;
                }
            }
            if (fullest != null)
            {
                counters.increment(BrokerCounters.TOTAL_QUEUED_EVICTIONS);
                evict(fullest, "all queues together stayed at max_total_queued_bytes " +
                    context.maxTotalQueuedBytes() + " for " + context.stallTimeoutNs() / 1_000_000 +
                    " ms and this one held the most (" + fullest.outbox().queuedBytes() + " bytes)");
            }
            totalFullSinceNs = nowNs;
        }
    }

    void evictStalled(final long nowNs)
    {
        overLimit.clear();
        // A plain loop over Agrona's cached iterator: this runs every cycle while publishers wait.
        for (final ClientConnection c : connections.values())
        {
            if (c.overLimit && nowNs - c.overLimitSinceNs > context.stallTimeoutNs())
            {
                overLimit.add(c);
            }
        }
        for (int i = 0; i < overLimit.size(); i++)
        {
            final ClientConnection c = overLimit.get(i);
            counters.increment(BrokerCounters.SLOW_CONSUMER_EVICTIONS);
            evict(c, "its queue stayed full for " + context.stallTimeoutNs() / 1_000_000 +
                " ms while publishers waited (block policy)");
        }
    }

    void evictDisconnectPolicy()
    {
        final ArrayList<ClientConnection> toEvict = fanOut.toEvict();
        for (int i = 0; i < toEvict.size(); i++)
        {
            evict(toEvict.get(i), toEvict.get(i).evictReason);
        }
        toEvict.clear();
    }

    private void evict(final ClientConnection c, final String why)
    {
        if (c.state() == ClientConnection.State.CLOSED)
        {
            return;
        }
        // Drop what it never read, so the ERROR is the next thing it sees.
        fanOut.onClosed(c);
        c.outbox().clear();
        protocol.reject(c, ErrorCode.SLOW_CONSUMER, 0, "slow consumer: " + why);
        connections.closeAfterFlush(c);
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.Backpressure;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.Subscriber;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;

import java.util.ArrayList;

/**
 * Carries out evictions on the agent thread: of a subscriber whose queue stayed full while publishers waited
 * (block), of one a policy marked during a fan-out (disconnect, the hard memory bound), and of the one that held
 * the most while all queues together stayed at max_total_queued_bytes. When publishers are held back is
 * {@link Backpressure}'s to say. An evicted client gets a SLOW_CONSUMER ERROR, then its connection closes.
 */
final class Evictions
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final FanOut fanOut;
    private final Backpressure backpressure;
    private final ClientCommandAdapter protocol;
    private final Connections connections;
    private final ArrayList<ClientConnection> evicting = new ArrayList<>();

    Evictions(
        final BrokerContext context, final BrokerCounters counters, final FanOut fanOut,
        final Backpressure backpressure, final ClientCommandAdapter protocol, final Connections connections)
    {
        this.context = context;
        this.counters = counters;
        this.fanOut = fanOut;
        this.backpressure = backpressure;
        this.protocol = protocol;
        this.connections = connections;
    }

    /**
     * Tracks the memory bound: while all queues together are at max_total_queued_bytes every
     * publisher is held back; if that lasts the stall timeout, the connection with the most
     * queued is evicted, as the block policy does for one full subscriber.
     */
    void checkTotalQueued(final long nowNs)
    {
        if (backpressure.updateTotalFull(nowNs))
        {
            counters.increment(BrokerCounters.LIMIT_TOTAL_QUEUED);
            Log.debug("all queues together reached max_total_queued_bytes " + context.maxTotalQueuedBytes() +
                ": holding every publisher back");
        }
        if (backpressure.totalFullLongerThan(nowNs, context.stallTimeoutNs()))
        {
            ClientConnection fullest = null;
            for (final ClientConnection c : connections.values())
            {
                if (c.state() == ClientConnection.State.OPEN &&
                    (fullest == null || c.subscriber().frameBytesQueued() > fullest.subscriber().frameBytesQueued()))
                {
                    fullest = c;
                }
            }
            if (fullest != null)
            {
                counters.increment(BrokerCounters.TOTAL_QUEUED_EVICTIONS);
                evict(fullest, "all queues together stayed at max_total_queued_bytes " +
                    context.maxTotalQueuedBytes() + " for " + context.stallTimeoutNs() / 1_000_000 +
                    " ms and this one held the most (" + fullest.subscriber().frameBytesQueued() + " bytes)");
            }
        }
    }

    /**
     * Tracks the descriptor pool: while it is short every local publisher is held back; if that lasts the stall
     * timeout, the connection with the most descriptor messages queued is evicted (drop policies never stall, so a
     * subscriber that sleeps with thousands of small descriptor messages queued would otherwise hold them for
     * ever), as for the memory bound.
     */
    void checkDescriptorsHeld(final long nowNs)
    {
        if (!backpressure.descriptorsShortLongerThan(nowNs, context.stallTimeoutNs()))
        {
            return;
        }
        ClientConnection most = null;
        int mostHeld = 0;
        for (final ClientConnection c : connections.values())
        {
            final int held = c.state() == ClientConnection.State.OPEN ? c.subscriber().descriptorMessagesQueued() : 0;
            if (held > mostHeld)
            {
                most = c;
                mostHeld = held;
            }
        }
        if (most != null)
        {
            counters.increment(BrokerCounters.TOTAL_QUEUED_EVICTIONS);
            evict(most, "the broker's descriptor holders (max_descriptor_messages_held " +
                context.maxDescriptorMessagesHeld() + ") stayed short for " + context.stallTimeoutNs() / 1_000_000 +
                " ms and this one held the most (" + mostHeld + " messages)");
        }
    }

    void evictStalled(final long nowNs)
    {
        if (backpressure.overLimitCount() == 0)
        {
            return;
        }
        evicting.clear();
        // A plain loop over Agrona's cached iterator: this runs every cycle while publishers wait.
        for (final ClientConnection c : connections.values())
        {
            final Subscriber s = c.subscriber();
            if (s.isOverLimit() && nowNs - s.overLimitSinceNs() > context.stallTimeoutNs())
            {
                evicting.add(c);
            }
        }
        for (int i = 0; i < evicting.size(); i++)
        {
            counters.increment(BrokerCounters.SLOW_CONSUMER_EVICTIONS);
            evict(evicting.get(i), "its queue stayed full for " + context.stallTimeoutNs() / 1_000_000 +
                " ms while publishers waited (block policy)");
        }
        evicting.clear();
    }

    /** Closes the subscribers a policy marked for eviction during this cycle's fan-out, if any. */
    void evictMarked()
    {
        if (!fanOut.takeEvictions())
        {
            return;
        }
        evicting.clear();
        for (final ClientConnection c : connections.values())
        {
            if (c.subscriber().isEvicting() &&
                (c.state() == ClientConnection.State.OPEN || c.state() == ClientConnection.State.AWAITING_HELLO))
            {
                evicting.add(c);
            }
        }
        for (int i = 0; i < evicting.size(); i++)
        {
            final ClientConnection c = evicting.get(i);
            evict(c, c.subscriber().evictReason());
        }
        evicting.clear();
    }

    private void evict(final ClientConnection c, final String why)
    {
        if (c.state() == ClientConnection.State.CLOSED)
        {
            return;
        }
        // Drop what it never read, so the ERROR is the next thing it sees, and say how much went (SPEC.md, "Slow
        // consumers": the exact count per publisher comes from the sequences once the client is back).
        final long discarded = c.subscriber().discardQueue();
        protocol.reject(c, ErrorCode.SLOW_CONSUMER, 0, "slow consumer: " + why + "; " + discarded +
            " queued messages discarded");
        connections.closeAfterFlush(c);
    }
}

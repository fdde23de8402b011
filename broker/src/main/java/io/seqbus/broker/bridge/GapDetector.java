package io.seqbus.broker.bridge;

import io.seqbus.broker.log.Log;
import io.seqbus.wire.GapReason;

/**
 * Finds the loss Aeron could not repair and turns it into GAP frames for local subscribers.
 * <p>
 * Every node numbers the messages it bridges (NODE {@code sequence}); Aeron brings them in order, so per
 * sender instance the next datagram must start where the last one ended. A jump is loss
 * ({@code BRIDGE_LOSS}, exact count); a step back is a replay, whose repeated messages are dropped. A node
 * that goes away without announcing it is leaving (its image closes), or comes back as a new instance
 * before that, lost what it had not sent yet ({@code NODE_LOST}, count unknown). The first datagram of a
 * sender is where this broker joined its stream: nothing before it was ever owed.
 */
final class GapDetector
{
    private final LocalBus local;
    private final PeerTable peers;
    private final BridgeCounters counters;

    GapDetector(final LocalBus local, final PeerTable peers, final BridgeCounters counters)
    {
        this.local = local;
        this.peers = peers;
        this.counters = counters;
    }

    /**
     * Checks a datagram's bridge sequence against what its sender sent before.
     *
     * @param entry    the sender.
     * @param sequence from the NODE frame: bridge sequence of the datagram's first DELIVER.
     * @param delivers DELIVER frames in the datagram.
     * @return how many leading DELIVERs were delivered before and must be skipped.
     */
    int onDatagram(final PeerTable.Entry entry, final long sequence, final int delivers)
    {
        final long expected = entry.expectedSequence;
        final long end = sequence + delivers;
        if (expected == 0)
        {
            entry.expectedSequence = end;
            return 0;
        }
        if (sequence > expected)
        {
            final long lost = sequence - expected;
            entry.messagesLost += lost;
            counters.add(BridgeCounters.MESSAGES_LOST, lost);
            raise(entry, lost, GapReason.BRIDGE_LOSS);
        }
        final int skip = sequence < expected ? (int)Math.min(delivers, expected - sequence) : 0;
        if (skip > 0)
        {
            counters.add(BridgeCounters.DUPLICATES, skip);
        }
        entry.expectedSequence = Math.max(expected, end);
        return skip;
    }

    /**
     * Messages of a sender lost after their DELIVER arrived whole (a memfd payload whose fragments did not).
     *
     * @param entry the sender.
     * @param count messages lost.
     */
    void onLost(final PeerTable.Entry entry, final long count)
    {
        entry.messagesLost += count;
        counters.add(BridgeCounters.MESSAGES_LOST, count);
        raise(entry, count, GapReason.BRIDGE_LOSS);
    }

    /**
     * A node's entry was displaced by a new instance of the same node: it restarted.
     *
     * @param previous the old instance.
     */
    void onReplaced(final PeerTable.Entry previous)
    {
        nodeGone(previous, "restarted");
    }

    /**
     * An Aeron image closed: its sender stopped or this broker fell out of its window.
     *
     * @param entry the sender, if it ever sent a NODE frame.
     */
    void onImageGone(final PeerTable.Entry entry)
    {
        nodeGone(entry, "went away");
    }

    private void nodeGone(final PeerTable.Entry entry, final String how)
    {
        if (PeerTable.UP.equals(entry.state))
        {
            peers.state(entry, PeerTable.LOST);
            counters.increment(BridgeCounters.NODES_LOST);
            Log.warn("bridge: peer " + entry.label() + " " + how + " without leaving; local subscribers get a GAP");
            raise(entry, 0, GapReason.NODE_LOST);
        }
        else if (PeerTable.LEAVING.equals(entry.state))
        {
            Log.info("bridge: peer " + entry.label() + " left");
        }
    }

    private void raise(final PeerTable.Entry entry, final long count, final int reason)
    {
        counters.increment(BridgeCounters.GAPS);
        local.gapToSharedSubscriptions(entry.nodeId, count, reason);
    }
}

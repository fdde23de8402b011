package io.seqbus.broker;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.SubscriberCounts;
import io.seqbus.broker.net.ClientConnection;

/**
 * Messages and payload bytes in and out per transport (socket, shared memory), for the metrics: each connection's
 * own counts ({@link SubscriberCounts}, kept where the broker counts its totals) summed a few times a second, plus
 * those of the connections closed since start, so every sum only grows. A connection's transport is settled at its
 * HELLO, before any message, so it counts for one transport all its life. Agent thread only.
 */
final class TransportTotals
{
    private static final int SHM = 0;
    private static final int SOCKET = 4;
    private static final int[] COUNTERS = {
        BrokerCounters.SHM_MESSAGES_IN, BrokerCounters.SHM_BYTES_IN,
        BrokerCounters.SHM_MESSAGES_OUT, BrokerCounters.SHM_BYTES_OUT,
        BrokerCounters.SOCKET_MESSAGES_IN, BrokerCounters.SOCKET_BYTES_IN,
        BrokerCounters.SOCKET_MESSAGES_OUT, BrokerCounters.SOCKET_BYTES_OUT};

    private final long[] closed = new long[COUNTERS.length];
    private final long[] sum = new long[COUNTERS.length];

    /** @param c a connection closing: its counts join the closed ones. */
    void closed(final ClientConnection c)
    {
        add(closed, c);
    }

    /**
     * Writes the sums into the counters.
     *
     * @param open     every open connection.
     * @param counters where the metrics read them.
     */
    void sample(final Iterable<ClientConnection> open, final BrokerCounters counters)
    {
        System.arraycopy(closed, 0, sum, 0, sum.length);
        for (final ClientConnection c : open)
        {
            add(sum, c);
        }
        for (int i = 0; i < COUNTERS.length; i++)
        {
            counters.set(COUNTERS[i], sum[i]);
        }
    }

    private static void add(final long[] into, final ClientConnection c)
    {
        final SubscriberCounts counts = c.subscriber().counts();
        final int at = c.shm() == null ? SOCKET : SHM;
        into[at] += counts.messagesPublished();
        into[at + 1] += counts.bytesPublished();
        into[at + 2] += counts.messagesDelivered();
        into[at + 3] += counts.bytesDelivered();
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.BuildInfo;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.fanout.DatagramPool;
import io.seqbus.broker.fanout.DescriptorPool;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.stat.StatReport;
import io.seqbus.broker.stat.TopicRates;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Times each duty cycle and, a few times a second, samples what is too costly to keep per
 * message into the counters; answers STAT from the same figures.
 */
final class Sampler
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final Connections connections;
    private final TopicRates topicRates;
    private final LanBridge bridge;
    private final DatagramPool pool;
    private final DescriptorPool descriptorPool;
    private final long startNs;
    private final String socket;
    private final Supplier<ReloadOutcome> lastReload;
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
    private long nextSampleNs;
    private long nextRollNs;
    private long cycleMaxNs;

    Sampler(
        final BrokerContext context, final BrokerCounters counters, final Connections connections,
        final TopicRates topicRates, final LanBridge bridge, final DatagramPool pool,
        final DescriptorPool descriptorPool, final long startNs, final String socket, final Supplier<ReloadOutcome> lastReload)
    {
        this.socket = socket;
        this.lastReload = lastReload;
        this.pool = pool;
        this.descriptorPool = descriptorPool;
        this.context = context;
        this.counters = counters;
        this.connections = connections;
        this.topicRates = topicRates;
        this.bridge = bridge;
        this.startNs = startNs;
    }

    /**
     * Times the cycle (work only, not the wait in poll) and, a few times a second, samples what
     * is too costly to keep per message: queue depths, and topic rates.
     */
    void endCycle(final long workStartNs)
    {
        final long endNs = System.nanoTime();
        final long busyNs = endNs - workStartNs;
        counters.add(BrokerCounters.AGENT_BUSY_NS, busyNs);
        counters.set(BrokerCounters.AGENT_LAST_CYCLE_NANOTIME, endNs);
        if (busyNs > cycleMaxNs)
        {
            cycleMaxNs = busyNs;
        }
        if (endNs - nextSampleNs >= 0)
        {
            nextSampleNs = endNs + TimeUnit.MILLISECONDS.toNanos(Configuration.SAMPLE_INTERVAL_MS);
            sample();
            if (endNs - nextRollNs >= 0)
            {
                nextRollNs = endNs + TimeUnit.SECONDS.toNanos(1);
                topicRates.roll(endNs);
            }
        }
    }

    private void sample()
    {
        long total = 0;
        long max = 0;
        int subscribers = 0;
        long unreadDescriptors = 0;
        for (final ClientConnection c : connections.values())
        {
            unreadDescriptors += c.subscriber().descriptorsUnread();
            final long queued = c.subscriber().queuedBytes();
            total += queued;
            max = Math.max(max, queued);
            subscribers += c.subscriber().subscriptionCount() == 0 ? 0 : 1;
        }
        counters.set(BrokerCounters.QUEUED_BYTES_TOTAL, total);
        counters.set(BrokerCounters.QUEUED_BYTES_MAX, max);
        counters.set(BrokerCounters.SUBSCRIBERS, subscribers);
        counters.set(BrokerCounters.DESCRIPTORS_IN_FLIGHT, unreadDescriptors);
        counters.set(BrokerCounters.DESCRIPTORS_HELD, descriptorPool.held());
        counters.set(BrokerCounters.QUEUED_MEMORY, pool.memoryInUse());
        counters.set(BrokerCounters.SUBSCRIPTION_BYTES, connections.accounts().totalSubscriptionBytes());
        connections.transportTotals().sample(connections.values(), counters);
        counters.set(BrokerCounters.AGENT_CYCLE_MAX_NS, cycleMaxNs);
        counters.set(BrokerCounters.AGENT_ALLOCATED_BYTES, threads.getCurrentThreadAllocatedBytes());
        cycleMaxNs = 0;
    }

    String statDocument(final int statFlags, final int viewerUid)
    {
        return StatReport.build(context, counters, connections.values(),
            context.statTopTopics() > 0 ? topicRates : null, statFlags,
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs), bridge, viewerUid,
            new StatReport.Facts(socket, ProcessHandle.current().pid(), BuildInfo.BROKER, lastReload.get()));
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.seqbus.broker.fanout.DatagramPool;

import java.lang.management.ManagementFactory;

/**
 * The start-time proof that the broker's bounds fit the JVM it runs in: everything clients can
 * make the broker hold is bounded by a setting, and those settings together must fit the heap
 * and the direct memory, or the broker refuses to start, naming both. Without this check a bound
 * larger than the JVM turns an attack into an OutOfMemoryError instead of a refusal.
 *
 * <ul>
 *   <li>Direct memory holds the queues (batch buffers, counted by capacity, with a headroom of an
 *       eighth past which deliveries are refused rather than queued), the idle buffers the pool
 *       keeps, the read buffer and a reserve.</li>
 *   <li>The heap holds the subscriptions (as charged), a fixed cost per connection, the closed sessions
 *       remembered and a reserve.</li>
 * </ul>
 */
final class MemoryBudget
{
    /**
     * {@code off} skips the check: only for tests that need a real out-of-memory failure; a broker
     * run so can be crashed by its clients.
     */
    static final String CHECK_PROP_NAME = "seqbus.memory.budget";

    private MemoryBudget()
    {
    }

    /**
     * @param maxTotalQueuedBytes the soft bound: publishers are held back here.
     * @return the hard bound: no delivery is queued past it (a block subscriber is evicted instead).
     */
    static long hardQueuedBytes(final long maxTotalQueuedBytes)
    {
        return maxTotalQueuedBytes + maxTotalQueuedBytes / 8;
    }

    /**
     * @param context the concluded settings.
     * @return direct memory the settings need at most, bytes.
     */
    static long directNeeded(final BrokerContext context)
    {
        return hardQueuedBytes(context.maxTotalQueuedBytes()) +
            DatagramPool.maxIdleBytes(context.maxDatagram(), Configuration.DATAGRAM_POOL_MAX_IDLE) +
            context.maxDatagram() + Configuration.DIRECT_RESERVE;
    }

    /**
     * @param context the concluded settings.
     * @return heap the settings need at most, bytes.
     */
    static long heapNeeded(final BrokerContext context)
    {
        return (long)context.maxTotalSubscriptionBytes() +
            (long)context.maxConnections() * Configuration.CONNECTION_HEAP_COST +
            (long)context.maxClosedSessions() * ClosedSessions.ENTRY_HEAP_COST + Configuration.HEAP_RESERVE;
    }

    /**
     * @throws IllegalArgumentException naming the settings and the JVM option when they do not fit.
     */
    static void check(final BrokerContext context)
    {
        if ("off".equals(System.getProperty(CHECK_PROP_NAME)))
        {
            return;
        }
        final long heap = Runtime.getRuntime().maxMemory();
        final long direct = maxDirectMemory(heap);
        final long directNeeded = directNeeded(context);
        if (directNeeded > direct)
        {
            throw new IllegalArgumentException("max_total_queued_bytes=" + context.maxTotalQueuedBytes() +
                " does not fit this JVM's direct memory: the queues may take " + mib(directNeeded) +
                " MiB with the batch buffers the broker keeps, and -XX:MaxDirectMemorySize allows " + mib(direct) +
                " MiB; lower max_total_queued_bytes or raise -XX:MaxDirectMemorySize");
        }
        final long heapNeeded = heapNeeded(context);
        if (heapNeeded > heap)
        {
            throw new IllegalArgumentException("max_total_subscription_bytes=" + context.maxTotalSubscriptionBytes() +
                " with max_connections=" + context.maxConnections() + " and max_closed_sessions=" +
                context.maxClosedSessions() + " does not fit this JVM's heap: they may take " +
                mib(heapNeeded) + " MiB with the broker's own reserve, and -Xmx allows " + mib(heap) +
                " MiB; lower them or raise -Xmx");
        }
    }

    /**
     * @param heap the heap's maximum, which is also the JDK's default for direct memory.
     * @return the JVM's limit on direct buffers, bytes.
     */
    static long maxDirectMemory(final long heap)
    {
        try
        {
            final String value = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxDirectMemorySize").getValue();
            final long bytes = Long.parseLong(value);
            return bytes > 0 ? bytes : heap;
        }
        catch (final RuntimeException ex)
        {
            return heap;
        }
    }

    private static long mib(final long bytes)
    {
        return bytes / (1024 * 1024);
    }
}

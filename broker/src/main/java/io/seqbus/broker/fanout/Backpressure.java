package io.seqbus.broker.fanout;

import java.util.function.BooleanSupplier;

/**
 * The one place that decides whether publishers are held back. They are while a block-policy subscriber is over
 * its bound, while all queues together are at max_total_queued_bytes, and (for local publishers) while the LAN
 * bridge has a backlog, and while the descriptor pool runs short. The reader stops reading publishers, the LAN
 * bridge stops taking messages from other
 * brokers, and the kernel makes the publishers wait, as AF_UNIX makes a writer wait. Owned by the agent thread.
 */
public final class Backpressure
{
    private final DatagramPool pool;
    private final BooleanSupplier lanBacklog;
    private int overLimitCount;
    private long maxTotalQueuedBytes;
    private boolean totalFull;
    private DescriptorPool descriptorPool;
    private int descriptorReserve;
    private boolean descriptorsShort;
    private long descriptorsShortSinceNs;
    private long totalFullSinceNs;

    /**
     * @param pool       whose buffers hold every queue.
     * @param lanBacklog true while the LAN bridge cannot take more local messages; read per datagram.
     */
    public Backpressure(final DatagramPool pool, final BooleanSupplier lanBacklog)
    {
        this.pool = pool;
        this.lanBacklog = lanBacklog;
    }

    /**
     * @param maxTotalQueuedBytes all queues together, bytes, past which every publisher waits (changes on reload;
     *                            the agent sets it once per duty cycle).
     */
    public void maxTotalQueuedBytes(final long maxTotalQueuedBytes)
    {
        this.maxTotalQueuedBytes = maxTotalQueuedBytes;
    }

    /**
     * @return true while the queues cannot take more: a block-policy subscriber is over its bound or all queues
     * together are at max_total_queued_bytes. The LAN bridge asks this before taking messages from other brokers.
     */
    public boolean queuesFull()
    {
        return overLimitCount > 0 || pool.memoryInUse() >= maxTotalQueuedBytes;
    }

    /**
     * @return true while no local publisher may be read: the queues are full or the LAN bridge has a backlog.
     */
    public boolean holdPublishers()
    {
        return queuesFull() || lanBacklog.getAsBoolean() || descriptorsShort();
    }

    /**
     * @return true while the descriptor pool could not hold every descriptor message of one more datagram (each
     * has at least one descriptor, so a datagram has at most max_descriptors_per_datagram of them): publishers
     * wait until deliveries drain, as for full queues.
     */
    public boolean descriptorsShort()
    {
        return descriptorPool != null &&
            descriptorPool.available() < Math.min(descriptorReserve, descriptorPool.size());
    }

    /**
     * Follows the descriptor pool once per duty cycle.
     *
     * @param nowNs     the agent's clock.
     * @param timeoutNs how long is too long.
     * @return true when the pool has stayed short for longer than {@code timeoutNs} (publishers waited all that
     * time): the clock starts again, so the next eviction waits as long again.
     */
    public boolean descriptorsShortLongerThan(final long nowNs, final long timeoutNs)
    {
        final boolean isShort = descriptorsShort();
        if (isShort && !descriptorsShort)
        {
            descriptorsShortSinceNs = nowNs;
        }
        descriptorsShort = isShort;
        if (isShort && nowNs - descriptorsShortSinceNs > timeoutNs)
        {
            descriptorsShortSinceNs = nowNs;
            return true;
        }
        return false;
    }

    void descriptorPool(final DescriptorPool pool)
    {
        this.descriptorPool = pool;
    }

    void descriptorReserve(final int reserve)
    {
        this.descriptorReserve = reserve;
    }

    /**
     * @return block-policy subscribers over their bound now.
     */
    public int overLimitCount()
    {
        return overLimitCount;
    }

    /**
     * Follows the memory bound once per duty cycle.
     *
     * @param nowNs the agent's clock.
     * @return true when all queues together have just reached max_total_queued_bytes.
     */
    public boolean updateTotalFull(final long nowNs)
    {
        final boolean full = pool.memoryInUse() >= maxTotalQueuedBytes;
        final boolean began = full && !totalFull;
        if (began)
        {
            totalFullSinceNs = nowNs;
        }
        totalFull = full;
        return began;
    }

    /**
     * @param nowNs     the agent's clock.
     * @param timeoutNs how long is too long.
     * @return true when all queues together have stayed full for longer than {@code timeoutNs}; the clock starts
     * again, so the next eviction waits as long again.
     */
    public boolean totalFullLongerThan(final long nowNs, final long timeoutNs)
    {
        if (totalFull && nowNs - totalFullSinceNs > timeoutNs)
        {
            totalFullSinceNs = nowNs;
            return true;
        }
        return false;
    }

    void overLimit()
    {
        overLimitCount++;
    }

    void underLimit()
    {
        overLimitCount--;
    }
}

package io.seqbus.broker.fanout;

import java.util.ArrayDeque;

/**
 * Datagram buffers shared by every outbox, so an idle connection holds none and a steady flow
 * allocates none: buffers go back here once the kernel has taken their bytes.
 *
 * <p>Two sizes. Batches are built in small buffers: a subscriber with something queued holds at
 * least one buffer until the kernel takes it, and with a thousand subscribers full-size buffers
 * (max_datagram each) made direct memory climb to its cap, where the JVM forces full GCs and
 * then fails. A small buffer still carries hundreds of small messages per send. Only a frame
 * too large for a small buffer gets a full-size one. Owned by the agent thread.
 */
public final class DatagramPool
{
    /** Size of the buffers batches are built in, unless one frame needs more. */
    public static final int SMALL_SIZE = 32 * 1024;
    /** The kernel's bound on descriptors in one sendmsg (SCM_MAX_FD), above max_descriptors_per_datagram. */
    static final int MAX_DESCRIPTORS_PER_DATAGRAM = 253;

    private final int datagramSize;
    private final int smallSize;
    private final int maxIdle;
    private final ArrayDeque<Datagram> free = new ArrayDeque<>();
    private final ArrayDeque<Datagram> freeLarge = new ArrayDeque<>();
    private final OldestDropper dropper = new OldestDropper();
    // The descriptors of one datagram, gathered for its sendmsg: one array for every outbox (agent thread).
    private final int[] descriptorScratch = new int[MAX_DESCRIPTORS_PER_DATAGRAM];
    private long allocated;
    private long queuedBytes;
    private long memoryInUse;

    /**
     * @param datagramSize capacity of every buffer, the largest datagram.
     * @param maxIdle      buffers kept for reuse; more are left to the garbage collector.
     */
    public DatagramPool(final int datagramSize, final int maxIdle)
    {
        this.datagramSize = datagramSize;
        this.smallSize = Math.min(SMALL_SIZE, datagramSize);
        this.maxIdle = maxIdle;
    }

    /**
     * @param atLeast bytes the first frame needs.
     * @return an empty buffer: a small one when the frame fits, else one of the largest datagram.
     */
    Datagram acquire(final int atLeast)
    {
        final boolean small = atLeast <= smallSize;
        final Datagram d = small ? free.pollLast() : freeLarge.pollLast();
        memoryInUse += small ? smallSize : datagramSize;
        if (d != null)
        {
            d.length = 0;
            return d;
        }
        allocated++;
        return new Datagram(small ? smallSize : datagramSize);
    }

    void release(final Datagram d)
    {
        if (d.holderCount != 0)
        {
            throw new IllegalStateException("a datagram still holds " + d.holderCount + " descriptor messages");
        }
        memoryInUse -= d.capacity();
        final ArrayDeque<Datagram> pool = d.capacity() == smallSize ? free : freeLarge;
        // Few large ones are kept: they serve only single frames of more than SMALL_SIZE bytes.
        if (pool.size() < (pool == free ? maxIdle : maxIdle / 16))
        {
            pool.addLast(d);
        }
    }

    void queued(final long delta)
    {
        queuedBytes += delta;
    }

    /**
     * @return bytes queued in every outbox of this pool together.
     */
    public long queuedBytes()
    {
        return queuedBytes;
    }

    /**
     * @return direct memory of the buffers outboxes hold now, bytes: what the queues really cost, at
     * least {@link #queuedBytes()} (a datagram half full still holds its whole buffer).
     */
    public long memoryInUse()
    {
        return memoryInUse;
    }

    /**
     * @param datagramSize the largest datagram.
     * @param maxIdle      buffers kept for reuse.
     * @return direct memory the idle buffers may hold at most, bytes.
     */
    public static long maxIdleBytes(final int datagramSize, final int maxIdle)
    {
        return (long)maxIdle * Math.min(SMALL_SIZE, datagramSize) + (long)(maxIdle / 16) * datagramSize;
    }

    /**
     * @return buffers created since start; flat in steady state.
     */
    public long allocated()
    {
        return allocated;
    }

    int[] descriptorScratch()
    {
        return descriptorScratch;
    }

    OldestDropper dropper()
    {
        return dropper;
    }

    /**
     * @return the capacity of every buffer.
     */
    public int datagramSize()
    {
        return datagramSize;
    }
}

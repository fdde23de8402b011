package io.seqbus.broker.fanout;

import java.util.ArrayDeque;

/**
 * Datagram buffers shared by every outbox, so an idle connection holds none and a steady flow
 * allocates none: buffers go back here once the kernel has taken their bytes.
 * Owned by the agent thread.
 */
public final class DatagramPool
{
    private final int datagramSize;
    private final int maxIdle;
    private final ArrayDeque<Datagram> free = new ArrayDeque<>();
    private final OldestDropper dropper = new OldestDropper();
    private long allocated;
    private long queuedBytes;

    /**
     * @param datagramSize capacity of every buffer, the largest datagram.
     * @param maxIdle      buffers kept for reuse; more are left to the garbage collector.
     */
    public DatagramPool(final int datagramSize, final int maxIdle)
    {
        this.datagramSize = datagramSize;
        this.maxIdle = maxIdle;
    }

    Datagram acquire()
    {
        final Datagram d = free.pollLast();
        if (d != null)
        {
            d.length = 0;
            return d;
        }
        allocated++;
        return new Datagram(datagramSize);
    }

    void release(final Datagram d)
    {
        if (free.size() < maxIdle)
        {
            free.addLast(d);
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
     * @return buffers created since start; flat in steady state.
     */
    public long allocated()
    {
        return allocated;
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

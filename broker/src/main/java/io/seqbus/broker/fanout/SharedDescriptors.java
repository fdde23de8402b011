package io.seqbus.broker.fanout;

/**
 * The descriptors one PUBLISH passed, held by the broker until every subscriber has its own: one reference for
 * the fan-out while it runs, and one per delivery queued in an outbox. A delivery's reference is let go when its
 * datagram has gone to the kernel (which then holds its own), or when the delivery is dropped (drop-oldest,
 * an eviction, a close). The last one closes the broker's copies. Agent thread only; reused, never allocated per
 * message once pooled ({@link DescriptorPool}: the last release gives it back there).
 */
public final class SharedDescriptors
{
    /** Closes one descriptor: the broker's own copy (net provides it; fanout makes no system calls). */
    @FunctionalInterface
    public interface Closer
    {
        /** @param fd to close. */
        void close(int fd);
    }

    private final int[] fds;
    private final Closer closer;
    private final DescriptorPool pool;
    private int count;
    private int references;
    private long payloadBytes;

    /**
     * @param capacity most descriptors one message may pass.
     * @param closer   how the broker's copies are closed.
     */
    public SharedDescriptors(final int capacity, final Closer closer)
    {
        this(capacity, closer, null);
    }

    SharedDescriptors(final int capacity, final Closer closer, final DescriptorPool pool)
    {
        this.fds = new int[capacity];
        this.closer = closer;
        this.pool = pool;
    }

    /**
     * Takes the descriptors of a message just received; the caller's reference is the first.
     *
     * @param source       the descriptors.
     * @param count        how many.
     * @param payloadBytes bytes they stand for (a payload memfd's size; 0 for other descriptors), charged to every
     *                     queue the message waits in.
     */
    public void hold(final int[] source, final int count, final long payloadBytes)
    {
        if (references != 0)
        {
            throw new IllegalStateException("still held: " + references + " references");
        }
        if (count > fds.length)
        {
            throw new IllegalArgumentException(count + " descriptors, at most " + fds.length + " per message");
        }
        System.arraycopy(source, 0, fds, 0, count);
        this.count = count;
        this.payloadBytes = payloadBytes;
        this.references = 1;
        if (pool != null)
        {
            pool.onHold(count, payloadBytes);
        }
    }

    /** One more delivery waits with these descriptors. */
    public void retain()
    {
        if (references <= 0)
        {
            throw new IllegalStateException("already closed");
        }
        references++;
    }

    /**
     * One holder is done with them (sent, dropped, or the fan-out finished).
     *
     * @return true when that was the last reference: the broker's copies are closed.
     */
    public boolean release()
    {
        if (references <= 0)
        {
            throw new IllegalStateException("released more often than retained");
        }
        if (--references > 0)
        {
            return false;
        }
        final int closed = count;
        for (int i = 0; i < closed; i++)
        {
            closer.close(fds[i]);
        }
        count = 0;
        if (pool != null)
        {
            pool.giveBack(this, closed, payloadBytes);
        }
        return true;
    }

    /** @return references held; 0 once closed. */
    public int references()
    {
        return references;
    }

    /** @return how many descriptors. */
    public int count()
    {
        return count;
    }

    /** @return the descriptors, the first {@link #count()} of them, for sendmsg; not to be changed. */
    public int[] descriptors()
    {
        return fds;
    }

    /** @return bytes they stand for. */
    public long payloadBytes()
    {
        return payloadBytes;
    }
}

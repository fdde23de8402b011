package io.seqbus.broker.fanout;

/**
 * The {@link SharedDescriptors} the broker may hold at once: one per descriptor message between its receipt and
 * the moment every subscriber's socket has its own copies (or its deliveries were dropped). Sized by
 * max_descriptor_messages_held, all made at start, so holding descriptors allocates nothing. An empty pool is a
 * bound like a full queue: the reader holds publishers back ({@link Backpressure}) until deliveries drain. A
 * holder comes back here on its last {@link SharedDescriptors#release()}. Owned by the agent thread.
 */
public final class DescriptorPool
{
    private final SharedDescriptors[] free;
    private int freeCount;
    private long heldBytes;
    private int heldDescriptors;

    /**
     * @param size       most descriptor messages held at once (max_descriptor_messages_held).
     * @param capacity   most descriptors one message may pass (max_descriptors_per_message).
     * @param closer     closes the broker's copies (the broker's root passes sys {@code LibC::close}).
     */
    public DescriptorPool(final int size, final int capacity, final SharedDescriptors.Closer closer)
    {
        if (size < 1 || capacity < 1)
        {
            throw new IllegalArgumentException("a descriptor pool needs size and capacity of 1 or more: " + size +
                ", " + capacity);
        }
        free = new SharedDescriptors[size];
        for (int i = 0; i < size; i++)
        {
            free[i] = new SharedDescriptors(capacity, closer, this);
        }
        freeCount = size;
    }

    /**
     * @return an empty holder for the descriptors of one message, to {@link SharedDescriptors#hold} them; null
     * when every one is in use: the caller holds the publisher back, as for a full pool of queues.
     */
    public SharedDescriptors acquire()
    {
        return freeCount == 0 ? null : free[--freeCount];
    }

    /** @return descriptor messages held now (holders acquired and not yet back). */
    public int held()
    {
        return free.length - freeCount;
    }

    /** @return holders not in use. */
    public int available()
    {
        return freeCount;
    }

    /** @return holders in all. */
    public int size()
    {
        return free.length;
    }

    /** @return descriptors held now, over every holder: the broker's own open copies. */
    public int heldDescriptors()
    {
        return heldDescriptors;
    }

    /** @return payload bytes the held memfds stand for. */
    public long heldBytes()
    {
        return heldBytes;
    }

    void onHold(final int descriptors, final long payloadBytes)
    {
        heldDescriptors += descriptors;
        heldBytes += payloadBytes;
    }

    void giveBack(final SharedDescriptors holder, final int descriptors, final long payloadBytes)
    {
        heldDescriptors -= descriptors;
        heldBytes -= payloadBytes;
        free[freeCount++] = holder;
    }
}

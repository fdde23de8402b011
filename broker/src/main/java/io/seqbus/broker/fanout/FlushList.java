package io.seqbus.broker.fanout;

import java.util.ArrayList;

/**
 * The subscribers with something new queued this duty cycle, each once: the agent flushes them all at the end of
 * the cycle, which is what makes one datagram carry many frames. Owned by the agent thread.
 */
public final class FlushList
{
    private final ArrayList<Subscriber> toFlush = new ArrayList<>();

    void add(final Subscriber subscriber)
    {
        toFlush.add(subscriber);
    }

    /**
     * Flushes every listed subscriber, including those listed while flushing (a GAP once there is room).
     *
     * @param counter counts each datagram written.
     * @return subscribers looked at.
     */
    public int flushAll(final WriteCounter counter)
    {
        int i = 0;
        for (; i < toFlush.size(); i++)
        {
            toFlush.get(i).flush(counter);
        }
        toFlush.clear();
        return i;
    }
}

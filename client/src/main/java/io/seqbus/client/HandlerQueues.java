package io.seqbus.client;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A client's {@link HandlerQueue}s: the open ones, so that close() and drain() reach them all, and the totals of
 * their counters, which executor threads of different subscriptions add to at once (hence adders, not
 * {@link Counters}, whose counters have one writer). Only overflow, handler errors and closes touch the adders, never
 * a message that is simply queued and handled.
 */
final class HandlerQueues
{
    private final Set<HandlerQueue> open = ConcurrentHashMap.newKeySet();
    private final LongAdder drops = new LongAdder();
    private final LongAdder unhandled = new LongAdder();
    private final LongAdder handlerErrors = new LongAdder();

    void add(final HandlerQueue queue)
    {
        open.add(queue);
    }

    void remove(final HandlerQueue queue)
    {
        open.remove(queue);
    }

    void dropped()
    {
        drops.increment();
    }

    void unhandled(final int count)
    {
        if (count > 0)
        {
            unhandled.add(count);
        }
    }

    void handlerError()
    {
        handlerErrors.increment();
    }

    long drops()
    {
        return drops.sum();
    }

    long unhandled()
    {
        return unhandled.sum();
    }

    long handlerErrors()
    {
        return handlerErrors.sum();
    }

    /** At the client's close: every queue stops after its running handler; an I/O thread waiting for room wakes. */
    void closeAll()
    {
        for (final HandlerQueue queue : open)
        {
            queue.close();
        }
    }

    /**
     * For drain(): waits until every queue is empty and its handler returned, or the deadline.
     *
     * @return true when all were idle in time.
     */
    boolean awaitIdle(final long deadlineNs)
    {
        boolean idle = true;
        for (final HandlerQueue queue : open)
        {
            idle &= queue.awaitIdle(deadlineNs);
        }
        return idle;
    }
}

package io.seqbus.broker.bridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread telling another, which may be asleep, that there is news for it, with one system call per sleep
 * rather than per piece of news: the wake-up protocol of the shared-memory rings (docs/design/shared-memory.md),
 * for two threads of one process. The waker counts news ({@link #announce()}: a store and a fence, no system
 * call while the sleeper is awake). The sleeper notes the count before it looks for work, and before it sleeps
 * marks itself sleeping and checks the count again ({@link #sleepIf}): whichever of the two comes second sees the
 * other's store, so news is never left behind a sleep. A claim (CAS 1 to 0) makes it one ring per sleep.
 *
 * <p>One waker thread and one sleeper thread; the ring runs on the waker's thread.
 */
final class Doorbell
{
    private static final VarHandle SLEEPING;

    static
    {
        try
        {
            SLEEPING = MethodHandles.lookup().findVarHandle(Doorbell.class, "sleeping", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Runnable ring;
    // Written by the waker only; read by the sleeper.
    private volatile long news;
    // 1 from the sleeper's sleepIf until it wakes or the waker claims it.
    private volatile int sleeping;
    // Written by the waker only: rings so far (tests and counters read it).
    private volatile long rings;

    /**
     * @param ring what wakes the sleeper (an eventfd write, Selector.wakeup): called at most once per sleep.
     */
    Doorbell(final Runnable ring)
    {
        this.ring = ring;
    }

    /**
     * Waker: there is news. Rings only when the sleeper said it sleeps.
     */
    void announce()
    {
        news = news + 1;
        VarHandle.fullFence();
        if (sleeping == 1 && SLEEPING.compareAndSet(this, 1, 0))
        {
            rings = rings + 1;
            ring.run();
        }
    }

    /**
     * Sleeper: the count to hand to {@link #sleepIf} later; read it before looking for work.
     *
     * @return news so far.
     */
    long news()
    {
        return news;
    }

    /**
     * Sleeper, just before it sleeps: marks it sleeping, unless news came since {@code seen}.
     *
     * @param seen what {@link #news()} gave before the sleeper last looked for work.
     * @return true to sleep (call {@link #awake()} after); false: there is news, look again.
     */
    boolean sleepIf(final long seen)
    {
        sleeping = 1;
        VarHandle.fullFence();
        if (news != seen)
        {
            sleeping = 0;
            return false;
        }
        return true;
    }

    /**
     * Sleeper: awake again (woken or timed out); the waker need not ring.
     */
    void awake()
    {
        if (sleeping != 0)
        {
            sleeping = 0;
        }
    }

    /**
     * @return how many times the sleeper was rung awake.
     */
    long rings()
    {
        return rings;
    }
}

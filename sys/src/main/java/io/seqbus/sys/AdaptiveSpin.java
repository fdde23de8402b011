package io.seqbus.sys;

/**
 * Whether a thread that just ran out of work should spin-wait for more (up to its own maximum) or go to sleep at
 * once: spinning is worth it only while the process has cores to spare and only while spinning pays. One instance
 * per waiting thread; the broker's agent and the client's thread each own one. Not thread-safe.
 * <p>
 * Measured on 2 cores, one subscriber at 10k msgs/s: a client thread spinning 100 µs after each message read it at
 * one-hop p50 ~31 µs against ~52 µs sleeping at once in poll(2), and did nothing for the ms p99 tail. That ~20 µs is
 * worth a spinning core only while a core is free: 16 subscribers spinning at 10k msgs/s each keep 2 cores busy and
 * the broker waits for a CPU behind them; an idle-ish client spinning 100 µs after a message every 10 ms spins for
 * nothing. Two signals, then:
 * <ul>
 * <li><b>Cores to spare</b>: the thread's own run-queue wait, the second field of {@code /proc/thread-self/schedstat}
 * (ns spent runnable but waiting for a CPU), sampled at most every {@link #SAMPLE_NS}. If it waited more than
 * {@link #OVERSUBSCRIBED_PERCENT}% of a window, the cores are oversubscribed: no spinning for {@link #HOLD_MIN_NS},
 * then it spins again and looks again (the probe); a probe that finds them still oversubscribed doubles the hold,
 * up to {@link #HOLD_MAX_NS}. Measured: a spinner on this 2-core machine shared with other builds (load
 * average 4.8) waited 1.6-5.9% of each second, the odd preemption by a thread that wakes for a moment; a spinner
 * pinned to one CPU beside a CPU-bound thread waits ~50%, and this policy stopped it within 20 ms
 * ({@code AdaptiveSpinContentionTest}). 10% sits between the two. Its own signal, not the load average: it is
 * what this thread pays, now, and a spinner that waits on a run queue takes a CPU from someone else as much as it
 * gets one.</li>
 * <li><b>Spinning pays</b>: an idle stretch that ended within twice the spin window (the work came while it
 * would spin, or just after) paid. After {@link #UNPAID_LIMIT} stretches in a row that did not, it stops spinning, and spins again on
 * one stretch in {@link #PROBE_EVERY} to find out whether the traffic got faster. The window is the caller's
 * spin, as measured by the stretches that spun it all ({@link #spinEnded}); a stretch ended by work found after a
 * sleep counts the wake-up too, hence the probes.</li>
 * </ul>
 * The file is opened once, by the owning thread ({@code thread-self} names the opener), read with pread at offset 0
 * into a buffer of its own and parsed in place: no allocation. When it cannot be read, only the second signal
 * applies, which a thread under steady traffic always passes: today's fixed spin.
 */
public final class AdaptiveSpin implements AutoCloseable
{
    /** Shortest window over which the run-queue wait is judged; also how often at most the file is read. */
    public static final long SAMPLE_NS = 4_000_000;
    /** Run-queue wait, as a share of the window, above which the cores count as oversubscribed. */
    public static final int OVERSUBSCRIBED_PERCENT = 10;
    /** First hold without spinning once the cores are oversubscribed. */
    public static final long HOLD_MIN_NS = 200_000_000;
    /** Longest hold: probes that keep finding the cores oversubscribed come this far apart. */
    public static final long HOLD_MAX_NS = 3_200_000_000L;
    /** Idle stretches in a row that spinning did not pay for, after which it stops spinning. */
    public static final int UNPAID_LIMIT = 8;
    /** While not spinning for want of pay, one idle stretch in this many spins anyway. */
    public static final int PROBE_EVERY = 16;
    private static final long WINDOW_MAX_NS = 1_000_000;

    /** The thread's run-queue wait so far, ns; negative when it cannot be read. */
    @FunctionalInterface
    public interface RunQueueWait
    {
        long waitedNs();
    }

    private final RunQueueWait runQueueWait;
    private final AutoCloseable source;
    private long windowNs;
    private long sampledAtNs;
    private long sampledWaitNs = -1;
    private long holdUntilNs;
    private long holdNs = HOLD_MIN_NS;
    private boolean held;
    private boolean probing;
    private int unpaid;
    private int sinceProbe;
    private long idleSinceNs;
    private boolean idle;
    private boolean spinning;
    // What was decided and why, for tests and the curious: counts only.
    private long oversubscribedDecisions;
    private long unpaidDecisions;

    /**
     * @param spinNs      the caller's spin, the window within which work counts as paying for it; a caller that
     *                    spins a count of cycles gives its best guess and the spins it reports refine it.
     * @param runQueueWait the thread's run-queue wait, or a source for tests.
     * @param source      closed with this; may be null.
     */
    public AdaptiveSpin(final long spinNs, final RunQueueWait runQueueWait, final AutoCloseable source)
    {
        this.windowNs = Math.max(1, Math.min(spinNs, WINDOW_MAX_NS));
        this.runQueueWait = runQueueWait;
        this.source = source;
    }

    /**
     * A policy for the calling thread, which must be the one that calls it from then on.
     *
     * @param spinNs the caller's spin (see {@link #AdaptiveSpin(long, RunQueueWait, AutoCloseable)}).
     */
    public static AdaptiveSpin forCurrentThread(final long spinNs)
    {
        final SchedStat stat = SchedStat.openForCurrentThread();
        return stat == null ? new AdaptiveSpin(spinNs, () -> -1, null) : new AdaptiveSpin(spinNs, stat, stat);
    }

    /**
     * The thread just found no work after some: may it spin?
     *
     * @return true to spin (up to the caller's maximum), false to sleep at once.
     */
    public boolean shouldSpin(final long nowNs)
    {
        idle = true;
        idleSinceNs = nowNs;
        sample(nowNs);
        if (held)
        {
            oversubscribedDecisions++;
            return spinning = false;
        }
        if (unpaid >= UNPAID_LIMIT && ++sinceProbe < PROBE_EVERY)
        {
            unpaidDecisions++;
            return spinning = false;
        }
        sinceProbe = 0;
        return spinning = true;
    }

    /** The thread spun all it was allowed to and found nothing: it goes to sleep now. */
    public void spinEnded(final long nowNs)
    {
        if (idle && spinning)
        {
            final long spun = Math.min(nowNs - idleSinceNs, WINDOW_MAX_NS);
            windowNs += (spun - windowNs) >> 2;
            spinning = false;
        }
    }

    /** The thread found work after an idle stretch (spinning or after a sleep). */
    public void workFound(final long nowNs)
    {
        if (!idle)
        {
            return;
        }
        idle = false;
        spinning = false;
        // Twice the window: at 10k msgs/s against a 100 µs spin, the next message comes ~95-105 µs into the stretch,
        // and a stretch that ended asleep counts the wake-up too; a strict window would call half of those unpaid.
        if (nowNs - idleSinceNs <= 2 * windowNs)
        {
            unpaid = 0;
        }
        else if (unpaid < UNPAID_LIMIT)
        {
            unpaid++;
        }
    }

    private void sample(final long nowNs)
    {
        if (sampledWaitNs >= 0 && nowNs - sampledAtNs < SAMPLE_NS)
        {
            return;
        }
        final long waitedNs = runQueueWait.waitedNs();
        if (waitedNs < 0)
        {
            held = false;
            return;
        }
        if (sampledWaitNs >= 0)
        {
            if (held)
            {
                if (nowNs - holdUntilNs >= 0)
                {
                    // The hold is over: spin again, and judge the window that starts now, spinning (the probe).
                    held = false;
                    probing = true;
                }
            }
            else
            {
                final long elapsedNs = nowNs - sampledAtNs;
                if ((waitedNs - sampledWaitNs) * 100 > elapsedNs * OVERSUBSCRIBED_PERCENT)
                {
                    // A probe that finds the cores still oversubscribed holds longer.
                    holdNs = probing ? Math.min(holdNs * 2, HOLD_MAX_NS) : HOLD_MIN_NS;
                    holdUntilNs = nowNs + holdNs;
                    held = true;
                }
                else
                {
                    holdNs = HOLD_MIN_NS;
                }
                probing = false;
            }
        }
        sampledAtNs = nowNs;
        sampledWaitNs = waitedNs;
    }

    /** @return true while it holds off spinning because the cores are oversubscribed. */
    public boolean oversubscribed()
    {
        return held;
    }

    /** @return how many times it said not to spin because the cores were oversubscribed. */
    public long oversubscribedDecisions()
    {
        return oversubscribedDecisions;
    }

    /** @return how many times it said not to spin because spinning did not pay lately. */
    public long unpaidDecisions()
    {
        return unpaidDecisions;
    }

    /** @return the spin window in use, ns. */
    public long windowNs()
    {
        return windowNs;
    }

    @Override
    public void close()
    {
        if (source != null)
        {
            try
            {
                source.close();
            }
            catch (final Exception ignore)
            {
                // a read-only /proc file: nothing was lost
            }
        }
    }
}

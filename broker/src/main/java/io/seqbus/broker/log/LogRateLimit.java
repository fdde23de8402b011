package io.seqbus.broker.log;

import java.util.concurrent.TimeUnit;

/**
 * At most so many lines of one kind a second (connects and disconnects under churn, say); the lines
 * left out are counted and reported in one line when the second is over. Used by one thread; allocates
 * nothing unless a line is printed.
 */
public final class LogRateLimit
{
    private static final long WINDOW_NS = TimeUnit.SECONDS.toNanos(1);

    private final String what;
    private final int perSecond;
    private long windowStartNs;
    private int printed;
    private long suppressed;

    /**
     * @param what      what the lines are, for the summary ("connection lines").
     * @param perSecond lines allowed a second.
     * @param nowNs     {@link System#nanoTime()} now.
     */
    public LogRateLimit(final String what, final int perSecond, final long nowNs)
    {
        this.what = what;
        this.perSecond = perSecond;
        this.windowStartNs = nowNs;
    }

    /**
     * @param level the level the line would be printed at.
     * @param nowNs {@link System#nanoTime()} now.
     * @return true when the caller should build and print its line; false when it is left out (and counted)
     * or the level is not printed at all.
     */
    public boolean allow(final Log.Level level, final long nowNs)
    {
        if (!Log.enabled(level))
        {
            return false;
        }
        roll(nowNs);
        if (printed < perSecond)
        {
            printed++;
            return true;
        }
        suppressed++;
        return false;
    }

    /**
     * Reports the lines left out once their second is over, should no new line come to do it.
     *
     * @param nowNs {@link System#nanoTime()} now.
     */
    public void poll(final long nowNs)
    {
        if (suppressed > 0)
        {
            roll(nowNs);
        }
    }

    /** @return lines left out and not yet reported. */
    public long suppressed()
    {
        return suppressed;
    }

    private void roll(final long nowNs)
    {
        if (nowNs - windowStartNs < WINDOW_NS)
        {
            return;
        }
        if (suppressed > 0)
        {
            Log.info(suppressed + " " + what + " not logged (over " + perSecond + " a second)");
            suppressed = 0;
        }
        windowStartNs = nowNs;
        printed = 0;
    }
}

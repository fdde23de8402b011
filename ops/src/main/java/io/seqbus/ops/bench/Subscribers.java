package io.seqbus.ops.bench;

import org.HdrHistogram.Histogram;

import java.util.List;

/**
 * The bench's subscribers, wherever they run: {@link InProcessSubscribers} in the bench's process,
 * {@link SubscriberProcesses} one process each (--sub-procs). Either is subscribed and synced once built; the bench
 * moves them through the window's phases and collects what each counted.
 */
interface Subscribers extends AutoCloseable
{
    /** What one subscriber counted. */
    record Report(long received, long measured, long gaps, Histogram latencyNs)
    {
    }

    /** The window starts ({@link SubscriberTally#MEASURING}, the subscribers count from now) or ends. */
    void phase(int phase);

    /**
     * Sleeps through the measured window.
     *
     * @param nanos how long.
     * @throws InterruptedException if interrupted.
     */
    void sleepWatching(long nanos) throws InterruptedException;

    /**
     * @param expected messages published in all.
     * @return what each subscriber counted, in subscriber order, once it had them all (or waited its limit).
     * @throws InterruptedException if interrupted while waiting.
     */
    List<Report> collect(long expected) throws InterruptedException;

    /** @return the ids of the processes the subscribers run in other than this one: none when they run here. */
    long[] pids();

    @Override
    void close();
}

package io.seqbus.ops.bench;

import io.seqbus.client.Message;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;

import java.util.concurrent.TimeUnit;

/**
 * What one subscriber counts: messages received in all, those received in the measured window, GAP notices, and,
 * when paced, each message's one-hop latency (send time in the payload to arrival). Written by the one thread that
 * runs the subscriber's handlers; read by others only once that thread is done or for a progress check (a stale
 * count there only means one more wait). The same in the bench's process and in a subscriber process.
 */
final class SubscriberTally
{
    static final int WARMING = 0;
    static final int MEASURING = 1;
    static final int DRAINING = 2;
    /** The copy alternative's piece header: message number, piece index, piece count after the send time. */
    static final int PIECE_INDEX = 16;
    static final int PIECE_COUNT = 20;

    private final boolean latency;
    private final boolean touch;
    private final boolean copyAlternative;
    private final long workNs;
    /** Set by whoever runs the window; read per message. */
    private volatile int phase = WARMING;
    // Plain fields, as before the tally was its own class: a volatile store per message would cost the hot path;
    // a waiting thread rereads them between parks, and reads the final values after the handler thread is done.
    private long received;
    private long gaps;
    /** Where --touch's sums go, so the reads are not optimised away. */
    private long sink;
    // Indexed by phase, so warm-up runs the very code the window measures: with a branch on the phase, the
    // recording path first ran when the window opened, in every subscriber JVM at once, and their compilations
    // and deoptimisations held the cores for the window's first second (16 processes at 10k msgs/s: p99 19-34 ms
    // against 4-7 ms with this).
    private final long[] countedInPhase = new long[3];
    private final Histogram[] latencyInPhase = {newHistogram(), newHistogram(), newHistogram()};

    SubscriberTally(final boolean latency, final boolean touch, final boolean copyAlternative, final long workNs)
    {
        this.latency = latency;
        this.touch = touch;
        this.copyAlternative = copyAlternative;
        this.workNs = workNs;
    }

    /** @return an empty histogram of one-hop nanoseconds, the one shape every tally and merge uses. */
    static Histogram newHistogram()
    {
        return new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    }

    /**
     * Records one latency. A latency beyond the histogram's range (a {@code --rate} the bus cannot take, held until
     * the backlog is 10 s deep) counts at the top of the range rather than failing the handler; a negative one (clocks
     * of two CPUs a little apart) counts as 0.
     */
    static void record(final Histogram histogram, final long ns)
    {
        histogram.recordValue(Math.min(Math.max(0, ns), histogram.getHighestTrackableValue()));
    }

    void phase(final int phase)
    {
        this.phase = phase;
    }

    void onGap(final long count)
    {
        gaps += Math.max(1, count);
    }

    void onMessage(final Message m)
    {
        if (workNs > 0)
        {
            work(workNs);
        }
        if (touch)
        {
            sink += sum(m);
        }
        if (copyAlternative &&
            m.payload().getInt(m.payloadIndex() + PIECE_INDEX) + 1 < m.payload().getInt(m.payloadIndex() + PIECE_COUNT))
        {
            return; // a message of the copy alternative arrives with its last piece
        }
        received++;
        final int p = phase;
        countedInPhase[p]++;
        if (latency)
        {
            final long sentAt = m.payload().getLong(m.payloadIndex());
            record(latencyInPhase[p], System.nanoTime() - sentAt);
        }
    }

    long received()
    {
        return received;
    }

    long measured()
    {
        return countedInPhase[MEASURING];
    }

    long gaps()
    {
        return gaps;
    }

    /** @return the latencies of the messages received in the measured window. */
    Histogram latencyNs()
    {
        return latencyInPhase[MEASURING];
    }

    /** A handler's work: CPU for this long, no sleep (a sleeping handler would leave the core to the others). */
    private static void work(final long ns)
    {
        final long until = System.nanoTime() + ns;
        while (System.nanoTime() - until < 0)
        {
            Thread.onSpinWait();
        }
    }

    /** Reads every payload byte once, 8 at a time. */
    private static long sum(final Message m)
    {
        final DirectBuffer payload = m.payload();
        final int end = m.payloadIndex() + m.payloadLength();
        long sum = 0;
        int i = m.payloadIndex();
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            sum += payload.getLong(i);
        }
        for (; i < end; i++)
        {
            sum += payload.getByte(i);
        }
        return sum;
    }
}

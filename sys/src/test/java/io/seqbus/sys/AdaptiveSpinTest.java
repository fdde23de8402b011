package io.seqbus.sys;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.seqbus.sys.AdaptiveSpin.HOLD_MIN_NS;
import static io.seqbus.sys.AdaptiveSpin.PROBE_EVERY;
import static io.seqbus.sys.AdaptiveSpin.SAMPLE_NS;
import static io.seqbus.sys.AdaptiveSpin.UNPAID_LIMIT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spin policy's decisions from given run-queue samples and given times: a pure function of what it is told.
 */
class AdaptiveSpinTest
{
    private static final long SPIN_NS = 100_000;

    /** A thread's run-queue wait as the test says it grew. */
    private long waitedNs;
    private long nowNs = 1_000_000_000L;
    private final AdaptiveSpin spin = new AdaptiveSpin(SPIN_NS, () -> waitedNs, null);

    @Test
    void spinsWhileTheThreadNeverWaitsForACpu()
    {
        for (int i = 0; i < 1_000; i++)
        {
            assertThat(paidStretch(0)).as("stretch " + i).isTrue();
        }
        assertThat(spin.oversubscribedDecisions()).isZero();
    }

    @Test
    void stopsSpinningWhenTheThreadWaitsOnARunQueueThenProbesAfterTheHold()
    {
        assertThat(paidStretch(0)).isTrue();
        // A window in which the thread waited for a CPU half of the time.
        assertThat(paidStretch(SAMPLE_NS / 2)).as("judged at the next sample").isFalse();
        assertThat(spin.oversubscribed()).isTrue();
        // Held for HOLD_MIN_NS, whatever the samples say meanwhile.
        final long heldUntil = nowNs + HOLD_MIN_NS;
        while (nowNs + SAMPLE_NS < heldUntil)
        {
            assertThat(paidStretch(0)).isFalse();
        }
        // The hold ends at the first sample after it.
        nowNs += SAMPLE_NS;
        assertThat(spin.shouldSpin(nowNs)).as("the probe after the hold").isTrue();
        spin.workFound(nowNs);
        // The probe finds a clean window: spinning stays on.
        assertThat(paidStretch(0)).isTrue();
        assertThat(paidStretch(0)).isTrue();
        assertThat(spin.oversubscribed()).isFalse();
    }

    @Test
    void aProbeThatFindsTheCoresStillOversubscribedHoldsTwiceAsLong()
    {
        paidStretch(0);
        assertThat(paidStretch(SAMPLE_NS / 2)).isFalse();
        nowNs += HOLD_MIN_NS;
        assertThat(spin.shouldSpin(nowNs)).as("probe").isTrue();
        spin.workFound(nowNs);
        assertThat(paidStretch(SAMPLE_NS / 2)).as("the probe's window was oversubscribed").isFalse();
        final long probedAt = nowNs;
        // Not after HOLD_MIN_NS this time, after twice that.
        nowNs = probedAt + HOLD_MIN_NS + SAMPLE_NS;
        assertThat(spin.shouldSpin(nowNs)).isFalse();
        spin.workFound(nowNs);
        nowNs = probedAt + 2 * HOLD_MIN_NS;
        assertThat(spin.shouldSpin(nowNs)).isTrue();
    }

    @Test
    void aFewPercentOfRunQueueWaitIsNotOversubscribed()
    {
        for (int i = 0; i < 100; i++)
        {
            assertThat(paidStretch(SAMPLE_NS * (AdaptiveSpin.OVERSUBSCRIBED_PERCENT - 1) / 100)).isTrue();
        }
    }

    @Test
    void stopsSpinningWhenWorkDoesNotComeWithinTheSpinAndProbesNowAndThen()
    {
        // A message every 10 ms: each stretch spins 100 µs, finds nothing, sleeps, and the work comes later.
        for (int i = 0; i < UNPAID_LIMIT; i++)
        {
            assertThat(unpaidStretch()).as("stretch " + i).isTrue();
        }
        int spun = 0;
        for (int i = 0; i < 10 * PROBE_EVERY; i++)
        {
            spun += unpaidStretch() ? 1 : 0;
        }
        assertThat(spun).as("one probe in PROBE_EVERY").isEqualTo(10);
        assertThat(spin.unpaidDecisions()).isEqualTo(10 * (PROBE_EVERY - 1));
    }

    @Test
    void keepsSpinningAtTenThousandMessagesASecondWhereTheNextComesJustAfterTheSpin()
    {
        // Every 100 µs, jittered: the next message 101-110 µs into each stretch, just after the 100 µs spin.
        for (int i = 0; i < 1_000; i++)
        {
            assertThat(spin.shouldSpin(nowNs)).as("stretch " + i).isTrue();
            final long gapNs = 101_000 + (i % 4) * 3_000;
            if (gapNs > SPIN_NS)
            {
                spin.spinEnded(nowNs + SPIN_NS);
            }
            nowNs += gapNs;
            spin.workFound(nowNs);
        }
    }

    @Test
    void spinsAgainOnceWorkComesWithinTheSpin()
    {
        for (int i = 0; i < 2 * UNPAID_LIMIT; i++)
        {
            unpaidStretch();
        }
        assertThat(spin.shouldSpin(nowNs)).isFalse();
        // Work 30 µs into the stretch, though the thread slept: a spin would have paid.
        nowNs += 30_000;
        spin.workFound(nowNs);
        assertThat(paidStretch(0)).isTrue();
    }

    @Test
    void theWindowFollowsTheSpinsTheCallerReports()
    {
        final AdaptiveSpin counted = new AdaptiveSpin(100_000, () -> 0, null);
        for (int i = 0; i < 50; i++)
        {
            assertThat(counted.shouldSpin(nowNs)).isTrue();
            counted.spinEnded(nowNs + 20_000);
            counted.workFound(nowNs + 10_000);
            nowNs += 10_000_000;
        }
        assertThat(counted.windowNs()).isBetween(20_000L, 21_000L);
    }

    @Test
    void withoutARunQueueWaitToReadItSpinsAsBefore()
    {
        final AdaptiveSpin blind = new AdaptiveSpin(SPIN_NS, () -> -1, null);
        for (int i = 0; i < 100; i++)
        {
            assertThat(blind.shouldSpin(nowNs)).isTrue();
            blind.workFound(nowNs + 10_000);
            nowNs += SAMPLE_NS;
        }
        assertThat(blind.oversubscribed()).isFalse();
    }

    @Test
    void readsTheSecondFieldOfSchedstat()
    {
        assertThat(SchedStat.secondField(ascii("1184898 20517 31\n"), 17)).isEqualTo(20517);
        assertThat(SchedStat.secondField(ascii("1184898 0 1\n"), 12)).isZero();
        assertThat(SchedStat.secondField(ascii("1184898"), 7)).isEqualTo(-1);
    }

    @Test
    void readsThisThreadsOwnRunQueueWait() throws Exception
    {
        try (AdaptiveSpin forThisThread = AdaptiveSpin.forCurrentThread(SPIN_NS))
        {
            assertThat(forThisThread.shouldSpin(System.nanoTime())).isTrue();
        }
        final SchedStat stat = SchedStat.openForCurrentThread();
        assertThat(stat).as("/proc/thread-self/schedstat").isNotNull();
        try (stat)
        {
            final long first = stat.waitedNs();
            assertThat(first).isNotNegative();
            Thread.yield();
            assertThat(stat.waitedNs()).isGreaterThanOrEqualTo(first);
        }
    }

    // One idle stretch, a sample window later, in which the thread waited this long on a run queue; work comes at
    // once. Returns whether it was told to spin.
    private boolean paidStretch(final long waitedInWindowNs)
    {
        nowNs += SAMPLE_NS;
        waitedNs += waitedInWindowNs;
        final boolean spun = spin.shouldSpin(nowNs);
        spin.workFound(nowNs + 10_000);
        return spun;
    }

    private boolean unpaidStretch()
    {
        final boolean spun = spin.shouldSpin(nowNs);
        if (spun)
        {
            spin.spinEnded(nowNs + SPIN_NS);
        }
        nowNs += 10_000_000;
        spin.workFound(nowNs);
        return spun;
    }

    private static ByteBuffer ascii(final String text)
    {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}

package io.seqbus.ops.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SubscriberTallyTest
{
    @Test
    void aLatencyBeyondTheRangeCountsAtItsTopAndANegativeOneAsZero()
    {
        final Histogram h = SubscriberTally.newHistogram();
        SubscriberTally.record(h, TimeUnit.SECONDS.toNanos(25));
        SubscriberTally.record(h, -3_000);
        SubscriberTally.record(h, 40_000);

        assertThat(h.getTotalCount()).isEqualTo(3);
        assertThat(h.getMinValue()).isZero();
        assertThat(h.getValueAtPercentile(50)).isBetween(39_000L, 41_000L);
        assertThat(h.getMaxValue()).isBetween(TimeUnit.SECONDS.toNanos(9), TimeUnit.SECONDS.toNanos(11));
    }
}

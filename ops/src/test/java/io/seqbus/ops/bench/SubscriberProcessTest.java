package io.seqbus.ops.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SubscriberProcessTest
{
    @Test
    void aLatencyHistogramCrossesTheProcessBoundaryWholeSoMergedPercentilesAreExact()
    {
        final Histogram fast = SubscriberTally.newHistogram();
        final Histogram slow = SubscriberTally.newHistogram();
        for (int i = 0; i < 10_000; i++)
        {
            fast.recordValue(20_000 + i);
            slow.recordValue(i % 100 == 0 ? 3_000_000 : 200_000 + i);
        }
        final Histogram direct = SubscriberTally.newHistogram();
        direct.add(fast);
        direct.add(slow);

        final Histogram merged = SubscriberTally.newHistogram();
        merged.add(SubscriberProcess.decode(SubscriberProcess.encode(fast)));
        merged.add(SubscriberProcess.decode(SubscriberProcess.encode(slow)));

        assertThat(merged).isEqualTo(direct);
        assertThat(merged.getTotalCount()).isEqualTo(20_000);
        assertThat(merged.getValueAtPercentile(99.9)).isEqualTo(direct.getValueAtPercentile(99.9));
    }
}

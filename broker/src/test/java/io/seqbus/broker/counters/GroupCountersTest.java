package io.seqbus.broker.counters;

import io.seqbus.broker.metrics.BrokerMetrics;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code seqbus_group_discarded_total{group}}: group names come from clients, so only the first
 * {@link GroupCounters#LABELLED} that discard anything get a label of their own; the rest are summed under "*".
 */
class GroupCountersTest
{
    @Test
    void theLabelsAreBoundedAndTheRestCountUnderStar()
    {
        final BrokerCounters counters = new BrokerCounters();
        for (int i = 0; i < GroupCounters.LABELLED + 10; i++)
        {
            counters.groupDiscarded("g" + i, 2);
        }
        counters.groupDiscarded("g0", 1);

        assertThat(counters.get(BrokerCounters.GROUP_DISCARDED)).isEqualTo(2L * (GroupCounters.LABELLED + 10) + 1);
        assertThat(counters.groups().discardedOf("g0")).isEqualTo(3);
        assertThat(counters.groups().name(GroupCounters.LABELLED)).isEqualTo(GroupCounters.OTHERS);
        assertThat(counters.groups().discarded(GroupCounters.LABELLED)).isEqualTo(20);

        try (BrokerMetrics metrics = new BrokerMetrics(counters, () -> true))
        {
            final String scrape = metrics.scrape();
            assertThat(scrape).contains("seqbus_group_discarded_total{group=\"g0\"} 3.0")
                .contains("seqbus_group_discarded_total{group=\"*\"} 20.0")
                .contains("seqbus_group_deliveries_total");
            final long series = scrape.lines().filter((l) -> l.startsWith("seqbus_group_discarded_total{")).count();
            assertThat(series).isEqualTo(GroupCounters.LABELLED + 1);
            counters.groupDiscarded("late-comer", 5);
            assertThat(metrics.scrape()).contains("seqbus_group_discarded_total{group=\"*\"} 25.0");
        }
    }
}

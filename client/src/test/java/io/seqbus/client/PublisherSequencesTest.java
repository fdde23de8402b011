package io.seqbus.client;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the reconnect check counts: only after a reconnect, once per publisher, never what a broker GAP counted.
 */
class PublisherSequencesTest
{
    private static final long A = PublisherSequences.key(1, 0x8000_0000_0000_0001L);
    private static final long B = PublisherSequences.key(2, 0x8000_0000_0000_0001L);

    @Test
    void aSkipCountsOnlyAfterAReconnectAndOnlyOnce()
    {
        final PublisherSequences s = new PublisherSequences();
        assertThat(s.delivered(A, 1)).isZero();
        assertThat(s.delivered(A, 5)).as("within a connection a skip is a topic not matched").isZero();
        s.armAll(GapReason.RECONNECTED);
        assertThat(s.delivered(A, 9)).isEqualTo(3);
        assertThat(s.delivered(A, 12)).isZero();
    }

    @Test
    void aPublisherSeenFirstAfterTheReconnectIsNotCounted()
    {
        final PublisherSequences s = new PublisherSequences();
        s.delivered(A, 3);
        s.armAll(GapReason.RECONNECTED);
        assertThat(s.delivered(B, 40)).as("same id, another node").isZero();
        assertThat(s.delivered(A, 4)).isZero();
    }

    @Test
    void whatABrokerGapCountedIsNotCountedAgain()
    {
        final PublisherSequences s = new PublisherSequences();
        s.delivered(A, 10);
        s.armAll(GapReason.RECONNECTED);
        s.skipped(A, 11, 5);
        assertThat(s.delivered(A, 20)).isEqualTo(4);

        s.armAll(GapReason.RECONNECTED);
        s.forgetAll();
        assertThat(s.delivered(A, 30)).as("a loss the broker could not pin to one publisher").isZero();
    }

    @Test
    void aLossOfUnknownSizeArmsWithItsReason()
    {
        final PublisherSequences s = new PublisherSequences();
        s.delivered(A, 7);
        s.armAll(GapReason.NODE_LOST);
        assertThat(s.delivered(A, 10)).isEqualTo(2);
        assertThat(s.armReason()).isEqualTo(GapReason.NODE_LOST);
    }
}

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
    }

    /**
     * After a reconnect the new connection's queue dropped 14..15: 11..13 went missing while reconnecting, and
     * the broker's GAP for the drops must not hide them (moving the last sequence up to 15 did).
     */
    @Test
    void aDropGapRightAfterAReconnectDoesNotHideTheHoleBeforeIt()
    {
        final PublisherSequences s = new PublisherSequences();
        s.delivered(A, 10);
        s.armAll(GapReason.RECONNECTED);
        s.skipped(A, 14, 2);
        assertThat(s.delivered(A, 16)).isEqualTo(3);
        assertThat(s.delivered(A, 17)).as("disarmed, and the credit is spent").isZero();
    }

    @Test
    void onlyWhatTheBrokerCountedAfterTheLastDeliveryIsCredited()
    {
        final PublisherSequences s = new PublisherSequences();
        s.delivered(A, 10);
        s.armAll(GapReason.RECONNECTED);
        s.skipped(A, 9, 4);
        assertThat(s.delivered(A, 20)).as("11..12 counted; 13..19 not").isEqualTo(7);
    }

    @Test
    void onlyPublishersDeliveredBeforeAreSeen()
    {
        final PublisherSequences s = new PublisherSequences();
        assertThat(s.seen(A)).isFalse();
        s.delivered(A, 1);
        s.armAll(GapReason.RECONNECTED);
        assertThat(s.seen(A)).as("armed").isTrue();
        assertThat(s.seen(B)).isFalse();
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

package io.seqbus.broker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The table of closed sessions stays within its bounds, and a uid that churns sessions pushes out only its own
 * entries.
 */
class ClosedSessionsTest
{
    /** Publisher ids depend on the uid: the churner's never equal another uid's. */
    private static final long CHURNER = 0x1_0000_0000L;

    @Test
    void aResumeTakesTheEntryOnce()
    {
        final ClosedSessions t = new ClosedSessions(16, 4);
        t.closed(1000, 0x8000_0000_0000_0001L, 41);
        assertThat(t.resumed(0x8000_0000_0000_0001L)).isEqualTo(41);
        assertThat(t.resumed(0x8000_0000_0000_0001L)).isEqualTo(-1);
        assertThat(t.size()).isZero();
        assertThat(t.sizeOf(1000)).isZero();
    }

    @Test
    void aLaterCloseOfTheSameSessionReplacesItsEntry()
    {
        final ClosedSessions t = new ClosedSessions(16, 4);
        t.closed(1000, 7, 10);
        t.closed(1000, 7, 12);
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.resumed(7)).isEqualTo(12);
    }

    @Test
    void aChurningUidForgetsItsOwnOldestAndNeverAnotherUidsEntry()
    {
        final ClosedSessions t = new ClosedSessions(8, 4);
        t.closed(2000, 0x2000, 5);
        t.closed(3000, 0x3000, 6);
        for (long session = 1; session <= 10_000; session++)
        {
            t.closed(1000, CHURNER + session, session);
            assertThat(t.sizeOf(1000)).isLessThanOrEqualTo(4);
            assertThat(t.size()).isLessThanOrEqualTo(8);
        }
        assertThat(t.resumed(0x2000)).isEqualTo(5);
        assertThat(t.resumed(0x3000)).isEqualTo(6);
        assertThat(t.resumed(CHURNER + 10_000)).as("the newest of the churner's stays").isEqualTo(10_000);
        assertThat(t.resumed(CHURNER + 1)).as("its oldest went").isEqualTo(-1);
        assertThat(t.forgotten()).isEqualTo(10_000 - 4);
    }

    @Test
    void whenFullTheUidHoldingTheMostPays()
    {
        final ClosedSessions t = new ClosedSessions(6, 4);
        t.closed(2000, 0x2001, 1);
        t.closed(2000, 0x2002, 1);
        for (long session = 1; session <= 100; session++)
        {
            t.closed(1000, CHURNER + session, session);
        }
        assertThat(t.size()).isEqualTo(6);
        assertThat(t.sizeOf(2000)).as("within its share").isEqualTo(2);
        assertThat(t.sizeOf(1000)).isEqualTo(4);
        // Another uid within its share fills the table: the largest (1000) makes room, not 2000.
        t.closed(3000, 0x3001, 1);
        assertThat(t.sizeOf(1000)).isEqualTo(3);
        assertThat(t.sizeOf(2000)).isEqualTo(2);
        assertThat(t.sizeOf(3000)).isEqualTo(1);
    }

    @Test
    void zeroRemembersNothing()
    {
        final ClosedSessions t = new ClosedSessions(0, 0);
        t.closed(1000, 1, 1);
        assertThat(t.size()).isZero();
        assertThat(t.resumed(1)).isEqualTo(-1);
    }
}

package io.seqbus.broker.bridge;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DriverSleepTest
{
    private static final int LONG_MS = 10;

    private final DriverSleep sleep = new DriverSleep(LONG_MS);

    @Test
    void anIdleDriverLetsTheAgentBlockLong()
    {
        assertThat(blocks(3)).containsOnly(LONG_MS);
    }

    @Test
    void afterDataMovedTheBlocksAreShortForAWhileForLossRepair()
    {
        sleep.dataMoved();
        final List<Integer> blocks = blocks(DriverSleep.SHORT_BLOCKS + 2);
        assertThat(blocks.subList(0, DriverSleep.SHORT_BLOCKS)).containsOnly(DriverSleep.SHORT_MS);
        assertThat(blocks.subList(DriverSleep.SHORT_BLOCKS, blocks.size())).containsOnly(LONG_MS);
    }

    @Test
    void moreDataStartsTheShortBlocksAgain()
    {
        sleep.dataMoved();
        blocks(DriverSleep.SHORT_BLOCKS - 1);
        sleep.dataMoved();
        assertThat(blocks(DriverSleep.SHORT_BLOCKS)).containsOnly(DriverSleep.SHORT_MS);
        assertThat(sleep.nextBlockMs()).isEqualTo(LONG_MS);
    }

    private List<Integer> blocks(final int n)
    {
        final List<Integer> blocks = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            blocks.add(sleep.nextBlockMs());
        }
        return blocks;
    }
}

package io.seqbus.broker.bridge;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class DoorbellTest
{
    private final AtomicInteger rung = new AtomicInteger();
    private final Doorbell bell = new Doorbell(rung::incrementAndGet);

    @Test
    void newsForAnAwakeSleeperRingsNothing()
    {
        bell.announce();
        bell.announce();
        assertThat(rung).hasValue(0);
        assertThat(bell.news()).isEqualTo(2);
    }

    @Test
    void newsSinceTheSleeperLastLookedKeepsItAwake()
    {
        final long seen = bell.news();
        bell.announce();
        assertThat(bell.sleepIf(seen)).isFalse();
        // ... and it is not marked asleep: later news rings nothing.
        bell.announce();
        assertThat(rung).hasValue(0);
    }

    @Test
    void aSleeperIsRungOncePerSleep()
    {
        assertThat(bell.sleepIf(bell.news())).isTrue();
        bell.announce();
        bell.announce();
        assertThat(rung).hasValue(1);
        assertThat(bell.rings()).isEqualTo(1);
        bell.awake();
        assertThat(bell.sleepIf(bell.news())).isTrue();
        bell.announce();
        assertThat(rung).hasValue(2);
    }

    @Test
    void aSleeperThatWokeByItselfIsNotRung()
    {
        assertThat(bell.sleepIf(bell.news())).isTrue();
        bell.awake();
        bell.announce();
        assertThat(rung).hasValue(0);
    }

    @Test
    void noNewsIsLostBetweenTwoThreads() throws Exception
    {
        // The waker announces while the sleeper goes to sleep over and over: every piece of news either stops a
        // sleep or rings it, so a sleeper that waits for its ring (here: spins on the count) is never stranded.
        final int rounds = 200_000;
        final AtomicInteger rings = new AtomicInteger();
        final Doorbell shared = new Doorbell(rings::incrementAndGet);
        final Thread waker = new Thread(() ->
        {
            for (int i = 0; i < rounds; i++)
            {
                shared.announce();
            }
        });
        waker.start();
        long seen = 0;
        while (seen < rounds)
        {
            final long ringsBefore = rings.get();
            if (shared.sleepIf(seen))
            {
                // Asleep with no news seen: the waker must ring, unless it has finished (then news == rounds was
                // announced before it finished, and sleepIf saw it... or it rings).
                while (rings.get() == ringsBefore && waker.isAlive())
                {
                    Thread.onSpinWait();
                }
                if (rings.get() == ringsBefore)
                {
                    assertThat(shared.news()).as("news after the waker ended, unrung").isEqualTo(seen);
                    break;
                }
                shared.awake();
            }
            seen = shared.news();
        }
        waker.join();
        assertThat(shared.news()).isEqualTo(rounds);
    }
}

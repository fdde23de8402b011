package io.seqbus.broker.bridge;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DriverIdleStrategyTest
{
    private final AtomicInteger agentRung = new AtomicInteger();
    private final DriverIdleStrategy idle = newIdle();

    @AfterEach
    void close()
    {
        idle.close();
    }

    @Test
    void aCycleInWhichDataArrivedRingsASleepingAgent()
    {
        final Doorbell toAgent = idle.toAgent();
        assertThat(toAgent.sleepIf(toAgent.news())).isTrue();
        idle.idle(1);
        assertThat(agentRung).as("work without data: status messages, heartbeats").hasValue(0);
        idle.dataArrived();
        idle.idle(1);
        assertThat(agentRung).hasValue(1);
        // The flag is per cycle.
        toAgent.awake();
        assertThat(toAgent.sleepIf(toAgent.news())).isTrue();
        idle.idle(1);
        assertThat(agentRung).hasValue(1);
    }

    @Test
    void theAgentWakesASleepingDriverThread() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread driver = new Thread(() ->
        {
            while (!stop.get())
            {
                idle.idle(0);
            }
        });
        driver.start();
        try
        {
            // Announce until one announcement found the driver's thread asleep in its select and rang it.
            await().atMost(Duration.ofSeconds(10)).until(() ->
            {
                idle.toDriver().announce();
                return idle.toDriver().rings() > 0;
            });
        }
        finally
        {
            stop.set(true);
            driver.join();
        }
    }

    private DriverIdleStrategy newIdle()
    {
        try
        {
            return new DriverIdleStrategy(agentRung::incrementAndGet);
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}

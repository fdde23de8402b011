package io.seqbus.broker.bridge;

import io.aeron.Aeron;
import io.aeron.Subscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded media driver as the broker agent runs it: on the caller's thread, its sockets handed to the bus for
 * its epoll while open and taken back before they close, and run between ready sockets and offers only as often as
 * its timers need.
 */
class EmbeddedDriverTest
{
    private final List<Integer> watched = new ArrayList<>();
    private final List<Integer> unwatched = new ArrayList<>();
    private final PayloadFragmentsTest.Received bus = new PayloadFragmentsTest.Received()
    {
        @Override
        public boolean watchDriverSocket(final int fd)
        {
            watched.add(fd);
            return true;
        }

        @Override
        public void unwatchDriverSocket(final int fd)
        {
            unwatched.add(fd);
        }
    };
    private EmbeddedDriver driver;

    @AfterEach
    void close()
    {
        if (driver != null)
        {
            driver.close();
        }
    }

    @Test
    void itsSocketsAreWatchedWhileOpenAndTheDriverRunsOnTheCallersThread() throws Exception
    {
        driver = EmbeddedDriver.launch("/dev/shm/embedded-driver-test-" + ProcessHandle.current().pid(),
            256 * 1024, bus);
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName("/dev/shm/embedded-driver-test-" + ProcessHandle.current().pid())
            .useConductorAgentInvoker(true)
            .driverAgentInvoker(driver.invoker())))
        {
            // No thread runs the driver: adding the subscription completes only because the client runs it.
            final Subscription subscription = aeron.addSubscription("aeron:udp?endpoint=127.0.0.1:47461", 1);
            assertThat(watched).hasSize(1);
            final int fd = watched.get(0);
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString()).startsWith("socket:[");
            assertThat(driver.watchesSockets()).isTrue();

            subscription.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (unwatched.isEmpty() && System.nanoTime() - deadline < 0)
            {
                driver.doWork(System.nanoTime());
                aeron.conductorAgentInvoker().invoke();
            }
            assertThat(unwatched).as("taken back before the driver closed it").containsExactly(fd);
        }
    }

    @Test
    void withNothingToDoItIsDueOnlyForItsTimers()
    {
        driver = EmbeddedDriver.launch("/dev/shm/embedded-driver-test-" + ProcessHandle.current().pid(),
            256 * 1024, bus);
        long now = System.nanoTime();
        // Starting up is work; then it goes quiet.
        for (int i = 0; i < 1_000 && driver.doWork(now) > 0; i++)
        {
            now += 1;
        }
        assertThat(driver.doWork(now)).isZero();
        assertThat(driver.due(now + EmbeddedDriver.TIMER_PERIOD_NS / 2)).isFalse();
        assertThat(driver.due(now + EmbeddedDriver.TIMER_PERIOD_NS)).isTrue();
    }
}

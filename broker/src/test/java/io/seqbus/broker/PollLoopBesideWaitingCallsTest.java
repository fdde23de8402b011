package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ThreadMode.POLL: an application's poll loop on one thread, waiting calls (sync) on another. A waiting call polls
 * while it waits; the loop's poll() meanwhile must not throw (it killed ClientSharedMemoryTest's poller, and the
 * subscriber, never read again, was evicted as a slow consumer).
 */
class PollLoopBesideWaitingCallsTest
{
    @TempDir
    Path dir;

    @Test
    void aPollLoopSurvivesSyncsOnAnotherThread() throws Exception
    {
        final String socket = dir.resolve("p.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            BusClient client = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)
                .connectTimeout(Duration.ofSeconds(10))))
        {
            final AtomicBoolean looping = new AtomicBoolean(true);
            final AtomicReference<Throwable> died = new AtomicReference<>();
            final Thread loop = new Thread(() ->
            {
                try
                {
                    while (looping.get())
                    {
                        client.poll();
                    }
                }
                catch (final Throwable ex)
                {
                    died.set(ex);
                }
            }, "app-poll-loop");
            loop.start();
            for (int i = 0; i < 300 && died.get() == null; i++)
            {
                client.sync(Duration.ofSeconds(10));
            }
            looping.set(false);
            loop.join(10_000);
            assertThat(died.get()).isNull();
        }
    }
}

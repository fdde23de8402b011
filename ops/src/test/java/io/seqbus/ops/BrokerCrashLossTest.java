package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.ops.soak.ChildBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker {@code kill -9} and restart under a steady publisher and subscriber, both Java clients reconnecting by
 * themselves: the publisher keeps its id and sequence, so the loss the subscriber is told (the sum of its gap
 * counts) is exactly what the publisher sent without an error minus what arrived.
 */
class BrokerCrashLossTest extends ProcessTestBase
{
    private static final List<String> BROKER_OPTS = List.of("-Xmx384m", "-XX:MaxDirectMemorySize=192m", "-Dseqbus.max.total.queued.bytes=33554432");

    @TempDir
    Path dir;

    @Test
    void lossAcrossABrokerKillAndRestartIsCountedExactly() throws Exception
    {
        ChildBroker broker = ChildBroker.start(dir, BROKER_OPTS);
        closeables.add(broker);
        final String socket = broker.socket();
        final AtomicLong received = new AtomicLong();
        final AtomicLong told = new AtomicLong();
        final AtomicLong lastSequence = new AtomicLong();
        final ClientOptions subOptions = options(socket).gapHandler((g) -> told.addAndGet(g.count()));
        try (BusClient sub = BusClient.connect(subOptions);
            BusClient pub = BusClient.connect(options(socket)))
        {
            sub.subscribe("crash.>", (m) ->
            {
                received.incrementAndGet();
                lastSequence.set(m.sequence());
            });
            sub.sync(Duration.ofSeconds(5));
            final long publisherId = pub.publisherId();
            final AtomicLong sent = new AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            // About 1,000 messages a second, paced, as a service would publish.
            final Thread publisher = new Thread(() ->
            {
                final byte[] payload = new byte[100];
                while (!stop.get())
                {
                    try
                    {
                        pub.publish("crash.orders", payload);
                        sent.incrementAndGet();
                    }
                    catch (final BusException ex)
                    {
                        // Not sent: not part of the true loss.
                    }
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(1_000));
                }
            }, "steady-publisher");
            publisher.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> received.get() >= 500);

            ProcessHandle.of(broker.pid()).orElseThrow().destroyForcibly();   // SIGKILL: no drain, no goodbye
            await().atMost(Duration.ofSeconds(20)).until(() -> !sub.isConnected() && !pub.isConnected());
            final long sentAtCrash = sent.get();
            broker = ChildBroker.start(dir, BROKER_OPTS);
            closeables.add(broker);
            await().atMost(Duration.ofSeconds(30)).until(() -> sub.isConnected() && pub.isConnected());
            await().atMost(Duration.ofSeconds(30)).until(() -> received.get() >= sentAtCrash + 500);
            stop.set(true);
            publisher.join(10_000);
            pub.sync(Duration.ofSeconds(5));

            final long total = sent.get();
            await().atMost(Duration.ofSeconds(20)).until(() -> lastSequence.get() == total);
            System.out.printf("broker kill -9 and restart: sent %d, received %d, told lost %d%n",
                total, received.get(), told.get());
            assertThat(pub.publisherId()).as("the publisher's id outlives the broker").isEqualTo(publisherId);
            assertThat(told.get()).as("told loss; sent %d, received %d", total, received.get())
                .isEqualTo(total - received.get());
        }
    }

    private static ClientOptions options(final String socket)
    {
        return new ClientOptions()
            .socket(socket)
            .threadMode(ThreadMode.DEDICATED)
            .reconnect(true)
            .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
            .publishTimeout(Duration.ofSeconds(30));
    }
}

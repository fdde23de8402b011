package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ClientStats;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BusClient#poll(Duration)} in ThreadMode.POLL (issue 16), on the socket and on shared memory, with a real
 * broker: a wait far longer than the test's own bound ends with the message that came, or with close; with nothing
 * to read it returns 0 once its (short) wait is over.
 */
class BlockingPollTest
{
    private static final Duration LONG = Duration.ofSeconds(120);
    private static final long BOUND_S = 30;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aMessageEndsTheWait(final boolean sharedMemory) throws Exception
    {
        final String socket = dir.resolve("w.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).shm(true));
            BusClient sub = poller(socket, sharedMemory);
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket)))
        {
            final AtomicInteger received = new AtomicInteger();
            sub.subscribe("w.x", m -> received.incrementAndGet());
            assertThat(sub.poll(Duration.ofMillis(20))).as("nothing came").isZero();
            final CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> sub.poll(LONG));
            pub.publish("w.x", "after a wait");
            pub.sync(Duration.ofSeconds(BOUND_S));
            assertThat(waiting.get(BOUND_S, TimeUnit.SECONDS)).as("work done").isPositive();
            assertThat(received.get()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void closeEndsTheWait(final boolean sharedMemory) throws Exception
    {
        final String socket = dir.resolve("c.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).shm(true)))
        {
            final BusClient sub = poller(socket, sharedMemory);
            final CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> sub.poll(LONG));
            sub.close();
            // Ended (with what it read last, if anything), not still waiting out its two minutes.
            assertThat(waiting.get(BOUND_S, TimeUnit.SECONDS)).isNotNegative();
            assertThat(sub.isClosed()).isTrue();
        }
    }

    private static BusClient poller(final String socket, final boolean sharedMemory)
    {
        final BusClient client = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)
            .sharedMemory(sharedMemory).connectTimeout(Duration.ofSeconds(BOUND_S)));
        // The move to the rings follows WELCOME; a sync reads it.
        client.sync(Duration.ofSeconds(BOUND_S));
        assertThat(client.stats().transport()).isEqualTo(sharedMemory ? ClientStats.SHARED_MEMORY : ClientStats.SOCKET);
        return client;
    }
}

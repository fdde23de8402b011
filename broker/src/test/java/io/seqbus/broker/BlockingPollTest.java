package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ClientStats;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

    /**
     * A wait skips the read right after one that emptied the socket (its poll(2) sees what comes since); poll()
     * without a wait must not: a message that came after the socket was emptied is read by the next poll() of
     * either kind.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aMessageAfterOneThatEmptiedTheSocketIsReadByTheNextPoll(final boolean sharedMemory) throws Exception
    {
        final String socket = dir.resolve("d.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).shm(true));
            BusClient sub = poller(socket, sharedMemory);
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket)))
        {
            final List<String> received = new CopyOnWriteArrayList<>();
            sub.subscribe("d.x", m -> received.add(m.payloadAsString()));
            sub.sync(Duration.ofSeconds(BOUND_S));
            for (int i = 0; i < 3; i++)
            {
                // Read by a wait, which empties the socket...
                pub.publish("d.x", "waited-" + i);
                pub.sync(Duration.ofSeconds(BOUND_S));
                assertThat(sub.poll(LONG)).as("the wait read the message").isPositive();
                // ...then one more, written to the subscriber (the broker's only datagram since) when the poll
                // without a wait comes: that one poll reads it.
                final long written = broker.counters().get(BrokerCounters.DATAGRAMS_WRITTEN);
                pub.publish("d.x", "polled-" + i);
                pub.flush();
                await().atMost(Duration.ofSeconds(BOUND_S))
                    .until(() -> broker.counters().get(BrokerCounters.DATAGRAMS_WRITTEN) > written);
                assertThat(sub.poll()).as("poll() read what came after the socket was emptied").isPositive();
                // And a wait right after a poll that emptied the socket still ends with the next message.
                final CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> sub.poll(LONG));
                pub.publish("d.x", "woken-" + i);
                assertThat(waiting.get(BOUND_S, TimeUnit.SECONDS)).as("work done").isPositive();
            }
            assertThat(received).containsExactly("waited-0", "polled-0", "woken-0", "waited-1", "polled-1",
                "woken-1", "waited-2", "polled-2", "woken-2");
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

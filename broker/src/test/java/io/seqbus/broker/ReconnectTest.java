package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.Gap;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.GapReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker restart: the client reconnects by itself, subscribes again, says a gap may have
 * happened, and receives what is published afterwards.
 */
class ReconnectTest
{
    @TempDir
    Path dir;

    @Test
    void clientReconnectsResubscribesAndReportsTheGap() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Gap> gaps = new ConcurrentLinkedQueue<>();
        final AtomicInteger connects = new AtomicInteger();
        final AtomicInteger disconnects = new AtomicInteger();
        Broker broker = Broker.launch(new BrokerContext().socket(socket));
        final ClientOptions options = new ClientOptions()
            .socket(socket)
            .threadMode(ThreadMode.DEDICATED)
            .reconnect(true)
            .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
            .gapHandler(gaps::add)
            .connectionListener(new ConnectionListener()
            {
                @Override
                public void onConnected(final BusClient client)
                {
                    connects.incrementAndGet();
                }

                @Override
                public void onDisconnected(final BusClient client, final io.seqbus.client.BusException cause)
                {
                    disconnects.incrementAndGet();
                }
            });
        try (BusClient sub = BusClient.connect(options))
        {
            sub.subscribe("r.>", (m) -> got.add(m.payloadAsString()));
            sub.sync(Duration.ofSeconds(5));
            publish(socket, "before");
            await().atMost(Duration.ofSeconds(10)).until(() -> got.contains("before"));

            broker.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> disconnects.get() >= 1);
            broker = Broker.launch(new BrokerContext().socket(socket));
            final Broker restarted = broker;

            await().atMost(Duration.ofSeconds(10)).until(() -> restarted.counters().get(BrokerCounters.SUBSCRIPTIONS) == 1);
            publish(socket, "after");
            await().atMost(Duration.ofSeconds(10)).until(() -> got.contains("after"));
            assertThat(got).containsExactly("before", "after");
            assertThat(gaps).anySatisfy((g) -> assertThat(g.reason()).isEqualTo(GapReason.RECONNECTED));
            assertThat(connects.get()).isGreaterThanOrEqualTo(1);
        }
        finally
        {
            broker.close();
        }
    }

    private static void publish(final String socket, final String payload)
    {
        try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
        {
            pub.publish("r.x", payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            pub.sync(Duration.ofSeconds(5));
        }
    }
}

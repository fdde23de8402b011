package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.GapReason;
import io.seqbus.client.SlowConsumerPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code disconnect} eviction: the subscriber reconnects, and the first message of the publisher after it tells
 * the exact hole, so the loss the subscriber is told (the sum of gap counts) is the true loss.
 */
class CountedLossTest
{
    private static final int QUEUE_BYTES = 256 * 1024;

    @TempDir
    Path dir;

    @Test
    void aDisconnectEvictionIsCountedExactly() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).maxQueueBytes(QUEUE_BYTES)))
        {
            final AtomicLong received = new AtomicLong();
            final AtomicLong told = new AtomicLong();
            final AtomicLong lastSequence = new AtomicLong();
            final ConcurrentLinkedQueue<String> gaps = new ConcurrentLinkedQueue<>();
            final ConcurrentLinkedQueue<long[]> exactGaps = new ConcurrentLinkedQueue<>();
            final AtomicInteger connects = new AtomicInteger();
            final ClientOptions subOptions = new ClientOptions()
                .socket(socket)
                .threadMode(ThreadMode.DEDICATED)
                .reconnect(true)
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
                .errorHandler(new io.seqbus.client.ErrorHandler()
                {
                    public void onError(final io.seqbus.client.BusError error)
                    {
                    }

                    public void onHandlerException(final Throwable ex)
                    {
                    }
                })
                .connectionListener(new ConnectionListener()
                {
                    public void onConnected(final BusClient client)
                    {
                        connects.incrementAndGet();
                    }

                    public void onDisconnected(final BusClient client, final BusException cause)
                    {
                    }
                });
            try (BusClient sub = BusClient.connect(subOptions);
                BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
            {
                sub.subscribe("loss.>", (m) ->
                {
                    // The handler stalls on the first message until the broker has evicted this subscriber.
                    if (received.getAndIncrement() == 0)
                    {
                        await().atMost(Duration.ofSeconds(20))
                            .until(() -> broker.counters().get(BrokerCounters.DISCONNECT_EVICTIONS) == 1);
                    }
                    lastSequence.set(m.sequence());
                },
                    new SubscriptionOptions().policy(SlowConsumerPolicy.DISCONNECT).gapHandler((g) ->
                    {
                        told.addAndGet(g.count());
                        gaps.add(g.toString());
                        if (g.publisherId() != 0)
                        {
                            exactGaps.add(new long[] {g.reason(), g.publisherId(), g.count()});
                        }
                    }));
                sub.sync(Duration.ofSeconds(5));

                final byte[] payload = new byte[1024];
                long sent = 0;
                while (broker.counters().get(BrokerCounters.DISCONNECT_EVICTIONS) == 0)
                {
                    pub.publish("loss.x", payload);
                    sent++;
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> connects.get() == 2);
                sub.sync(Duration.ofSeconds(5));
                // Steady publishing goes on after the reconnect: its first message tells the hole.
                for (int i = 0; i < 100; i++)
                {
                    pub.publish("loss.x", payload);
                    sent++;
                }
                pub.sync(Duration.ofSeconds(5));
                final long total = sent;
                await().atMost(Duration.ofSeconds(20)).until(() -> lastSequence.get() == total);

                assertThat(received.get()).isLessThan(sent);
                assertThat(told.get()).as("gaps %s", gaps).isEqualTo(sent - received.get());
                assertThat(exactGaps).as("gaps %s", gaps).singleElement().satisfies((g) ->
                {
                    assertThat(g[0]).isEqualTo(GapReason.RECONNECTED);
                    assertThat(g[1]).isEqualTo(pub.publisherId());
                    assertThat(g[2]).isPositive();
                });
            }
        }
    }
}

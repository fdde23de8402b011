package io.seqbus.examples.orders;

import io.seqbus.broker.testing.SeqbusBroker;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The consumer in this JVM: work goes to the pool, and stop() finishes what was taken.
 */
class OrderConsumerTest
{
    @RegisterExtension
    final SeqbusBroker broker = new SeqbusBroker();

    @Test
    void stopFinishesEveryOrderItTook() throws Exception
    {
        final Set<Long> done = ConcurrentHashMap.newKeySet();
        final CountDownLatch release = new CountDownLatch(1);
        final OrderConsumer consumer = new OrderConsumer(options(), 2, 100, (json) ->
        {
            awaitQuietly(release);   // held until the test has stopped the bus: work is in flight
            done.add(OrderJson.id(json));
        });
        consumer.start();
        try (BusClient bus = BusClient.connect(options()))
        {
            final OrderPublisher publisher = new OrderPublisher(bus);
            for (int i = 1; i <= 20; i++)
            {
                publisher.created(new Order(i, "eu", "A", 1, 1));
            }
            publisher.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.accepted() == 20);
        assertThat(consumer.processed()).isZero();

        final Thread releaser = new Thread(() ->
        {
            // Let the work go on only once stop() is under way (the pool is shut to new work).
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.workers().isShutdown());
            release.countDown();
        });
        releaser.start();
        assertThat(consumer.stop(Duration.ofSeconds(10))).isTrue();
        releaser.join(TimeUnit.SECONDS.toMillis(10));

        assertThat(done).hasSize(20);
        assertThat(consumer.processed()).isEqualTo(20);
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private ClientOptions options()
    {
        return new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED);
    }
}

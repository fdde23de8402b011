package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import io.seqbus.client.SlowConsumerPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscription's own queue bound, as a service sets it with the client jar: the broker holds
 * that much for it and no more (it was raised to the 4 MiB default whatever was asked).
 */
class SubscriptionQueueBoundTest extends InProcessBrokerTest
{
    @ParameterizedTest(name = "maxQueueBytes {0}")
    @ValueSource(ints = {32 * 1024, 1024 * 1024})
    void theBrokerEvictsAtTheBoundTheSubscriptionAskedFor(final int bound) throws Exception
    {
        start(new BrokerContext());
        final ConcurrentLinkedQueue<BusError> errors = new ConcurrentLinkedQueue<>();
        final CountDownLatch release = new CountDownLatch(1);
        final BusClient sub = open(BusClient.connect(new ClientOptions().socket(socket)
            .threadMode(ThreadMode.DEDICATED).reconnect(false).errorHandler(errors::add)));
        // The handler holds the client's thread, so nothing more is read: the queue at the broker fills.
        sub.subscribe("bound.>", (m) -> awaitQuietly(release),
            new SubscriptionOptions().policy(SlowConsumerPolicy.DISCONNECT).maxQueueBytes(bound));
        sub.sync(Duration.ofSeconds(5));
        final BusClient pub = open(BusClient.connect(new ClientOptions().socket(socket)
            .threadMode(ThreadMode.DEDICATED)));
        final byte[] payload = new byte[1000];
        await().atMost(Duration.ofSeconds(20)).until(() ->
        {
            for (int i = 0; i < 200; i++)
            {
                pub.tryPublish("bound.x", payload);
            }
            return counter(BrokerCounters.DISCONNECT_EVICTIONS) == 1;
        });
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> errors.stream().anyMatch(
            (e) -> e.code() == ErrorCode.SLOW_CONSUMER));
        assertThat(errors).filteredOn((e) -> e.code() == ErrorCode.SLOW_CONSUMER).first()
            .satisfies((e) -> assertThat(e.reason()).contains("its queue reached " + bound + " bytes"));
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}

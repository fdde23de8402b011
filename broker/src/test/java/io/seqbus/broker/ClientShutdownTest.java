package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.PublishResult;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.client.SlowConsumerPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The client's shutdown (drain, close) and its waiting for the broker at start, against a real broker.
 * Kept here rather than in client/src/test: the broker module depends on the client for its tests, so the
 * client's tests cannot launch a broker.
 */
class ClientShutdownTest
{
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Room for a loaded machine over a documented bound; the handlers here would take seconds longer. */
    private static final Duration SLACK = Duration.ofMillis(1500);

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch never = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception
    {
        never.countDown();
        for (final AutoCloseable c : closeables)
        {
            c.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    private void launch() throws Exception
    {
        broker = Broker.launch(new BrokerContext().socket(socket));
    }

    private BusClient client(final ClientOptions options)
    {
        final BusClient client = BusClient.connect(options);
        closeables.add(client);
        return client;
    }

    private ClientOptions options()
    {
        return new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED);
    }

    /** A handler that counts what it started and finished, busy for the given time in each. */
    private static final class Busy
    {
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final AtomicReference<Thread> thread = new AtomicReference<>();

        void handle(final CountDownLatch never, final long millis)
        {
            thread.set(Thread.currentThread());
            started.incrementAndGet();
            try
            {
                never.await(millis, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            finished.incrementAndGet();
        }
    }

    /** A subscriber with a busy handler, and a publisher that has sent {@code count} messages to it. */
    private BusClient subscriberWithQueuedMessages(final Busy busy, final long handlerMillis, final int count,
        final ClientOptions subscriberOptions)
    {
        final BusClient subscriber = client(subscriberOptions);
        subscriber.subscribe("work.>", m -> busy.handle(never, handlerMillis));
        subscriber.sync(WAIT);
        final BusClient publisher = client(options());
        for (int i = 0; i < count; i++)
        {
            publisher.publish("work.x", "job " + i);
        }
        // Every publish was fanned out to the subscriber's queue before anything below.
        publisher.sync(WAIT);
        await().pollInterval(Duration.ofMillis(5)).atMost(WAIT).until(() -> busy.started.get() >= 1);
        return subscriber;
    }

    @Test
    void drainRunsEveryHandlerAlreadyOnItsWayAndReturnsTrueInTime() throws Exception
    {
        socket = dir.resolve("bus.sock").toString();
        launch();
        final Busy busy = new Busy();
        final BusClient subscriber = subscriberWithQueuedMessages(busy, 50, 10, options());

        assertThat(subscriber.drain(Duration.ofSeconds(10))).isTrue();

        assertThat(subscriber.isClosed()).isTrue();
        assertThat(busy.started).hasValue(10);
        assertThat(busy.finished).hasValue(10);
        assertThat(subscriber.unsentAtClose()).isZero();
    }

    @Test
    void drainInPollModeRunsTheQueuedHandlersOnTheDrainingThread() throws Exception
    {
        socket = dir.resolve("bus.sock").toString();
        launch();
        final AtomicInteger handled = new AtomicInteger();
        final AtomicReference<Thread> handlerThread = new AtomicReference<>();
        final BusClient subscriber = client(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL));
        subscriber.subscribe("work.>", m ->
        {
            handlerThread.set(Thread.currentThread());
            handled.incrementAndGet();
        });
        subscriber.sync(WAIT);
        final BusClient publisher = client(options());
        for (int i = 0; i < 10; i++)
        {
            publisher.publish("work.x", "job " + i);
        }
        publisher.sync(WAIT);

        assertThat(subscriber.drain(Duration.ofSeconds(10))).isTrue();

        assertThat(handled).hasValue(10);
        assertThat(handlerThread.get()).isSameAs(Thread.currentThread());
        assertThat(subscriber.isClosed()).isTrue();
    }

    @Test
    void drainReturnsFalseWithinItsBoundWhenAHandlerOutlastsItAndStartsNoOther() throws Exception
    {
        socket = dir.resolve("bus.sock").toString();
        launch();
        final Busy busy = new Busy();
        final BusClient subscriber = subscriberWithQueuedMessages(busy, 3000, 5, options());
        final Duration bound = Duration.ofMillis(300);

        final long startNs = System.nanoTime();
        final CompletableFuture<Boolean> draining = CompletableFuture.supplyAsync(() -> subscriber.drain(bound));
        await().pollInterval(Duration.ofMillis(5)).atMost(bound.plus(SLACK)).until(draining::isDone);
        System.out.println("drain(" + bound.toMillis() + " ms) behind a 3 s handler: returned within " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");

        assertThat(draining.get()).isFalse();
        assertThat(subscriber.isClosed()).isTrue();
        busy.thread.get().join(WAIT.toMillis());
        assertThat(busy.thread.get().isAlive()).isFalse();
        assertThat(busy.started).hasValue(1);
        assertThat(busy.finished).hasValue(1);
    }

    @Test
    void closeBehindTwoSlowHandlersReturnsWithinItsBoundAndStartsNoNewHandler() throws Exception
    {
        socket = dir.resolve("bus.sock").toString();
        launch();
        final Busy busy = new Busy();
        final Duration closeTimeout = Duration.ofMillis(500);
        final BusClient subscriber = subscriberWithQueuedMessages(busy, 3000, 2, options().closeTimeout(closeTimeout));

        final long startNs = System.nanoTime();
        final CompletableFuture<Void> closing = CompletableFuture.runAsync(subscriber::close);
        await().pollInterval(Duration.ofMillis(5)).atMost(closeTimeout.plus(SLACK)).until(closing::isDone);
        System.out.println("close() behind a 3 s handler, closeTimeout " + closeTimeout.toMillis() + " ms: returned within " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");

        busy.thread.get().join(WAIT.toMillis());
        assertThat(busy.thread.get().isAlive()).isFalse();
        assertThat(busy.started).hasValue(1);
    }

    @Test
    void closeWakesAPublisherHeldBackByAFullBrokerAndEveryAcceptedPublishIsDeliveredOrReported() throws Exception
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).maxQueueBytes(128 * 1024)
            .stallTimeoutNs(TimeUnit.SECONDS.toNanos(60)));
        // A BLOCK subscriber stuck in its first handler: the broker stops reading the publisher.
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger received = new AtomicInteger();
        final BusClient subscriber = client(options());
        subscriber.subscribe("s.>", m ->
        {
            if (received.incrementAndGet() == 1)
            {
                try
                {
                    release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }, new SubscriptionOptions().policy(SlowConsumerPolicy.BLOCK));
        subscriber.sync(WAIT);
        final Duration closeTimeout = Duration.ofMillis(300);
        final BusClient publisher = client(options().closeTimeout(closeTimeout).publishTimeout(Duration.ofSeconds(60)));

        // A publisher thread that publishes until it is stopped: it ends up waiting in publish for room.
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread blocked = new Thread(() ->
        {
            try
            {
                while (true)
                {
                    publisher.publish("s.x", new byte[1000]);
                    accepted.incrementAndGet();
                }
            }
            catch (final Throwable ex)
            {
                thrown.set(ex);
            }
        });
        blocked.start();
        await().pollInterval(Duration.ofMillis(5)).atMost(WAIT).until(() -> broker.counters().get(BrokerCounters.PUBLISHER_STALLS) > 0 &&
            blocked.getState() == Thread.State.TIMED_WAITING);
        // tryPublish's OKs count too: the batch may have room between the waiting publisher's tries.
        while (publisher.tryPublish("s.x", new byte[1000]) == PublishResult.OK)
        {
            accepted.incrementAndGet();
        }

        final long startNs = System.nanoTime();
        final CompletableFuture<Void> closing = CompletableFuture.runAsync(publisher::close);
        // Promptly, not after the 60 s publish timeout.
        await().pollInterval(Duration.ofMillis(5)).atMost(closeTimeout.plus(SLACK)).until(() -> !blocked.isAlive() && closing.isDone());
        System.out.println("close() with a publisher blocked by a full broker, closeTimeout " + closeTimeout.toMillis() +
            " ms: publisher woken and close returned within " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) +
            " ms");
        assertThat(thrown.get()).isInstanceOf(BusException.class).hasMessageContaining("closed while it waited");

        // The subscriber reads again. What the publisher wrote before closing arrives; the rest was reported.
        release.countDown();
        final long unsent = publisher.unsentAtClose();
        final long expected = accepted.get() - unsent;
        await().pollInterval(Duration.ofMillis(5)).atMost(WAIT).alias("received of " + accepted.get() + " accepted, " + unsent + " unsent")
            .untilAsserted(() ->
            {
                assertThat(broker.counters().get(BrokerCounters.CONNECTIONS_OPEN)).as("connections").isEqualTo(1);
                assertThat(received.get()).as("received, published %d", broker.counters()
                    .get(BrokerCounters.MESSAGES_PUBLISHED)).isGreaterThanOrEqualTo((int)expected);
            });
        subscriber.sync(WAIT);
        assertThat(received.get()).isEqualTo(expected);
        assertThat(broker.counters().get(BrokerCounters.MESSAGES_PUBLISHED)).isEqualTo(expected);
        System.out.println("accepted " + accepted.get() + ", delivered " + received.get() + ", reported unsent " + unsent);
    }

    @Test
    void aClientStartedBeforeItsBrokerConnectsOnceTheBrokerIsThere() throws Exception
    {
        socket = dir.resolve("bus.sock").toString();
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() ->
            client(options().connectRetry(Duration.ofSeconds(30)).reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50))));
        assertThat(connecting).isNotDone();

        launch();
        final BusClient client = connecting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        // It works as any other client.
        final AtomicInteger received = new AtomicInteger();
        client.subscribe("a.>", m -> received.incrementAndGet());
        client.sync(WAIT);
        client.publish("a.b", "hello");
        await().pollInterval(Duration.ofMillis(5)).atMost(WAIT).until(() -> received.get() == 1);
    }

    @Test
    void aClientWaitingForItsBrokerGivesUpAtTheBoundWithAClearError()
    {
        socket = dir.resolve("bus.sock").toString();
        final Duration bound = Duration.ofMillis(300);

        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() ->
            client(options().connectRetry(bound)));
        await().pollInterval(Duration.ofMillis(5)).atMost(bound.plus(SLACK)).until(connecting::isDone);

        assertThatThrownBy(connecting::join).hasCauseInstanceOf(BusException.class).cause()
            .hasMessageContaining("gave up connecting to the seqbus broker at " + socket)
            .hasMessageContaining("300 ms (connectRetry)")
            .hasMessageContaining("is the broker running?");
    }
}

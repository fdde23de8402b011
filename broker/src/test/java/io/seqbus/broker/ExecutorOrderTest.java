package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ErrorHandler;
import io.seqbus.client.Message;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.Subscription;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.SubscriptionStats;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Handlers off the I/O thread ({@code SubscriptionOptions.executor}, {@code maxPending}) and pull
 * ({@code Subscription.next}), against a real broker. Kept here rather than in client/src/test: the client's
 * tests cannot launch a broker (see {@link ClientShutdownTest}).
 */
class ExecutorOrderTest extends InProcessBrokerTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CHILD_MAIN = "io.seqbus.client.VirtualThreadHandlersMain";

    private final List<ExecutorService> pools = new ArrayList<>();
    private final List<BusError> errors = new CopyOnWriteArrayList<>();
    private final List<Throwable> handlerExceptions = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopPools()
    {
        pools.forEach(ExecutorService::shutdownNow);
    }

    private void launch() throws Exception
    {
        // A long stall timeout: the block tests hold publishers on purpose, on a loaded machine.
        start(new BrokerContext().stallTimeoutNs(TimeUnit.SECONDS.toNanos(120)));
    }

    private ClientOptions options()
    {
        return new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED).errorHandler(new ErrorHandler()
        {
            @Override
            public void onError(final BusError error)
            {
                errors.add(error);
            }

            @Override
            public void onHandlerException(final Throwable throwable, final Subscription subscription,
                final Message message)
            {
                handlerExceptions.add(throwable);
            }
        });
    }

    private BusClient client(final ClientOptions options)
    {
        return open(BusClient.connect(options));
    }

    private ExecutorService pool(final int threads)
    {
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        pools.add(pool);
        return pool;
    }

    /** An executor that holds every task until opened, then runs them (and later ones) on a thread of its own. */
    private final class Gate implements Executor
    {
        private final Queue<Runnable> held = new ConcurrentLinkedQueue<>();
        private volatile Executor target;

        @Override
        public synchronized void execute(final Runnable task)
        {
            if (target == null)
            {
                held.add(task);
            }
            else
            {
                target.execute(task);
            }
        }

        synchronized void open()
        {
            target = pool(1);
            Runnable task;
            while ((task = held.poll()) != null)
            {
                target.execute(task);
            }
        }
    }

    /** Each subscription's payloads: one publisher's counter per topic, so each must come as 1, 2, 3, ... */
    private static final class OrderCheck
    {
        final AtomicInteger handled = new AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final java.util.Map<String, Long> last = new java.util.HashMap<>();
        final java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();

        void onMessage(final Message message)
        {
            if (!running.compareAndSet(false, true))
            {
                violations.add("two handlers at once");
            }
            threads.add(Thread.currentThread());
            final String topic = message.topic();
            final long value = Long.parseLong(message.payloadAsString());
            // No lock: the serial dispatch must make the previous handler's writes visible.
            final long previous = last.getOrDefault(topic, 0L);
            if (value != previous + 1)
            {
                violations.add(topic + ": " + value + " after " + previous);
            }
            last.put(topic, value);
            handled.incrementAndGet();
            running.set(false);
        }
    }

    @Test
    void orderPerSubscriptionHoldsOnEightHandlerThreadsAndNothingIsLostWithRoom() throws Exception
    {
        launch();
        final ExecutorService eight = pool(8);
        // Two subscriptions take the client's default executor, the others name it.
        final BusClient subscriber = client(options().handlerExecutor(eight));
        final BusClient publisher = client(options());
        final int topics = 4;
        final int perTopic = 5_000;
        final List<OrderCheck> checks = new ArrayList<>();
        final List<Subscription> subscriptions = new ArrayList<>();
        for (int s = 0; s < 6; s++)
        {
            final OrderCheck check = new OrderCheck();
            checks.add(check);
            final String pattern = s < topics ? "order." + s : "order.>";
            final SubscriptionOptions subscriptionOptions = new SubscriptionOptions().policy(SlowConsumerPolicy.BLOCK)
                .maxPending(s % 2 == 0 ? 64 : SubscriptionOptions.DEFAULT_MAX_PENDING);
            subscriptions.add(subscriber.subscribe(pattern, check::onMessage,
                s < 4 ? subscriptionOptions.executor(eight) : subscriptionOptions));
        }
        subscriber.sync(WAIT);
        for (int i = 1; i <= perTopic; i++)
        {
            for (int t = 0; t < topics; t++)
            {
                publisher.publish("order." + t, Long.toString(i));
            }
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> checks.stream().mapToInt(c -> c.handled.get()).sum() ==
            topics * perTopic + 2 * topics * perTopic);
        final java.util.Set<Thread> threads = new java.util.HashSet<>();
        for (int s = 0; s < checks.size(); s++)
        {
            final OrderCheck check = checks.get(s);
            assertThat(check.violations).as("subscription %d", s).isEmpty();
            assertThat(check.handled.get()).isEqualTo(s < topics ? perTopic : topics * perTopic);
            final SubscriptionStats stats = subscriptions.get(s).stats();
            assertThat(stats.delivered()).isEqualTo(check.handled.get());
            assertThat(stats.handlerDrops()).isZero();
            assertThat(stats.unhandled()).isZero();
            assertThat(stats.lost()).isZero();
            assertThat(subscriptions.get(s).pending()).isZero();
            assertThat(check.threads).allMatch(t -> !t.getName().startsWith("seqbus-client"));
            threads.addAll(check.threads);
        }
        assertThat(threads).as("handler threads of the pool of 8").hasSizeBetween(2, 8);
        assertThat(handlerExceptions).isEmpty();
    }

    /** The client's queue is full at maxPending: the tasks are held, so exactly what exceeds it is dropped. */
    @Test
    void dropNewestKeepsTheFirstAndCountsTheRestExactly() throws Exception
    {
        final List<Long> handled = overflow(SlowConsumerPolicy.DROP_NEWEST, 10, 50, 40);
        assertThat(handled).containsExactlyElementsOf(range(1, 10));
    }

    @Test
    void dropOldestKeepsTheLastAndCountsTheRestExactly() throws Exception
    {
        final List<Long> handled = overflow(SlowConsumerPolicy.DROP_OLDEST, 10, 50, 40);
        assertThat(handled).containsExactlyElementsOf(range(41, 50));
    }

    private List<Long> overflow(
        final SlowConsumerPolicy policy, final int maxPending, final int count, final long drops) throws Exception
    {
        launch();
        final Gate gate = new Gate();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final List<Long> handled = new CopyOnWriteArrayList<>();
        final Subscription subscription = subscriber.subscribe("over", m -> handled.add(Long.parseLong(
            m.payloadAsString())), new SubscriptionOptions().policy(policy).maxPending(maxPending).executor(gate));
        subscriber.sync(WAIT);
        for (int i = 1; i <= count; i++)
        {
            publisher.publish("over", Long.toString(i));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> subscription.stats().delivered() == count);
        assertThat(subscription.pending()).isEqualTo(maxPending);
        assertThat(subscription.stats().handlerDrops()).isEqualTo(drops);
        assertThat(subscriber.stats().handlerDrops()).isEqualTo(drops);
        assertThat(subscription.stats().dropped()).as("the broker dropped nothing").isZero();
        gate.open();
        await().atMost(WAIT).until(() -> handled.size() == maxPending);
        assertThat(subscription.pending()).isZero();
        assertThat(subscription.stats().handlerDrops()).isEqualTo(drops);
        return handled;
    }

    private static List<Long> range(final long from, final long to)
    {
        final List<Long> values = new ArrayList<>();
        for (long v = from; v <= to; v++)
        {
            values.add(v);
        }
        return values;
    }

    /**
     * Block: the I/O thread waits for room, the broker's queue for the client fills and the publisher is held
     * back; when the handler goes on, everything arrives in order and nothing was dropped anywhere.
     */
    @Test
    void blockHoldsThePublisherBackAndLosesNothing() throws Exception
    {
        launch();
        final Gate gate = new Gate();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final OrderCheck check = new OrderCheck();
        final Subscription subscription = subscriber.subscribe("held", check::onMessage, new SubscriptionOptions()
            .policy(SlowConsumerPolicy.BLOCK).maxQueueBytes(4096).maxPending(10).executor(gate));
        subscriber.sync(WAIT);
        final int count = 20_000;
        final long stallsBefore = counter(BrokerCounters.PUBLISHER_STALLS);
        final CompletableFuture<Void> publishing = CompletableFuture.runAsync(() ->
        {
            for (int i = 1; i <= count; i++)
            {
                publisher.publish("held", Long.toString(i));
            }
            publisher.flush();
        });
        // The queue is full and the I/O thread waits with the 11th message; the broker holds the publisher.
        await().atMost(WAIT).until(() -> subscription.pending() == 10);
        await().atMost(WAIT).until(() -> counter(BrokerCounters.PUBLISHER_STALLS) > stallsBefore);
        // (The publisher's own calls may have returned: what the broker has not read waits in its socket.)
        assertThat(subscription.pending()).isEqualTo(10);
        gate.open();
        publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> check.handled.get() == count);
        assertThat(check.violations).isEmpty();
        assertThat(subscription.stats().delivered()).isEqualTo(count);
        assertThat(subscription.stats().handlerDrops()).isZero();
        assertThat(subscription.stats().lost()).isZero();
    }

    /** Close while the I/O thread waits for room under block: it wakes, close returns, the queued are counted. */
    @Test
    void closeWakesAnIoThreadWaitingForRoom() throws Exception
    {
        launch();
        final Gate gate = new Gate();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final Subscription subscription = subscriber.subscribe("held", m -> { }, new SubscriptionOptions()
            .policy(SlowConsumerPolicy.BLOCK).maxPending(5).executor(gate));
        subscriber.sync(WAIT);
        for (int i = 1; i <= 20; i++)
        {
            publisher.publish("held", Long.toString(i));
        }
        publisher.flush();
        // Full: the I/O thread waits with the 6th message (a DELIVER_RUN counts its delivered at its end).
        await().atMost(WAIT).until(() -> subscription.pending() == 5);
        CompletableFuture.runAsync(subscriber::close).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // The 5 queued and the 6th the woken I/O thread held: delivered = handled + drops + unhandled.
        assertThat(subscription.stats().unhandled()).isEqualTo(6);
        assertThat(subscription.stats().delivered()).isEqualTo(6);
        assertThat(subscriber.stats().unhandled()).isEqualTo(6);
        gate.open();
        assertThat(subscription.pending()).isZero();
    }

    /** Closing the subscription stops the drain after the running handler; what was queued is counted. */
    @Test
    void closeStopsAfterTheRunningHandlerAndCountsTheQueued() throws Exception
    {
        launch();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final CountDownLatch inHandler = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger handled = new AtomicInteger();
        final Subscription subscription = subscriber.subscribe("stop", m ->
        {
            inHandler.countDown();
            try
            {
                release.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            handled.incrementAndGet();
        }, new SubscriptionOptions().policy(SlowConsumerPolicy.BLOCK).executor(pool(2)));
        subscriber.sync(WAIT);
        for (int i = 1; i <= 21; i++)
        {
            publisher.publish("stop", Long.toString(i));
        }
        publisher.flush();
        assertThat(inHandler.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).until(() -> subscription.stats().delivered() == 21);
        subscription.close();
        release.countDown();
        await().atMost(WAIT).until(() -> handled.get() == 1);
        assertThat(subscription.stats().unhandled()).isEqualTo(20);
        // Nothing else starts: a sync round trip later, still one.
        subscriber.sync(WAIT);
        assertThat(handled.get()).isEqualTo(1);
        assertThat(subscription.pending()).isZero();
    }

    /** drain() lets the handlers on executors finish what was queued before it closes. */
    @Test
    void drainWaitsForTheQueuedToBeHandled() throws Exception
    {
        launch();
        final Gate gate = new Gate();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final AtomicInteger handled = new AtomicInteger();
        final Subscription subscription = subscriber.subscribe("drain", m -> handled.incrementAndGet(),
            new SubscriptionOptions().executor(gate));
        subscriber.sync(WAIT);
        for (int i = 1; i <= 200; i++)
        {
            publisher.publish("drain", Integer.toString(i));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> subscription.stats().delivered() == 200);
        final long open = counter(BrokerCounters.CONNECTIONS_OPEN);
        final CompletableFuture<Boolean> draining = CompletableFuture.supplyAsync(() -> subscriber.drain(WAIT));
        // Unsubscribed at the broker; the client stays connected while its queue waits for the handler.
        await().atMost(WAIT).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 0);
        assertThat(draining).isNotDone();
        assertThat(counter(BrokerCounters.CONNECTIONS_OPEN)).isEqualTo(open);
        gate.open();
        assertThat(draining.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(handled.get()).isEqualTo(200);
        assertThat(subscription.stats().unhandled()).isZero();
    }

    @Test
    void disconnectClosesTheSubscriptionWithAnError() throws Exception
    {
        launch();
        final Gate gate = new Gate();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final Subscription subscription = subscriber.subscribe("cut", m -> { }, new SubscriptionOptions()
            .policy(SlowConsumerPolicy.DISCONNECT).maxPending(5).executor(gate));
        subscriber.sync(WAIT);
        for (int i = 1; i <= 20; i++)
        {
            publisher.publish("cut", Long.toString(i));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> !errors.isEmpty());
        final BusError error = errors.get(0);
        assertThat(error.ref()).isEqualTo(subscription.id());
        assertThat(error.reason()).contains("handler queue of 5 messages was full");
        assertThat(subscription.isClosed()).isTrue();
        assertThat(subscription.error()).isEqualTo(error);
        assertThat(subscription.stats().handlerDrops()).isEqualTo(1);
        assertThat(subscription.stats().unhandled()).isEqualTo(5);
        assertThat(subscription.stats().delivered()).isEqualTo(6);
        assertThat(subscriber.subscriptions()).isEmpty();
    }

    @Test
    void pullReturnsInOrderAndTimesOut() throws Exception
    {
        launch();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final Subscription pulled = subscriber.subscribe("jobs.>", SubscriptionOptions.pull());
        subscriber.sync(WAIT);
        assertThat(pulled.next(Duration.ofMillis(20))).as("nothing published yet").isNull();
        for (int i = 1; i <= 500; i++)
        {
            publisher.publish("jobs." + (i % 3), Integer.toString(i));
        }
        publisher.flush();
        final List<Message> kept = new ArrayList<>();
        for (int i = 1; i <= 500; i++)
        {
            final Message message = pulled.next(WAIT);
            assertThat(message).isNotNull();
            assertThat(message.payloadAsString()).isEqualTo(Integer.toString(i));
            kept.add(message);
        }
        // The copies are the application's: still intact after later reads.
        assertThat(kept.get(0).payloadAsString()).isEqualTo("1");
        assertThat(kept.get(0).topic()).isEqualTo("jobs.1");
        assertThat(kept.get(0).payloadBuffer().remaining()).isEqualTo(1);
        assertThat(pulled.next(Duration.ofMillis(20))).isNull();
        assertThat(pulled.stats().delivered()).isEqualTo(500);
        assertThat(pulled.stats().handlerDrops()).isZero();
        // A waiting next() ends with a clear exception when the subscription is closed.
        final CompletableFuture<Message> waiting = CompletableFuture.supplyAsync(() -> pulled.next(WAIT));
        await().atMost(WAIT).until(() -> true);
        pulled.close();
        assertThatThrownBy(() -> waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS))
            .hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> pulled.next(Duration.ZERO)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
        assertThatThrownBy(() -> subscriber.subscribe("x", m -> { }, SubscriptionOptions.pull()))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pulledCopiesKeepTheirHeaders() throws Exception
    {
        launch();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final Subscription pulled = subscriber.subscribe("traced.>", SubscriptionOptions.pull());
        subscriber.sync(WAIT);
        publisher.publish("traced.a", "with", io.seqbus.client.Headers.of("traceparent", "00-abc-01", "k", "v"));
        publisher.publish("traced.a", "without");
        publisher.flush();
        final Message with = pulled.next(WAIT);
        final Message without = pulled.next(WAIT);
        assertThat(with.payloadAsString()).isEqualTo("with");
        assertThat(with.headers().get("traceparent")).isEqualTo("00-abc-01");
        assertThat(with.headers().get("k")).isEqualTo("v");
        assertThat(with.headers().size()).isEqualTo(2);
        assertThat(without.payloadAsString()).isEqualTo("without");
        assertThat(without.hasHeaders()).isFalse();
        // Still the copy's own after the next reads.
        assertThat(with.topic()).isEqualTo("traced.a");
        assertThat(with.headers().get("traceparent")).isEqualTo("00-abc-01");
    }

    @Test
    void pullOverflowAndCloseAreCounted() throws Exception
    {
        launch();
        final BusClient subscriber = client(options());
        final BusClient publisher = client(options());
        final Subscription pulled = subscriber.subscribe("jobs",
            SubscriptionOptions.pull().maxPending(8).policy(SlowConsumerPolicy.DROP_NEWEST));
        subscriber.sync(WAIT);
        for (int i = 1; i <= 30; i++)
        {
            publisher.publish("jobs", Integer.toString(i));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> pulled.stats().delivered() == 30);
        assertThat(pulled.stats().handlerDrops()).isEqualTo(22);
        assertThat(pulled.next(WAIT).payloadAsString()).isEqualTo("1");
        subscriber.close();
        assertThat(pulled.stats().unhandled()).isEqualTo(7);
        assertThatThrownBy(() -> pulled.next(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
    }

    /** A pull subscription the broker refuses ends its next() with the refusal. */
    @Test
    void refusedPullSubscriptionEndsNext() throws Exception
    {
        start(new BrokerContext().maxSubscriptionsPerConnection(1));
        final BusClient subscriber = client(options());
        final Subscription first = subscriber.subscribe("a", SubscriptionOptions.pull());
        final Subscription refused = subscriber.subscribe("b", SubscriptionOptions.pull());
        subscriber.sync(WAIT);
        assertThat(refused.error()).isNotNull();
        assertThat(first.error()).isNull();
        assertThatThrownBy(() -> refused.next(Duration.ZERO)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("refused");
        assertThat(first.next(Duration.ZERO)).isNull();
    }

    /** Virtual threads as the executor: a child JVM on Java 25 (the build targets 17). */
    @Test
    void virtualThreadsAsExecutorOnJava25() throws Exception
    {
        final Path java = PlainJvmClientTest.JAVA_25.resolve("bin/java");
        assertThat(Files.isExecutable(java))
            .as("this test needs a JDK 21+ at %s (-Dseqbus.test.java25 says where)", PlainJvmClientTest.JAVA_25)
            .isTrue();
        launch();
        final Path stderrFile = dir.resolve("child-stderr.txt");
        final List<String> command = List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
            PlainJvmClientTest.clientClassPath(), CHILD_MAIN, socket);
        final Process child = new ProcessBuilder(command).redirectError(stderrFile.toFile()).start();
        final List<String> lines = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = out.readLine()) != null)
            {
                lines.add(line);
            }
            final boolean exited = child.waitFor(120, TimeUnit.SECONDS);
            final String stderr = Files.readString(stderrFile);
            assertThat(exited).as("child ran too long; stdout %s stderr %s", lines, stderr).isTrue();
            assertThat(child.exitValue()).as("stdout %s, stderr:%n%s", lines, stderr).isZero();
            assertThat(lines).containsExactly("VIRTUAL true", "ORDER ok 8000", "PULL ok 8000", "DONE");
        }
        finally
        {
            child.destroyForcibly();
        }
    }
}

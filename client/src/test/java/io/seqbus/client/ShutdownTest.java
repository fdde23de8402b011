package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * close() against a broker played by the test: bounded behind slow handlers, no handler started after it
 * began, blocked publishers woken with "closed", accepted publishes sent or reported.
 */
class ShutdownTest extends ScriptedBrokerTest
{
    private static final Duration CLOSE_TIMEOUT = Duration.ofMillis(300);
    /** Longer than any wait here: a call that waits it out has not been woken. */
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(60);

    private final Queue<BusError> errors = new ConcurrentLinkedQueue<>();

    private void connect() throws Exception
    {
        connect(CLOSE_TIMEOUT);
    }

    private void connect(final Duration closeTimeout) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions()
            .socket(broker.socket())
            .clientName("shutdown")
            .publishTimeout(PUBLISH_TIMEOUT)
            .closeTimeout(closeTimeout)
            .errorHandler(errors::add);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 65536, 7).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** tryPublish until the broker, which does not read, holds the client back. */
    private int fillUntilBackPressured()
    {
        int accepted = 0;
        while (client.tryPublish("a.b", new byte[1000]) == PublishResult.OK)
        {
            accepted++;
        }
        return accepted;
    }

    @Test
    void closeIsBoundedBehindSlowHandlersAndStartsNoHandlerForAMessageAlreadyRead() throws Exception
    {
        connect();
        final AtomicInteger started = new AtomicInteger();
        final CountDownLatch never = new CountDownLatch(1);
        final AtomicReference<Thread> handlerThread = new AtomicReference<>();
        final Subscription subscription = client.subscribe("s.>", m ->
        {
            handlerThread.set(Thread.currentThread());
            started.incrementAndGet();
            try
            {
                never.await(3, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        });
        peer.next(FrameType.SUBSCRIBE);
        // Two 3 s handlers' deliveries in one datagram: the second is read before close() is called.
        peer.deliver(1, 1, "s.x", "one").deliver(1, 2, "s.x", "two").send();
        await().atMost(ScriptedBroker.WAIT).until(() -> started.get() == 1);

        final CompletableFuture<Void> closing = CompletableFuture.runAsync(client::close);
        // Its documented bound, closeTimeout, with room for a loaded machine; 3 s handlers would take 6.
        await().atMost(CLOSE_TIMEOUT.plusMillis(1500)).until(closing::isDone);
        assertThat(client.isClosed()).isTrue();

        // The running handler returns on its own; then the client's thread ends without starting the other.
        handlerThread.get().join(TimeUnit.SECONDS.toMillis(10));
        assertThat(handlerThread.get().isAlive()).isFalse();
        assertThat(started).hasValue(1);
        assertThat(subscription.isClosed()).isFalse();
    }

    @Test
    void aHandlerThatReturnsWithinTheBoundIsWaitedForButNoOtherStarts() throws Exception
    {
        connect(Duration.ofSeconds(30));
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        client.subscribe("s.>", m ->
        {
            started.incrementAndGet();
            try
            {
                release.await(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            finished.incrementAndGet();
        });
        peer.next(FrameType.SUBSCRIBE);
        peer.deliver(1, 1, "s.x", "one").deliver(1, 2, "s.x", "two").send();
        await().atMost(ScriptedBroker.WAIT).until(() -> started.get() == 1);

        final CompletableFuture<Void> closing = CompletableFuture.runAsync(client::close);
        await().atMost(ScriptedBroker.WAIT).until(client::isClosing);
        release.countDown();
        closing.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);

        // close() waited for the running handler (well within its bound) and none started after it began.
        assertThat(finished).hasValue(1);
        assertThat(started).hasValue(1);
    }

    @Test
    void closeWakesABlockedPublisherWithTheClosedError() throws Exception
    {
        connect();
        fillUntilBackPressured();
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread publisher = new Thread(() ->
        {
            try
            {
                client.publish("a.b", new byte[1000]);
            }
            catch (final Throwable ex)
            {
                thrown.set(ex);
            }
        });
        publisher.start();
        await().atMost(ScriptedBroker.WAIT).until(() -> publisher.getState() == Thread.State.TIMED_WAITING);

        final CompletableFuture<Void> closing = CompletableFuture.runAsync(client::close);
        // Promptly: well within the publish timeout (60 s) that it would otherwise wait out.
        await().atMost(CLOSE_TIMEOUT.plusMillis(1500)).until(() -> !publisher.isAlive() && closing.isDone());
        assertThat(thrown.get()).isInstanceOf(BusException.class).hasMessageContaining("closed while it waited")
            .hasMessageContaining(broker.socket());
    }

    @Test
    void publishesAcceptedByTryPublishAreSentOrReportedAtClose() throws Exception
    {
        connect();
        final int accepted = fillUntilBackPressured();

        client.close();

        // Everything the client wrote before closing is still readable; the rest was counted.
        final AtomicInteger received = new AtomicInteger();
        int frames;
        while ((frames = peer.readPublishes(first -> received.incrementAndGet())) > 0)
        {
            assertThat(frames).isPositive();
        }
        assertThat(client.unsentAtClose()).isPositive();
        assertThat(received.get() + client.unsentAtClose()).isEqualTo(accepted);
        assertThat(errors).hasSize(1);
        assertThat(errors.peek().reason()).startsWith(client.unsentAtClose() + " accepted publishes were not sent");
    }
}

package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.PublishFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The client's side of a refused publish, against a scripted broker: which ERRORs name a topic, one report
 * per refusal, the refusal forgotten on reconnect, and no allocation while one is cached.
 */
class PublishRefusalClientTest extends ScriptedBrokerTest
{
    private static final String REFUSAL = "publish 'audit.x' refused: uid 0 gid 0 may not publish there (...)";

    private final Queue<BusError> errors = new ConcurrentLinkedQueue<>();

    @Test
    void onlyANonFatalAccessDeniedWithoutRefNamesARefusedTopic()
    {
        assertThat(PublishRefusals.topicOf(ErrorCode.ACCESS_DENIED, false, 0, REFUSAL)).isEqualTo("audit.x");
        // A topic may hold quotes and colons, never a space: the first "' " ends it.
        assertThat(PublishRefusals.topicOf(ErrorCode.ACCESS_DENIED, false, 0, "publish 'a'b:c.d' refused: x"))
            .isEqualTo("a'b:c.d");
        assertThat(PublishRefusals.topicOf(ErrorCode.ACCESS_DENIED, false, 7, REFUSAL)).isNull();
        assertThat(PublishRefusals.topicOf(ErrorCode.PAYLOAD_TOO_LARGE, false, 0, REFUSAL)).isNull();
        assertThat(PublishRefusals.topicOf(ErrorCode.ACCESS_DENIED, true, 0, REFUSAL)).isNull();
        assertThat(PublishRefusals.topicOf(ErrorCode.ACCESS_DENIED, false, 0, "uid 0 may not publish")).isNull();
        assertThat(PublishRefusals.topicOf(ErrorCode.ACCESS_DENIED, false, 0, "publish '' refused")).isNull();
    }

    @Test
    void aRefusalIsReportedOnceCountsWhatFollowsAndIsForgottenOnReconnect() throws Exception
    {
        connect();
        assertThat(client.tryPublish("audit.x", "1")).isEqualTo(PublishResult.OK);
        peer.next(FrameType.PUBLISH);
        // The broker refuses it, and a second one that was already on its way.
        peer.error(ErrorCode.ACCESS_DENIED, 0, REFUSAL).error(ErrorCode.ACCESS_DENIED, 0, REFUSAL).send();
        within().until(() -> client.poll() >= 0 && client.refusal("audit.x") != null &&
            client.refusal("audit.x").count() == 2);
        assertThat(errors).hasSize(1);
        assertThat(errors.peek().topic()).isEqualTo("audit.x");
        assertThat(client.tryPublish("audit.x", "2")).isEqualTo(PublishResult.DENIED);
        assertThat(errors.peek().count()).isEqualTo(3);
        assertThat(errors.peek().toString()).contains("topic=audit.x", "count=3", REFUSAL);

        peer.close();
        within().until(() -> client.poll() >= 0 && !client.isConnected());
        final CompletableFuture<Void> reconnected = CompletableFuture.runAsync(() ->
            within().until(() -> client.poll() >= 0 && client.isConnected()));
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 2).send();
        reconnected.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(client.refusal("audit.x")).isNull();
        assertThat(client.tryPublish("audit.x", "3")).isEqualTo(PublishResult.OK);
        final UnsafeBuffer frame = peer.next(FrameType.PUBLISH).buffer();
        final PublishFrame publish = new PublishFrame();
        publish.wrap(frame, 0);
        assertThat(publish.topic()).isEqualTo("audit.x");
    }

    @Test
    void afterItsLifetimeOnePublishAsksTheBrokerAgainAndItsPongAloneEndsTheRefusal() throws Exception
    {
        connect(Duration.ofMillis(500));
        client.tryPublish("audit.x", "1");
        peer.next(FrameType.PUBLISH);
        peer.error(ErrorCode.ACCESS_DENIED, 0, REFUSAL).send();
        within().until(() -> client.poll() >= 0 && client.refusal("audit.x") != null);

        // Refused again: the ERROR comes before the PONG, the refusal is renewed and nobody is told.
        within().until(() -> client.tryPublish("audit.x", "probe") == PublishResult.OK);
        assertThat(client.tryPublish("audit.x", "while the probe is out")).isEqualTo(PublishResult.DENIED);
        final long refusedSoFar = errors.peek().count();
        peer.next(FrameType.PUBLISH);
        long token = pingToken(peer.next(FrameType.PING));
        peer.error(ErrorCode.ACCESS_DENIED, 0, REFUSAL).ping(FrameType.PONG, token).send();
        within().until(() -> client.poll() >= 0 && errors.peek().count() == refusedSoFar + 1);
        assertThat(client.tryPublish("audit.x", "renewed")).isEqualTo(PublishResult.DENIED);
        assertThat(errors).hasSize(1);

        // Taken (a reload allowed it): the PONG alone ends the refusal.
        within().until(() -> client.tryPublish("audit.x", "probe") == PublishResult.OK);
        peer.next(FrameType.PUBLISH);
        token = pingToken(peer.next(FrameType.PING));
        peer.ping(FrameType.PONG, token).send();
        within().until(() -> client.poll() >= 0 && client.refusal("audit.x") == null);
        assertThat(client.tryPublish("audit.x", "allowed")).isEqualTo(PublishResult.OK);
        assertThat(errors).hasSize(1);
    }

    @Test
    void publishesAllocateNothingWhileARefusalIsCached() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
        connect();
        client.tryPublish("audit.x", "1");
        peer.next(FrameType.PUBLISH);
        peer.error(ErrorCode.ACCESS_DENIED, 0, REFUSAL).send();
        within().until(() -> client.poll() >= 0 && client.refusal("audit.x") != null);
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        // The broker's side reads on its own thread, so the socket never fills; its allocation is its own.
        final AtomicBoolean draining = new AtomicBoolean(true);
        final Thread drainer = new Thread(() ->
        {
            try
            {
                while (draining.get())
                {
                    peer.discard();
                    Thread.onSpinWait();
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        });
        drainer.start();
        try
        {
            run(payload, 20_000);
            final long threadId = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(threadId);
            run(payload, 10_000);
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            // Per message would be at least 16 bytes a publish, 320,000 in all.
            assertThat(allocated).as("bytes allocated by 10,000 refused and 10,000 allowed publishes")
                .isLessThan(20_000);
        }
        finally
        {
            draining.set(false);
            drainer.join(ScriptedBroker.WAIT.toMillis());
        }
    }

    private void run(final UnsafeBuffer payload, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (client.tryPublish("audit.x", payload, 0, 64) != PublishResult.DENIED)
            {
                throw new AssertionError("not denied");
            }
            while (client.tryPublish("orders.x", payload, 0, 64) != PublishResult.OK)
            {
                Thread.onSpinWait();
            }
        }
    }

    private static long pingToken(final ScriptedBroker.Frame frame)
    {
        final PingFrame ping = new PingFrame();
        ping.wrap(frame.buffer(), 0);
        return ping.token();
    }

    private void connect() throws Exception
    {
        connect(Duration.ofMinutes(1));
    }

    private void connect(final Duration refusalTtl) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).refusalTtl(refusalTtl)
            .errorHandler(errors::add);
        connectWith(options);
    }
}

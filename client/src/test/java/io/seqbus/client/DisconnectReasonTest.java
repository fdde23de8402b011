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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Why the connection ended reaches the service: an eviction as SLOW_CONSUMER even when the broker closed with
 * frames of ours unread (Linux then reports ECONNRESET before the ERROR still queued), a broker gone without
 * a word as a reset.
 */
class DisconnectReasonTest extends ScriptedBrokerTest
{
    private static final String EVICTION = "slow consumer: its queue reached 32768 bytes (disconnect policy)";

    private final Queue<BusException> disconnects = new ConcurrentLinkedQueue<>();
    private final Queue<BusError> errors = new ConcurrentLinkedQueue<>();

    @Test
    void anEvictionWithOurFramesUnreadIsReportedAsSlowConsumerNotAsAReset() throws Exception
    {
        connect();
        // The broker never reads this SUBSCRIBE: closing with it unread makes the kernel report ECONNRESET
        // to the client before the ERROR queued ahead of the close.
        client.subscribe("orders.>", message -> { });
        client.tryPublish("orders.eu.created", "{}");
        client.flush();
        peer.error(ErrorCode.SLOW_CONSUMER, 0, EVICTION).send();
        peer.close();
        peer = null;
        within().until(() -> client.poll() >= 0 && !disconnects.isEmpty());

        final BusException cause = disconnects.peek();
        assertThat(cause.code()).as(cause.getMessage()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(cause.isReset()).isFalse();
        assertThat(cause.getMessage()).contains("SLOW_CONSUMER", EVICTION);
        assertThat(errors).extracting(BusError::code).containsExactly(ErrorCode.SLOW_CONSUMER);
    }

    @Test
    void anEvictionSeenFirstByAFailedPublishIsStillSlowConsumer() throws Exception
    {
        connect();
        client.subscribe("orders.>", message -> { });
        peer.error(ErrorCode.SLOW_CONSUMER, 0, EVICTION).send();
        peer.close();
        peer = null;
        // A publisher writes into the closed socket (full datagrams go out at once) before the polling side
        // reads anything.
        final byte[] payload = new byte[8192];
        for (int i = 0; i < 64; i++)
        {
            client.tryPublish("orders.eu.created", payload);
        }
        within().until(() -> client.poll() >= 0 && !disconnects.isEmpty());

        assertThat(disconnects.peek().code()).as(disconnects.peek().getMessage()).isEqualTo(ErrorCode.SLOW_CONSUMER);
    }

    @Test
    void aBrokerGoneWithoutAWordIsAReset() throws Exception
    {
        connect();
        peer.close();
        peer = null;
        within().until(() -> client.poll() >= 0 && !disconnects.isEmpty());

        final BusException cause = disconnects.peek();
        assertThat(cause.isReset()).as(cause.getMessage()).isTrue();
        assertThat(cause.code()).isZero();
        assertThat(cause.getMessage()).contains(broker.socket(), "without an ERROR");
        assertThat(errors).isEmpty();
    }

    @Test
    void aBrokerShuttingDownIsNotAReset() throws Exception
    {
        connect();
        client.subscribe("orders.>", message -> { });
        peer.error(ErrorCode.SHUTTING_DOWN, 0, "the broker is shutting down").send();
        peer.close();
        peer = null;
        within().until(() -> client.poll() >= 0 && !disconnects.isEmpty());

        assertThat(disconnects.peek().isReset()).isFalse();
        assertThat(disconnects.peek().code()).isEqualTo(ErrorCode.SHUTTING_DOWN);
    }

    private void connect() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)).errorHandler(errors::add)
            .connectionListener(new ConnectionListener()
            {
                public void onDisconnected(final BusClient client, final BusException cause)
                {
                    disconnects.add(cause);
                }
            });
        connectWith(options);
    }
}

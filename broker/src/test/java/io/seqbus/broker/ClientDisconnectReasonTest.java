package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import io.seqbus.client.SlowConsumerPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Against a real broker: a subscriber evicted while its handler is busy hears SLOW_CONSUMER, not "the broker
 * closed the connection", even when it wrote to the broker after the eviction; a broker that shuts down says
 * so and is not a reset; one killed with SIGKILL is a reset.
 */
class ClientDisconnectReasonTest
{
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Queue<BusException> disconnects = new ConcurrentLinkedQueue<>();
    private Broker broker;
    private BusClient subscriber;

    @AfterEach
    void stop()
    {
        if (subscriber != null)
        {
            subscriber.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void anEvictionDuringABusyHandlerReachesTheServiceAsSlowConsumer() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).maxQueueBytes(128 * 1024));
        final CountDownLatch release = new CountDownLatch(1);
        subscriber = BusClient.connect(options(socket).reconnect(false));
        subscriber.subscribe("c.>", message ->
        {
            try
            {
                release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, new SubscriptionOptions().policy(SlowConsumerPolicy.DISCONNECT));
        subscriber.sync(Duration.ofSeconds(5));

        try (BusClient publisher = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
        {
            final byte[] payload = new byte[1000];
            while (broker.counters().get(BrokerCounters.DISCONNECT_EVICTIONS) == 0)
            {
                publisher.publish("c.x", payload);
                publisher.flush();
            }
        }
        // Written after the eviction: unread by the broker (a reset) or refused by the closed socket.
        for (int i = 0; i < 8; i++)
        {
            subscriber.tryPublish("d.x", new byte[1000]);
        }
        release.countDown();
        await().atMost(WAIT).until(() -> !disconnects.isEmpty());

        final BusException cause = disconnects.peek();
        assertThat(cause.code()).as(cause.getMessage()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(cause.isReset()).isFalse();
    }

    @Test
    void aBrokerShuttingDownIsNotAReset() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket));
        subscriber = BusClient.connect(options(socket).reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)));
        broker.close();
        broker = null;
        await().atMost(WAIT).until(() -> !disconnects.isEmpty());

        assertThat(disconnects.peek().code()).as(disconnects.peek().getMessage()).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThat(disconnects.peek().isReset()).isFalse();
    }

    @Test
    void aBrokerKilledWithSigkillIsAReset() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(argument -> argument.startsWith("--add-") || argument.startsWith("--enable-native-access"))
            .forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KilledBroker.class.getName(), socket));
        final Process killed = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try
        {
            final BufferedReader out = new BufferedReader(
                new InputStreamReader(killed.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("ready");
            subscriber = BusClient.connect(options(socket).reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)));
            killed.destroyForcibly();
            assertThat(killed.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            await().atMost(WAIT).until(() -> !disconnects.isEmpty());
        }
        finally
        {
            killed.destroyForcibly();
        }
        final BusException cause = disconnects.peek();
        assertThat(cause.isReset()).as(cause.getMessage()).isTrue();
        assertThat(cause.code()).isZero();
        assertThat(cause.getMessage()).contains(socket, "without an ERROR");
    }

    /** A broker in its own JVM, for a test to kill with SIGKILL. */
    static final class KilledBroker
    {
        public static void main(final String[] args) throws Exception
        {
            Broker.launch(new BrokerContext().socket(args[0]));
            System.out.println("ready");
            System.out.flush();
            // Serves until the test kills this JVM with SIGKILL.
            new java.util.concurrent.CountDownLatch(1).await();
        }
    }

    private ClientOptions options(final String socket)
    {
        return new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED).errorHandler(error -> { })
            .connectionListener(new ConnectionListener()
            {
                public void onDisconnected(final BusClient client, final BusException cause)
                {
                    disconnects.add(cause);
                }
            });
    }
}

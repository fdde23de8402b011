package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Frame;
import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.SubscribeFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client against a broker from before HELLO sessions (5b82c17 and older): it connects without a session,
 * says once what that costs, and keeps to it on later reconnects.
 */
class BrokerBeforeSessionsTest extends ScriptedBrokerTest
{
    /** What 5b82c17's FrameValidator said of a HELLO whose name_length and frame_length disagree. */
    private static final String OLD_BROKER_REASON = "string length disagrees with frame_length (frame at byte 0)";
    /** SHARED_MEMORY in HELLO: asked by default (ClientOptions.DEFAULT_SHARED_MEMORY, or the environment's say). */
    private static final int SHM = new ClientOptions().sharedMemory() ? HelloFrame.FLAG_SHARED_MEMORY : 0;

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler()
    {
        public void publish(final LogRecord record)
        {
            records.add(record);
        }

        public void flush()
        {
        }

        public void close()
        {
        }
    };
    private final Queue<BusError> errors = new ConcurrentLinkedQueue<>();
    private final Queue<String> connectionEvents = new ConcurrentLinkedQueue<>();
    private Logger julLogger;

    @BeforeEach
    void captureLogs() throws Exception
    {
        julLogger = Logger.getLogger(ClientLog.NAME);
        julLogger.addHandler(capture);
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
    }

    @AfterEach
    void stopCapturing()
    {
        julLogger.removeHandler(capture);
    }

    private ClientOptions options()
    {
        return new ClientOptions()
            .socket(broker.socket())
            .clientName("orders")
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
            .errorHandler(errors::add)
            .connectionListener(new ConnectionListener()
            {
                public void onConnected(final BusClient c)
                {
                    connectionEvents.add("connected " + c.publisherId());
                }

                public void onDisconnected(final BusClient c, final BusException cause)
                {
                    connectionEvents.add("disconnected");
                }
            });
    }

    /**
     * Plays 5b82c17's broker on one connection: its validator held a HELLO to exactly 18 + name_length bytes
     * (it never looked at client_flags), and a frame that failed got ERROR BAD_FRAME_LENGTH, ref 0, and the
     * connection closed; a HELLO that passed got WELCOME.
     *
     * @return the HELLO the client sent.
     */
    private static HelloFrame answerAsBrokerBeforeSessions(final Peer connection, final long publisherId)
        throws Exception
    {
        final Frame frame = connection.next(FrameType.HELLO);
        final HelloFrame hello = frame.as(new HelloFrame());
        if (HelloFrame.NAME_OFFSET + hello.nameLength() != frame.buffer().capacity())
        {
            connection.error(ErrorCode.BAD_FRAME_LENGTH, 0, OLD_BROKER_REASON).send();
            connection.close();
        }
        else
        {
            connection.welcome(65536, 131072, publisherId).send();
        }
        return hello;
    }

    private List<LogRecord> sessionWarnings()
    {
        return records.stream().filter(r -> r.getMessage().contains("refused a HELLO with a session")).toList();
    }

    @Test
    void theFirstConnectFallsBackToAHelloWithoutSessionAndSaysSoOnce() throws Exception
    {
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options()));
        final HelloFrame refused = answerAsBrokerBeforeSessions(broker.accept(), 1);
        assertThat(refused.clientFlags()).isEqualTo(HelloFrame.FLAG_SESSION | HelloFrame.FLAG_TOPIC_LIMIT |
            HelloFrame.FLAG_DESCRIPTORS | SHM | HelloFrame.FLAG_SERVICES);
        peer = broker.accept();
        final HelloFrame accepted = answerAsBrokerBeforeSessions(peer, 0x0000000100000002L);
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(accepted.clientFlags()).as("no session; the topic limit and descriptors asked")
            .isEqualTo(HelloFrame.FLAG_TOPIC_LIMIT | HelloFrame.FLAG_DESCRIPTORS | SHM | HelloFrame.FLAG_SERVICES);
        assertThat(accepted.name()).isEqualTo("orders");
        assertThat(client.isConnected()).isTrue();
        assertThat(client.publisherId()).isEqualTo(0x0000000100000002L);
        assertThat(client.maxTopicLength()).as("an older broker leaves WELCOME's offset 10 at 0: 255")
            .isEqualTo(255);
        assertThat(connectionEvents).containsExactly("connected " + 0x0000000100000002L);
        // The refusal is the client's to handle: no ERROR reaches the service's handler, one warning the log.
        assertThat(errors).isEmpty();
        assertThat(sessionWarnings()).singleElement().satisfies(record ->
        {
            assertThat(record.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
            assertThat(record.getMessage()).contains(broker.socket(), "BAD_FRAME_LENGTH", "count 0, unknown");
        });

        client.publish("orders.eu.created", "one");
        assertThat(peer.next(FrameType.PUBLISH).as(new PublishFrame()).topic()).isEqualTo("orders.eu.created");

        // The old broker is restarted: the client reconnects at once without a session, and says nothing more.
        peer.close();
        peer = broker.accept();
        final HelloFrame again = answerAsBrokerBeforeSessions(peer, 0x0000000200000002L);
        assertThat(again.clientFlags()).isEqualTo(HelloFrame.FLAG_TOPIC_LIMIT | HelloFrame.FLAG_DESCRIPTORS | SHM | HelloFrame.FLAG_SERVICES);
        within().until(() -> connectionEvents.size() == 3);
        assertThat(connectionEvents).containsExactly(
            "connected " + 0x0000000100000002L, "disconnected", "connected " + 0x0000000200000002L);
        assertThat(sessionWarnings()).hasSize(1);
        assertThat(errors).isEmpty();
        assertThat(client.stats().errors()).isEqualTo(1);
        assertThat(client.stats().reconnects()).isEqualTo(1);
    }

    @Test
    void aReconnectToABrokerReplacedByAnOlderOneFallsBackAndResendsSubscriptionsAndWaitingPublishes()
        throws Exception
    {
        connectWith(options());
        final Subscription subscription = client.subscribe("orders.>", message -> { });
        peer.next(FrameType.SUBSCRIBE);

        // The broker is replaced by one from before sessions; meanwhile the service publishes.
        peer.close();
        within().until(() -> connectionEvents.contains("disconnected"));
        client.publish("orders.eu.created", "during");
        final Peer refusing = broker.accept();
        final HelloFrame refused = answerAsBrokerBeforeSessions(refusing, 1);
        assertThat(refused.clientFlags()).isEqualTo(HelloFrame.FLAG_SESSION | HelloFrame.FLAG_TOPIC_LIMIT |
            HelloFrame.FLAG_DESCRIPTORS | SHM | HelloFrame.FLAG_SERVICES);

        peer = broker.accept();
        final HelloFrame accepted = answerAsBrokerBeforeSessions(peer, 9);
        assertThat(accepted.clientFlags()).as("no session; the topic limit and descriptors asked")
            .isEqualTo(HelloFrame.FLAG_TOPIC_LIMIT | HelloFrame.FLAG_DESCRIPTORS | SHM | HelloFrame.FLAG_SERVICES);
        assertThat(peer.next(FrameType.SUBSCRIBE).as(new SubscribeFrame()).pattern()).isEqualTo("orders.>");
        assertThat(peer.next(FrameType.PUBLISH).as(new PublishFrame()).topic()).isEqualTo("orders.eu.created");
        within().until(() -> client.isConnected() && client.publisherId() == 9);
        assertThat(subscription.isClosed()).isFalse();
        assertThat(connectionEvents).containsExactly("connected 1", "disconnected", "connected 9");
        assertThat(sessionWarnings()).hasSize(1);
        assertThat(errors).isEmpty();
    }

    @Test
    void aBadFrameLengthAfterWelcomeIsStillTheClientsOwnFaultAndEndsIt() throws Exception
    {
        connectWith(options());

        peer.error(ErrorCode.BAD_FRAME_LENGTH, 0, "frame_length below the type's fixed part").send();

        within().until(client::isClosed);
        assertThat(client.closedCause()).hasMessageContaining("BAD_FRAME_LENGTH");
        assertThat(sessionWarnings()).isEmpty();
    }
}

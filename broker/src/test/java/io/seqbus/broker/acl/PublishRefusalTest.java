package io.seqbus.broker.acl;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.Broker;
import io.seqbus.broker.config.BrokerConfig;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.PublishResult;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A publish the access rules refuse reaches the call: reported once per topic with a count, later
 * publishes to the topic fail at once, and a reload that allows the topic lets it through again.
 * Against a real broker whose rules deny {@code audit.>} to root, which the tests run as.
 */
class PublishRefusalTest
{
    private static final String DENIED = "audit.login";
    private static final String ALLOWED = "orders.eu.created";

    @TempDir
    Path dir;

    private final ConcurrentLinkedQueue<BusError> errors = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> delivered = new ConcurrentLinkedQueue<>();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream realStderr;
    private Broker broker;
    private BusClient subscriber;

    @BeforeEach
    void startBroker() throws IOException
    {
        broker = Broker.launch(context("orders.>"));
        subscriber = BusClient.connect(new ClientOptions().socket(socket()).threadMode(ThreadMode.DEDICATED));
        subscriber.subscribe(">", (m) -> delivered.add(m.topic() + " " + m.payloadAsString()));
        subscriber.sync(Duration.ofSeconds(5));
        // The client's own output, if any: the broker's log was bound to the real stderr when it started.
        realStderr = System.err;
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopBroker()
    {
        System.setErr(realStderr);
        subscriber.close();
        broker.close();
    }

    @Test
    void theFirstRefusalIsReportedWithItsTopicAndLaterPublishesFailAtTheCall()
    {
        try (BusClient publisher = publisher(Duration.ofMinutes(1)))
        {
            publisher.publish(DENIED, "first");
            publisher.sync(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> errors.size() == 1);
            final BusError error = errors.peek();
            assertThat(error.code()).isEqualTo(ErrorCode.ACCESS_DENIED);
            assertThat(error.topic()).isEqualTo(DENIED);
            assertThat(error.ref()).isZero();
            assertThat(error.count()).isEqualTo(1);

            assertThatThrownBy(() -> publisher.publish(DENIED, "second"))
                .isInstanceOfSatisfying(BusException.class, (ex) ->
                {
                    assertThat(ex.code()).isEqualTo(ErrorCode.ACCESS_DENIED);
                    assertThat(ex.getMessage()).contains(DENIED).contains("may not publish");
                });
            assertThat(publisher.tryPublish(DENIED, "third")).isEqualTo(PublishResult.DENIED);

            publisher.publish(ALLOWED, "still fine");
            assertThat(publisher.tryPublish(ALLOWED, "and this")).isEqualTo(PublishResult.OK);
            publisher.sync(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> delivered.size() == 2);
            assertThat(delivered).containsExactly(ALLOWED + " still fine", ALLOWED + " and this");
            assertThat(errors).hasSize(1);
            assertThat(error.count()).isEqualTo(3);
            assertThat(publisher.refusal(DENIED)).isSameAs(error);
            assertThat(publisher.refusal(ALLOWED)).isNull();
        }
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aThousandRefusedPublishesAreOneReportWithACountOfAThousand()
    {
        try (BusClient publisher = publisher(Duration.ofMinutes(1)))
        {
            int sent = 0;
            int deniedAtTheCall = 0;
            for (int i = 0; i < 1_000; i++)
            {
                // Those sent before the first refusal came back are refused by the broker, the rest by the client.
                final PublishResult result = publisher.tryPublish(DENIED, "m" + i);
                if (result == PublishResult.OK)
                {
                    sent++;
                }
                else
                {
                    assertThat(result).isEqualTo(PublishResult.DENIED);
                    deniedAtTheCall++;
                }
            }
            publisher.sync(Duration.ofSeconds(5));
            assertThat(sent + deniedAtTheCall).isEqualTo(1_000);
            await().atMost(Duration.ofSeconds(5)).until(() -> !errors.isEmpty() && errors.peek().count() == 1_000);
            assertThat(errors).hasSize(1);
            assertThat(errors.peek().topic()).isEqualTo(DENIED);
            assertThat(delivered).isEmpty();
        }
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aReloadThatAllowsTheTopicLetsItThroughAgainAndOneThatDeniesItIsReported() throws IOException
    {
        try (BusClient publisher = publisher(Duration.ofMillis(200)))
        {
            publisher.publish(DENIED, "refused");
            publisher.sync(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> errors.size() == 1);
            assertThat(publisher.tryPublish(DENIED, "refused at the call")).isEqualTo(PublishResult.DENIED);

            broker.applyReload(context("orders.>", "audit.>"));
            // Within a refusal's lifetime the client still refuses; then one publish asks the broker again.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
            {
                publisher.tryPublish(DENIED, "allowed");
                return delivered.contains(DENIED + " allowed");
            });

            // The probe's PONG came without an ERROR: the refusal is over, so the next one is news again.
            await().atMost(Duration.ofSeconds(5)).until(() -> publisher.refusal(DENIED) == null);
            assertThat(publisher.tryPublish(DENIED, "still allowed")).isEqualTo(PublishResult.OK);

            broker.applyReload(context("orders.>"));
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
            {
                publisher.tryPublish(DENIED, "denied again");
                return errors.size() == 2;
            });
            assertThat(errors).allSatisfy((e) -> assertThat(e.topic()).isEqualTo(DENIED));
            assertThat(delivered).doesNotContain(DENIED + " refused", DENIED + " refused at the call");
        }
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    private BusClient publisher(final Duration refusalTtl)
    {
        return BusClient.connect(new ClientOptions().socket(socket()).threadMode(ThreadMode.DEDICATED)
            .refusalTtl(refusalTtl).errorHandler(errors::add));
    }

    private String socket()
    {
        return dir.resolve("bus.sock").toString();
    }

    /** Rules that let root subscribe to everything and publish only within the given patterns. */
    private BrokerContext context(final String... publish) throws IOException
    {
        final Path config = dir.resolve("seqbus-" + System.nanoTime() + ".conf");
        Files.writeString(config, """
            socket = "%s"
            metrics = "off"
            socket_activation = "false"

            [acl]
            default = "deny"

            [[acl.rule]]
            uid = "root"
            subscribe = [">"]
            publish = [%s]
            """.formatted(socket(), "\"" + String.join("\", \"", publish) + "\""));
        return new BrokerConfig(config, Map.of(), Map.of()).load();
    }
}

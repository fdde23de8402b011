package io.seqbus.broker.testing;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The extension as a service's test uses it: a broker per test (instance field), reached by the real
 * client, restartable on the same socket.
 */
class SeqbusBrokerTest
{
    @RegisterExtension
    final SeqbusBroker broker = new SeqbusBroker();

    @Test
    void deliversThroughTheEmbeddedBroker()
    {
        final List<String> got = new CopyOnWriteArrayList<>();
        try (BusClient bus = BusClient.connect(options()))
        {
            bus.subscribe("orders.>", (m) -> got.add(m.topic() + " " + m.payloadAsString()));
            bus.sync(Duration.ofSeconds(5));
            bus.publish("orders.eu.created", "{\"id\":1}");
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
        }
        assertThat(got).containsExactly("orders.eu.created {\"id\":1}");
    }

    @Test
    void socketIsInAPrivateFolderAndSurvivesARestart() throws Exception
    {
        final Path socket = Path.of(broker.socket());
        assertThat(Files.getPosixFilePermissions(socket.getParent()))
            .extracting(Object::toString).allMatch((p) -> p.startsWith("OWNER_"));
        try (BusClient bus = BusClient.connect(options()))
        {
            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            await().atMost(Duration.ofSeconds(10)).until(() -> !bus.isConnected());
            broker.start();
            await().atMost(Duration.ofSeconds(20)).until(bus::isConnected);
        }
        assertThat(broker.socket()).isEqualTo(socket.toString());
    }

    private ClientOptions options()
    {
        return new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED);
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An Error on the broker's thread (out of memory, say) stops it for good: the owner is told, so the
 * process can exit for its supervisor to restart it, and clients are not left connected to a broker
 * that delivers nothing.
 */
class AgentFailureTest
{
    private static final class InjectedError extends Error
    {
        private static final long serialVersionUID = 1L;

        InjectedError()
        {
            super("injected by the test");
        }
    }

    @TempDir
    Path dir;

    @Test
    void anErrorOnTheAgentsThreadIsReportedAndClientsAreLetGo() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final AtomicReference<Throwable> reported = new AtomicReference<>();
        final Broker broker = Broker.launch(new BrokerContext().socket(socket).nodeName("fail")
            .agentFailureHandler(reported::set));
        try (BusClient client = BusClient.connect(
            new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED).reconnect(false)))
        {
            client.subscribe("a.b", (m) -> { });
            client.sync(Duration.ofSeconds(5));
            assertThat(broker.agentFailure()).isNull();

            // Any Error; a real OutOfMemoryError would also stop the test JVM (the surefire fork). OperateIT
            // runs a broker process out of direct memory for real.
            final Error error = new InjectedError();
            assertThat(broker.agentForTest().submit(() ->
            {
                throw error;
            })).isTrue();

            // The Error also ends the agent's thread uncaught, by design: Awaitility must not count that as a failure.
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10)).until(() -> reported.get() != null);
            assertThat(reported.get()).isSameAs(error);
            assertThat(broker.agentFailure()).isSameAs(error);
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10)).until(client::isClosed);
            assertThat(client.closedCause()).isNotNull();
            assertThat(Path.of(socket)).doesNotExist();
        }
        finally
        {
            broker.close();
        }
    }
}

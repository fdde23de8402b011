package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker started by {@code systemd-socket-activate}, with no {@code --socket}: it listens on the socket it
 * was handed, and /health, {@code seqbus_healthy} and {@code seqbus stat} must describe that socket, not
 * the default path it would have bound (issue 13, defect 1: /health said 503 {@code socket_accepting:false}).
 */
class SocketActivationHealthIT extends ProcessTestBase
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aSocketActivatedBrokerIsHealthyAndNamesTheSocketItWasHanded() throws Exception
    {
        final Path socket = dir.resolve("act.sock");
        final Path log = dir.resolve("broker.log");
        final List<String> command = new ArrayList<>(List.of(
            "systemd-socket-activate", "--seqpacket", "-l", socket.toString(), "-E", "PATH"));
        if (System.getenv("JAVA_HOME") != null)
        {
            command.addAll(List.of("-E", "JAVA_HOME"));
        }
        // No --socket and no SEQBUS_SOCKET: the broker's own default is some other path.
        command.addAll(List.of(LAUNCHER.toString(), "broker", "--metrics", "127.0.0.1:0"));
        final Process broker = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(broker);
        await().atMost(WAIT).until(() -> Files.exists(socket));

        try (BusClient client = BusClient.connect(new ClientOptions().socket(socket.toString()).reconnect(false)
            .connectTimeout(WAIT))) // the broker's JVM starts on this connection: 5 s is not enough on a busy host
        {
            client.sync(WAIT); // served: the broker is up
        }
        await().atMost(WAIT).until(() -> CommandRun.metricsBase(log) != null && Files.readString(log).contains("(socket-activated)"));
        final String base = CommandRun.metricsBase(log);

        final HttpResponse<String> health = CommandRun.get(base + "/health");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        final JsonNode healthDoc = new ObjectMapper().readTree(health.body());
        assertThat(healthDoc.path("status").asText()).isEqualTo("up");
        assertThat(healthDoc.path("socket_accepting").asBoolean()).isTrue();
        assertThat(CommandRun.get(base + "/metrics").body()).containsPattern("(?m)^seqbus_healthy 1(\\.0)?$");

        final CommandRun stat = CommandRun.run(Map.of(), CommandRun.seqbus(
            "stat", "--json", "--no-clients", "--no-topics", "--socket", socket.toString())).succeeded();
        assertThat(new ObjectMapper().readTree(stat.out()).at("/broker/socket").asText()).isEqualTo(socket.toString());
        assertThat(Files.readString(log)).contains("listening on " + socket + " (socket-activated)");
    }
}

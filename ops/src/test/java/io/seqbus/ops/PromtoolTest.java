package io.seqbus.ops;

import io.seqbus.broker.Broker;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Prometheus's own linter agrees with what ships: a live broker's {@code /metrics} passes
 * {@code promtool check metrics}, the alert rules pass {@code promtool check rules}, and their unit tests
 * ({@code prometheus/seqbus-alerts.test.yml}: every alert fires when it should and stays quiet when it should
 * not, the idle socket-activated host included) pass {@code promtool test rules}. promtool comes with
 * Debian's {@code prometheus} package ({@code .ci/run} installs it); without it these tests fail, never skip.
 */
class PromtoolTest
{
    private static final Path RULES = Path.of("prometheus", "seqbus-alerts.yml");
    private static final Path RULE_TESTS = Path.of("prometheus", "seqbus-alerts.test.yml");
    // The LAN bridge's meters are on the endpoint only when the bridge runs; this port is this test's own.
    private static final int LAN_PORT = 19210;

    @TempDir
    Path dir;

    @Test
    void liveEndpointPassesCheckMetrics() throws Exception
    {
        final String socket = dir.resolve("p.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext()
            .socket(socket)
            .metrics("127.0.0.1:0")
            .nodeName("promtool")
            .lanChannel("aeron:udp?endpoint=127.0.0.1:" + LAN_PORT)
            .lanPeers("127.0.0.1:" + LAN_PORT)
            .lanTopics("shared.>")
            .aeronDir(dir.resolve("aeron").toString())))
        {
            trafficThrough(socket);
            System.gc(); // the GC pause summaries appear after a first collection
            final String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + broker.metricsAddress().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).contains("seqbus_lan_messages_out_total", "jvm_gc_pause_seconds_count",
                "process_cpu_seconds_total", "system_cpus");

            final Path scrape = dir.resolve("scrape.txt");
            Files.writeString(scrape, body);
            final Result lint = promtool(scrape, "check", "metrics");
            assertThat(lint.output()).as("promtool check metrics").isEmpty();
            assertThat(lint.exit()).as("promtool check metrics: " + lint.output()).isZero();
        }
    }

    @Test
    void alertRulesPassCheckRules() throws Exception
    {
        final Result check = promtool(null, "check", "rules", RULES.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS");
    }

    @Test
    void alertRulesPassTheirUnitTests() throws Exception
    {
        final Result test = promtool(null, "test", "rules", RULE_TESTS.toString());
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    /** A publisher and a subscriber, so every meter that counts traffic has moved. */
    private static void trafficThrough(final String socket) throws Exception
    {
        final AtomicLong received = new AtomicLong();
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket)))
        {
            sub.subscribe("shared.>", (m) -> received.incrementAndGet());
            sub.sync(Duration.ofSeconds(5));
            for (int i = 0; i < 100; i++)
            {
                pub.publish("shared.promtool", new byte[]{(byte)i});
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 100);
        }
    }

    /**
     * Runs promtool from PATH, stdin from a file or nothing, and waits for it (bounded).
     */
    static Result promtool(final Path stdin, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(promtoolPath().toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null")) :
            ProcessBuilder.Redirect.from(stdin.toFile()));
        final Process process = builder.start();
        final byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    }

    /** promtool on PATH; a test that needs it fails without it (apt-get install prometheus). */
    static Path promtoolPath()
    {
        for (final String folder : System.getenv().getOrDefault("PATH", "").split(":"))
        {
            final Path candidate = Path.of(folder.isEmpty() ? "." : folder, "promtool");
            if (Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        throw new AssertionError("promtool is not on PATH: install Debian's prometheus package (.ci/run does)");
    }

    record Result(int exit, String output)
    {
    }
}

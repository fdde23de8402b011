package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.Broker;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped dashboard and alert rules in a real Prometheus (Debian's {@code prometheus}, which {@code .ci/run}
 * installs) scraping a real broker: every query of {@code grafana/seqbus.json} returns data, and every alert rule
 * evaluates without error and none fires for a healthy broker.
 */
class PrometheusDashboardIT
{
    /** Prometheus's own HTTP port, from this test's range. */
    private static final int PROMETHEUS_PORT = 19220;
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void everyDashboardQueryReturnsDataAndNoAlertFires() throws Exception
    {
        final String socket = dir.resolve("d.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).metrics("127.0.0.1:0")))
        {
            final Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, String.join("\n",
                "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                "rule_files: ['" + Path.of("prometheus", "seqbus-alerts.yml").toAbsolutePath() + "']",
                "scrape_configs:",
                "  - job_name: seqbus",
                "    static_configs: [{targets: ['127.0.0.1:" + broker.metricsAddress().getPort() + "']}]",
                ""));
            final Process prometheus = new ProcessBuilder(prometheusPath(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + PROMETHEUS_PORT)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try
            {
                await().atMost(WAIT).ignoreExceptions().until(() -> get("/-/ready").statusCode() == 200);
                final AtomicLong received = new AtomicLong();
                try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket));
                    BusClient pub = BusClient.connect(new ClientOptions().socket(socket)))
                {
                    sub.subscribe("dash.>", (m) -> received.incrementAndGet());
                    sub.sync(Duration.ofSeconds(5));
                    final List<String> queries = dashboardQueries();
                    assertThat(queries).hasSizeGreaterThanOrEqualTo(28);
                    final Set<String> empty = new TreeSet<>(queries);
                    // Traffic (and a refused datagram) while Prometheus scrapes, until every query has answered with
                    // data once.
                    await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    {
                        for (int i = 0; i < 100; i++)
                        {
                            pub.publish("dash.orders", new byte[64]);
                        }
                        rejectedFrame(socket); // a rate needs the counter to move between two scrapes
                        empty.removeIf(this::hasData);
                        assertThat(empty).as("dashboard queries without data").isEmpty();
                    });
                    assertThat(received.get()).isPositive();
                }

                final JsonNode groups = query("/api/v1/rules").path("data").path("groups");
                final List<String> ruleHealth = new ArrayList<>();
                groups.forEach((g) -> g.path("rules").forEach((r) ->
                    ruleHealth.add(r.path("name").asText() + "=" + r.path("health").asText() + r.path("lastError").asText())));
                assertThat(ruleHealth).hasSize(8).allMatch((h) -> h.endsWith("=ok"));
                assertThat(query("/api/v1/alerts").path("data").path("alerts")).as("no alert for a healthy broker")
                    .isEmpty();
            }
            finally
            {
                prometheus.destroy();
                prometheus.waitFor();
            }
        }
    }

    /** The dashboard's expressions, its {@code $instance} variable matching every broker. */
    private static List<String> dashboardQueries() throws Exception
    {
        final JsonNode dashboard = new ObjectMapper().readTree(Path.of("grafana", "seqbus.json").toFile());
        final List<String> queries = new ArrayList<>();
        for (final JsonNode panel : dashboard.path("panels"))
        {
            panel.path("targets").forEach((t) -> queries.add(t.path("expr").asText().replace("$instance", ".*")));
        }
        return queries;
    }

    private boolean hasData(final String promql)
    {
        try
        {
            final JsonNode reply = query("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            assertThat(reply.path("status").asText()).as(promql + ": " + reply).isEqualTo("success");
            return reply.path("data").path("result").size() > 0;
        }
        catch (final Exception ex)
        {
            throw new AssertionError(promql, ex);
        }
    }

    /** A datagram that is no frame: the broker refuses it, and seqbus_frames_rejected_total moves. */
    private static void rejectedFrame(final String socket) throws Exception
    {
        try (AFUNIXDatagramChannel raw = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET))
        {
            raw.connect(AFUNIXSocketAddress.of(Path.of(socket)));
            raw.write(ByteBuffer.wrap(new byte[]{(byte)0xde, (byte)0xad, (byte)0xbe, (byte)0xef}));
            raw.read(ByteBuffer.allocate(65536)); // the broker's ERROR, then it closes
        }
    }

    private JsonNode query(final String path) throws Exception
    {
        return json.readTree(get(path).body());
    }

    private HttpResponse<String> get(final String path) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PROMETHEUS_PORT + path))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The prometheus binary on PATH; the test fails without it (apt-get install prometheus). */
    private static String prometheusPath()
    {
        for (final String folder : System.getenv().getOrDefault("PATH", "").split(":"))
        {
            final Path candidate = Path.of(folder.isEmpty() ? "." : folder, "prometheus");
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate))
            {
                return candidate.toString();
            }
        }
        throw new AssertionError("prometheus is not on PATH: install Debian's prometheus package (.ci/run does)");
    }
}

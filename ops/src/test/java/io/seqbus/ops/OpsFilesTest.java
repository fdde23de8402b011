package io.seqbus.ops;

import io.seqbus.broker.config.BrokerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.seqbus.broker.Broker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard and the Prometheus alert rules shipped in ops/ parse, and every metric
 * they name is one a live broker actually exposes.
 */
class OpsFilesTest
{
    /** Metric names as the files use them; PromQL functions and labels are not followed by these prefixes. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:seqbus|jvm|process|system)_[a-z0-9_]+)");

    @TempDir
    Path dir;

    @Test
    void dashboardAndAlertsUseOnlyExposedMetrics() throws Exception
    {
        final JsonNode dashboard = new ObjectMapper().readTree(Path.of("grafana", "seqbus.json").toFile());
        final List<String> expressions = new ArrayList<>();
        for (final JsonNode panel : dashboard.path("panels"))
        {
            assertThat(panel.path("targets").size()).as(panel.path("title").asText()).isPositive();
            panel.path("targets").forEach((t) -> expressions.add(t.path("expr").asText()));
        }
        expressions.add(dashboard.path("templating").path("list").get(1).path("query").asText());

        final JsonNode rules = new YAMLMapper().readTree(Path.of("prometheus", "seqbus-alerts.yml").toFile());
        final Set<String> alerts = new TreeSet<>();
        for (final JsonNode rule : rules.path("groups").get(0).path("rules"))
        {
            assertThat(rule.path("expr").asText()).isNotBlank();
            assertThat(rule.path("labels").path("severity").asText()).isIn("critical", "warning", "info");
            assertThat(rule.path("annotations").path("summary").asText()).isNotBlank();
            alerts.add(rule.path("alert").asText());
            expressions.add(rule.path("expr").asText());
        }
        assertThat(alerts).contains("SeqbusBrokerDown", "SeqbusUnhealthy", "SeqbusNoDutyCycle",
            "SeqbusSlowConsumerEvictions", "SeqbusFramesRejected", "SeqbusQueueDepthHigh");

        final Set<String> referenced = new TreeSet<>();
        for (final String expr : expressions)
        {
            final Matcher m = METRIC.matcher(expr);
            while (m.find())
            {
                referenced.add(m.group(1));
            }
        }
        assertThat(referenced).contains("seqbus_healthy", "seqbus_messages_published_total",
            "seqbus_frames_rejected_total", "seqbus_queue_max_bytes", "seqbus_agent_duty_cycles_total");

        final Set<String> exposed = new TreeSet<>();
        try (Broker broker = Broker.launch(new BrokerContext().socket(dir.resolve("o.sock").toString())
            .metrics("127.0.0.1:0")))
        {
            final String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + broker.metricsAddress().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
            for (final String line : body.split("\n"))
            {
                if (!line.startsWith("#") && !line.isBlank())
                {
                    exposed.add(line.split("[{ ]", 2)[0]);
                }
            }
        }
        assertThat(exposed).containsAll(referenced);
    }
}

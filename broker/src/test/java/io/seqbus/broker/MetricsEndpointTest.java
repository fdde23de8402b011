package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The metrics endpoint of a real broker, scraped over real HTTP while real clients publish.
 */
class MetricsEndpointTest
{
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})?) (\\S+)$");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void countersMoveByExactlyWhatFlowed() throws Exception
    {
        final String socket = dir.resolve("m.sock").toString();
        final InetSocketAddress address;
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).metrics("127.0.0.1:0")))
        {
            address = broker.metricsAddress();
            assertThat(address.getPort()).isPositive();
            final Map<String, Double> before = scrape(address);
            assertThat(before.keySet()).anyMatch((k) -> k.startsWith("jvm_memory_used_bytes{area=\"heap\""))
                .anyMatch((k) -> k.startsWith("jvm_gc_")).contains("process_uptime_seconds", "system_cpus",
                    "jvm_threads_live_threads", "process_cpu_seconds_total");
            // Issue 14: socket bytes both ways, and the descriptor metrics, present from the start.
            assertThat(before.keySet()).contains("seqbus_read_bytes_total", "seqbus_written_bytes_total",
                "seqbus_descriptors_received_total", "seqbus_descriptors_passed_total",
                "seqbus_descriptor_bytes_passed_total", "seqbus_descriptors_held", "seqbus_descriptors_in_flight");
            // Issue 15: per transport, both directions, from the start.
            for (final String transport : new String[]{"shm", "socket"})
            {
                for (final String direction : new String[]{"in", "out"})
                {
                    final String tags = "{direction=\"" + direction + "\",transport=\"" + transport + "\"}";
                    assertThat(before).containsKeys("seqbus_transport_messages_total" + tags,
                        "seqbus_transport_bytes_total" + tags);
                }
            }
            assertThat(before).containsKeys("seqbus_shm_declined_total{reason=\"bound\"}",
                "seqbus_shm_corrupt_total");
            // Issue 19: requests by outcome, pending, replies dropped by reason, from the start.
            assertThat(before)
                .containsEntry("seqbus_requests_total{outcome=\"no_responders\",role=\"origin\"}", 0.0)
                .containsEntry("seqbus_requests_total{outcome=\"replied\",role=\"origin\"}", 0.0)
                .containsEntry("seqbus_requests_total{outcome=\"replied\",role=\"proxy\"}", 0.0)
                .containsEntry("seqbus_requests_total{outcome=\"timed_out\",role=\"proxy\"}", 0.0)
                .containsEntry("seqbus_requests_pending", 0.0)
                .containsEntry("seqbus_replies_dropped_total{reason=\"late\"}", 0.0)
                .containsEntry("seqbus_replies_dropped_total{reason=\"not_recipient\"}", 0.0);
            for (final String reason : new String[]{"truncated", "mismatch", "not_memfd", "not_sealed", "size",
                "too_large", "denied", "lan", "too_many", "etoomanyrefs"})
            {
                assertThat(before).containsEntry("seqbus_descriptor_refusals_total{reason=\"" + reason + "\"}", 0.0);
            }
            for (final String code : new String[]{"DESCRIPTORS_TRUNCATED", "DESCRIPTOR_MISMATCH", "BAD_DESCRIPTOR",
                "DESCRIPTORS_DENIED", "NOT_ON_LAN", "TOO_MANY_DESCRIPTORS"})
            {
                assertThat(before).containsKey("seqbus_frames_rejected_total{code=\"" + code + "\"}");
            }

            final AtomicInteger received = new AtomicInteger();
            try (BusClient sub = BusClient.connect(options(socket, "sub"));
                BusClient pub = BusClient.connect(options(socket, "pub")))
            {
                sub.subscribe("m.>", (m) -> received.incrementAndGet());
                sub.sync(Duration.ofSeconds(5));
                final byte[] payload = new byte[10];
                for (int i = 0; i < 100; i++)
                {
                    pub.publish("m.x", payload);
                }
                for (int i = 0; i < 50; i++)
                {
                    pub.publish("other.y", payload);
                }
                pub.sync(Duration.ofSeconds(5));
                await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 100);

                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                {
                    final Map<String, Double> during = scrape(address);
                    assertThat(during.get("seqbus_clients{transport=\"socket\"}") +
                        during.get("seqbus_clients{transport=\"shm\"}")).isEqualTo(2.0);
                    assertThat(during.get("seqbus_subscriptions")).isEqualTo(1.0);
                    assertThat(during.get("seqbus_subscribers")).isEqualTo(1.0);
                });
                final Map<String, Double> after = scrape(address);
                assertThat(delta(before, after, "seqbus_messages_published_total")).isEqualTo(150);
                assertThat(delta(before, after, "seqbus_published_bytes_total")).isEqualTo(1500);
                assertThat(delta(before, after, "seqbus_messages_delivered_total")).isEqualTo(100);
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                {
                    final Map<String, Double> sampled = scrape(address);
                    assertThat(delta(before, sampled, "seqbus_transport_messages_total{direction=\"in\",transport=\"shm\"}") +
                        delta(before, sampled, "seqbus_transport_messages_total{direction=\"in\",transport=\"socket\"}"))
                        .as("every publish counted under one transport").isEqualTo(150);
                    assertThat(delta(before, sampled, "seqbus_transport_bytes_total{direction=\"out\",transport=\"shm\"}") +
                        delta(before, sampled, "seqbus_transport_bytes_total{direction=\"out\",transport=\"socket\"}"))
                        .isEqualTo(1000);
                });
                assertThat(delta(before, after, "seqbus_delivered_bytes_total")).isEqualTo(1000);
                assertThat(delta(before, after, "seqbus_connections_accepted_total")).isEqualTo(2);
                assertThat(delta(before, after, "seqbus_read_bytes_total")).as("150 PUBLISH frames and more")
                    .isGreaterThan(1500);
                assertThat(delta(before, after, "seqbus_frames_rejected_total{code=\"INVALID_TOPIC\"}")).isZero();
                assertThat(after.get("seqbus_agent_duty_cycles_total")).isGreaterThan(before.get(
                    "seqbus_agent_duty_cycles_total"));
                assertThat(after.get("seqbus_healthy")).isEqualTo(1.0);

                // A refused frame is counted under its code.
                try (RawClient raw = new RawClient(socket).hello())
                {
                    final byte[] bad = Frames.publish("bad..topic", "x");
                    raw.scratch().putBytes(0, bad);
                    raw.send(raw.scratch(), bad.length);
                    assertThat(raw.awaitError(5_000).code()).isEqualTo(io.seqbus.wire.ErrorCode.INVALID_TOPIC);
                }
                await().atMost(Duration.ofSeconds(5)).until(() ->
                    scrape(address).get("seqbus_frames_rejected_total{code=\"INVALID_TOPIC\"}") == 1.0);
            }

            final HttpResponse<String> health = get(address, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"up\"").contains("\"socket_accepting\":true");

            // The socket file gone means no client can connect: unhealthy.
            Files.delete(Path.of(socket));
            assertThat(get(address, "/health").statusCode()).isEqualTo(503);
            assertThat(scrape(address).get("seqbus_healthy")).isEqualTo(0.0);
        }
        assertThatThrownBy(() -> get(address, "/metrics")).isInstanceOf(ConnectException.class);
    }

    @Test
    void anExplicitPortInUseStopsTheBroker() throws Exception
    {
        final String socket = dir.resolve("a.sock").toString();
        try (Broker first = Broker.launch(new BrokerContext().socket(socket).metrics("127.0.0.1:0")))
        {
            final int port = first.metricsAddress().getPort();
            assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(dir.resolve("b.sock").toString())
                .metrics("127.0.0.1:" + port)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("metrics: cannot listen on 127.0.0.1:" + port);
            assertThat(Files.exists(dir.resolve("b.sock"))).as("the failed broker cleaned up").isFalse();
        }
    }

    static Map<String, Double> scrape(final InetSocketAddress address) throws Exception
    {
        final HttpResponse<String> response = get(address, "/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        final Map<String, Double> samples = new HashMap<>();
        for (final String line : response.body().split("\n"))
        {
            final Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches())
            {
                samples.put(m.group(1), Double.parseDouble(m.group(3)));
            }
        }
        return samples;
    }

    private static double delta(final Map<String, Double> before, final Map<String, Double> after, final String name)
    {
        assertThat(after).containsKey(name);
        return after.get(name) - before.getOrDefault(name, 0.0);
    }

    static HttpResponse<String> get(final InetSocketAddress address, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static ClientOptions options(final String socket, final String name)
    {
        return new ClientOptions().socket(socket).clientName(name).threadMode(ThreadMode.DEDICATED);
    }
}

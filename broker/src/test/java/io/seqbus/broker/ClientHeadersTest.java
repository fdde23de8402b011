package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ClientStats;
import io.seqbus.client.Headers;
import io.seqbus.client.Message;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Headers end to end with the Java client on both sides of a real broker (SPEC.md, "Headers"), on the socket and on
 * shared memory: every publish form with headers and without, mixed in one stream, arrives in order with its headers
 * and a payload without the block; a message without headers shows {@link Headers#EMPTY}; a memfd payload keeps its
 * headers inline beside it; keys and limits are checked at the call.
 */
class ClientHeadersTest extends InProcessBrokerTest
{
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Headers TRACE = Headers.of(
        "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "content-type", "application/json");

    private BusClient client(final boolean sharedMemory)
    {
        final BusClient client = open(BusClient.connect(new ClientOptions().socket(socket).sharedMemory(sharedMemory)
            .connectTimeout(Duration.ofSeconds(10))));
        final String transport = sharedMemory ? ClientStats.SHARED_MEMORY : ClientStats.SOCKET;
        await().atMost(WAIT).until(() -> transport.equals(client.stats().transport()));
        return client;
    }

    /** What a handler saw: topic, payload and headers, copied during the handler. */
    private record Seen(String topic, String payload, Headers headers, boolean hasHeaders, boolean memfd)
    {
        static Seen of(final Message m)
        {
            return new Seen(m.topic(), new String(m.payloadAsBytes(), StandardCharsets.UTF_8), m.headers(),
                m.hasHeaders(), m.isMemfdPayload());
        }
    }

    @ParameterizedTest(name = "shared memory {0}")
    @ValueSource(booleans = {false, true})
    void everyPublishFormCarriesItsHeadersInOrderWithPlainMessages(final boolean sharedMemory) throws IOException
    {
        start(new BrokerContext());
        final BusClient subscriber = client(sharedMemory);
        final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
        subscriber.subscribe("h.>", m -> seen.add(Seen.of(m)));
        subscriber.sync(WAIT);
        final BusClient publisher = client(sharedMemory);
        final Headers repeated = Headers.builder().add("k", "1").add("k", "2").add("bin", new byte[] {0, -1}).build();
        final Headers empty = Headers.builder().build();

        publisher.publish("h.bytes", "b".getBytes(StandardCharsets.UTF_8), TRACE);
        publisher.publish("h.plain", "p1");
        publisher.publish("h.text", "t", repeated);
        publisher.publish("h.plain", "p2");
        publisher.publish("h.heap", ByteBuffer.wrap("hb".getBytes(StandardCharsets.UTF_8)), TRACE);
        final ByteBuffer direct = ByteBuffer.allocateDirect(2).put("db".getBytes(StandardCharsets.UTF_8)).flip();
        publisher.publish("h.direct", direct, TRACE);
        publisher.publish("h.agrona", new UnsafeBuffer("xagy".getBytes(StandardCharsets.UTF_8)), 1, 2, repeated);
        publisher.publish("h.empty", "e", empty);
        final String big = "m".repeat(publisher.maxPayload() + 1);
        publisher.publish("h.memfd", big, TRACE);
        publisher.publish("h.plain", "p3");

        await().atMost(WAIT).until(() -> seen.size() == 10);
        assertThat(seen).containsExactly(
            new Seen("h.bytes", "b", TRACE, true, false),
            new Seen("h.plain", "p1", Headers.EMPTY, false, false),
            new Seen("h.text", "t", repeated, true, false),
            new Seen("h.plain", "p2", Headers.EMPTY, false, false),
            new Seen("h.heap", "hb", TRACE, true, false),
            new Seen("h.direct", "db", TRACE, true, false),
            new Seen("h.agrona", "ag", repeated, true, false),
            new Seen("h.empty", "e", Headers.EMPTY, false, false),
            new Seen("h.memfd", big, TRACE, true, true),
            new Seen("h.plain", "p3", Headers.EMPTY, false, false));
        assertThat(seen.get(1).headers()).as("no headers: the one shared empty value").isSameAs(Headers.EMPTY);
        assertThat(seen.get(2).headers().getAll("k")).containsExactly("1", "2");
        assertThat(seen.get(2).headers().valueBytes(2)).containsExactly(0, -1);
        assertThat(seen.get(0).headers().get("traceparent")).startsWith("00-4bf92f");
        assertThat(direct.position()).isZero();
    }

    @Test
    void keysAndLimitsAreCheckedAtTheCall() throws IOException
    {
        start(new BrokerContext().maxHeaders(2).maxHeaderBytes(64));
        final BusClient publisher = client(false);
        assertThatThrownBy(() -> Headers.of("Trace", "x")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'T' at 0");
        assertThatThrownBy(() -> Headers.of("", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Headers.of("k".repeat(65), "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Headers.of("odd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> publisher.publish("h.a", "x", Headers.of("a", "1", "b", "2", "c", "3")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_headers of 2");
        assertThatThrownBy(() -> publisher.publish("h.a", "x", Headers.of("a", "v".repeat(64))))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_header_bytes of 64");
        assertThatThrownBy(() -> publisher.publish("h.a", "x".repeat(publisher.maxPayload() - 5), TRACE))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_payload");
    }
}

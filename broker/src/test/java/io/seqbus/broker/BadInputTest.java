package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every kind of bad input from the issue, against a real broker, while a well-behaved
 * publisher and subscriber keep going: the offender gets a specific ERROR, is disconnected
 * when the code is fatal, and the bystanders lose nothing.
 */
class BadInputTest
{
    private static final int MAX_PAYLOAD = 4096;

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private RawClient bystanderSub;
    private RawClient bystanderPub;
    private int published;

    @BeforeEach
    void start() throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).maxPayload(MAX_PAYLOAD).nodeName("test"));
        bystanderSub = new RawClient(socket).hello();
        bystanderSub.send(Frames.subscribe(1, "ok.>"));
        barrier(bystanderSub);
        bystanderPub = new RawClient(socket).hello();
    }

    @AfterEach
    void stop() throws IOException
    {
        bystanderSub.close();
        bystanderPub.close();
        broker.close();
    }

    static Stream<Arguments> fatal()
    {
        return Stream.of(
            Arguments.of("garbage bytes", Frames.hex("01 02 03"), ErrorCode.TRUNCATED_FRAME, true),
            Arguments.of("truncated frame", Frames.hex("0e 00 00 00 05 00 00 00 03 00 61 2e 62"),
                ErrorCode.TRUNCATED_FRAME, true),
            Arguments.of("frame longer than declared",
                Frames.hex("14 00 00 00 09 00 00 00 08 07 06 05 04 03 02 01 00 00 00 00"),
                ErrorCode.BAD_FRAME_LENGTH, true),
            Arguments.of("topic length past the frame", Frames.hex("0d 00 00 00 05 00 00 00 0a 00 61 2e 62"),
                ErrorCode.BAD_FRAME_LENGTH, true),
            Arguments.of("unknown frame type", Frames.hex("08 00 00 00 7f 00 00 00"), ErrorCode.UNKNOWN_FRAME_TYPE, true),
            Arguments.of("flags not zero", Frames.hex("10 00 00 00 09 01 00 00 08 07 06 05 04 03 02 01"),
                ErrorCode.PROTOCOL_VIOLATION, true),
            Arguments.of("a second HELLO", Frames.hello(1, 1, "again"), ErrorCode.PROTOCOL_VIOLATION, true),
            Arguments.of("DELIVER from a client", deliverFrame(), ErrorCode.PROTOCOL_VIOLATION, true),
            Arguments.of("datagram over max_datagram",
                Frames.publish("ok.big".getBytes(StandardCharsets.UTF_8), new byte[Protocol.DEFAULT_MAX_DATAGRAM]),
                ErrorCode.DATAGRAM_TOO_LARGE, true));
    }

    static Stream<Arguments> refused()
    {
        return Stream.of(
            Arguments.of("empty topic", Frames.publish("", "x"), ErrorCode.INVALID_TOPIC, false),
            Arguments.of("empty token", Frames.publish("a..b", "x"), ErrorCode.INVALID_TOPIC, false),
            Arguments.of("'>' in the middle", Frames.publish("a.>.b", "x"), ErrorCode.INVALID_TOPIC, false),
            Arguments.of("pattern on PUBLISH", Frames.publish("ok.*", "x"), ErrorCode.INVALID_TOPIC, false),
            Arguments.of("non-UTF-8 topic", Frames.publish(new byte[]{'a', '.', (byte)0xC0, (byte)0xAF}, new byte[1]),
                ErrorCode.INVALID_TOPIC, false),
            Arguments.of("oversized payload", Frames.publish("ok.x".getBytes(StandardCharsets.UTF_8),
                new byte[MAX_PAYLOAD + 1]), ErrorCode.PAYLOAD_TOO_LARGE, false),
            Arguments.of("invalid pattern", Frames.subscribe(9, "a.>.b"), ErrorCode.INVALID_PATTERN, false),
            // SPEC.md, Topics: no control characters, the C1 ones (U+0080..U+009F) included.
            Arguments.of("C1 control U+0085 in a topic", Frames.publish("ok.a\u0085b", "x"), ErrorCode.INVALID_TOPIC,
                false),
            Arguments.of("C1 control U+0085 in a pattern", Frames.subscribe(9, "ok.\u0085.>"), ErrorCode.INVALID_PATTERN,
                false),
            Arguments.of("STAT_REQUEST with an unknown stat_flags bit",
                Frames.hex("10 00 00 00 0b 00 00 00 04 00 00 00 07 00 00 00"), ErrorCode.INVALID_OPTION, false),
            Arguments.of("subscription id 0", Frames.subscribe(0, "a"), ErrorCode.DUPLICATE_SUBSCRIPTION, false),
            Arguments.of("unknown policy", Frames.hex(
                "15 00 00 00 03 00 00 00 05 00 00 00 09 00 01 00 00 00 00 00 61"), ErrorCode.INVALID_OPTION, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"fatal", "refused"})
    void offenderGetsItsCodeAndBystandersLoseNothing(
        final String name, final byte[] datagram, final int code, final boolean fatal) throws IOException
    {
        publishBystander(50);
        try (RawClient offender = new RawClient(socket).hello())
        {
            offender.send(datagram);
            final ErrorFrame error = offender.awaitError(5_000);
            assertThat(error.code()).as(ErrorCode.name(error.code()) + ": " + error.reason()).isEqualTo(code);
            assertThat(error.fatal()).isEqualTo(fatal);
            if (fatal)
            {
                await().atMost(Duration.ofSeconds(5)).until(offender::isClosedByBroker);
            }
            else
            {
                barrier(offender);
            }
        }
        publishBystander(50);
        assertBystanderGotAll();
        assertThat(broker.counters().rejected(code)).isEqualTo(1);
    }

    @Test
    void wrongVersionIsRefused() throws IOException
    {
        try (RawClient c = new RawClient(socket))
        {
            c.send(Frames.hello(2, 3, "future"));
            final ErrorFrame error = c.awaitError(5_000);
            assertThat(error.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(error.fatal()).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(c::isClosedByBroker);
        }
    }

    @Test
    void publishBeforeHelloIsRefused() throws IOException
    {
        publishBystander(10);
        try (RawClient c = new RawClient(socket))
        {
            c.send(Frames.publish("ok.sneaky", "x"));
            assertThat(c.awaitError(5_000).code()).isEqualTo(ErrorCode.HELLO_REQUIRED);
            await().atMost(Duration.ofSeconds(5)).until(c::isClosedByBroker);
        }
        publishBystander(10);
        assertBystanderGotAll();
    }

    @Test
    void malformedDatagramTakesNoEffectAtAll() throws IOException
    {
        try (RawClient c = new RawClient(socket).hello())
        {
            // A good PUBLISH followed by a broken frame in the same datagram: refused whole.
            c.send(Frames.concat(Frames.publish("ok.ghost", "never"), Frames.hex("08 00 00 00 7f 00 00 00")));
            assertThat(c.awaitError(5_000).code()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE);
        }
        publishBystander(1);
        assertBystanderGotAll();
    }

    /**
     * SPEC.md, "Validation and error codes": HELLO is the connection's first frame and only that, checked over the
     * whole datagram as the framing is, so a second HELLO refuses the PUBLISH before it in the same datagram too.
     */
    @Test
    void secondHelloRefusesTheWholeDatagramItIsIn() throws IOException
    {
        try (RawClient c = new RawClient(socket).hello())
        {
            c.send(Frames.concat(Frames.publish("ok.ghost", "never"), Frames.hello(1, 1, "again")));
            final ErrorFrame error = c.awaitError(5_000);
            assertThat(error.code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
            assertThat(error.fatal()).isTrue();
        }
        publishBystander(1);
        assertBystanderGotAll();
    }

    @Test
    void secondHelloInTheFirstDatagramRefusesItWhole() throws IOException
    {
        try (RawClient c = new RawClient(socket))
        {
            c.send(Frames.concat(Frames.hello(1, 1, "once"), Frames.publish("ok.ghost", "never"),
                Frames.hello(1, 1, "twice")));
            final List<Integer> types = new ArrayList<>();
            final byte[] first = c.receive(5_000);
            assertThat(first).isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(first);
            for (int at = 0; at < first.length; at += Protocol.frameLength(b, at))
            {
                types.add(Protocol.frameType(b, at));
            }
            assertThat(types).as("no WELCOME: the HELLO did not take effect either").containsExactly(FrameType.ERROR);
            assertThat(b.getShort(8) & 0xFFFF).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        }
        publishBystander(1);
        assertBystanderGotAll();
    }

    @Test
    void clientThatDiesRightAfterABatchLosesNoCompleteDatagram() throws IOException
    {
        final int datagrams = 100;
        final int perDatagram = 10;
        try (RawClient c = new RawClient(socket).hello())
        {
            for (int d = 0; d < datagrams; d++)
            {
                final byte[][] frames = new byte[perDatagram][];
                for (int f = 0; f < perDatagram; f++)
                {
                    frames[f] = Frames.publish("ok.batch", "m" + (d * perDatagram + f));
                }
                c.send(Frames.concat(frames));
            }
        }
        final List<String> got = receivePayloads(bystanderSub, datagrams * perDatagram);
        assertThat(got).hasSize(datagrams * perDatagram);
        for (int i = 0; i < got.size(); i++)
        {
            assertThat(got.get(i)).isEqualTo("m" + i);
        }
        await().atMost(Duration.ofSeconds(5))
            .until(() -> broker.counters().get(BrokerCounters.CONNECTIONS_OPEN) == 2);
    }

    @Test
    void tenThousandSubscriptionsHitTheLimitAndTheConnectionGoesOn() throws IOException
    {
        final int limit = broker.context().maxSubscriptionsPerConnection();
        try (RawClient c = new RawClient(socket).hello())
        {
            final int total = 10_000;
            final int perDatagram = 100;
            for (int i = 0; i < total; i += perDatagram)
            {
                final byte[][] frames = new byte[perDatagram][];
                for (int k = 0; k < perDatagram; k++)
                {
                    frames[k] = Frames.subscribe(i + k + 1, "many." + (i + k));
                }
                c.send(Frames.concat(frames));
            }
            int tooMany = 0;
            final UnsafeBuffer b = new UnsafeBuffer(new byte[0]);
            final ErrorFrame e = new ErrorFrame();
            while (tooMany < total - limit)
            {
                final byte[] d = c.receive(5_000);
                assertThat(d).as("ERROR frames for every subscription over the limit").isNotNull();
                b.wrap(d);
                for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
                {
                    assertThat(Protocol.frameType(b, at)).isEqualTo(FrameType.ERROR);
                    e.wrap(b, at);
                    assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_SUBSCRIPTIONS);
                    assertThat(e.fatal()).isFalse();
                    tooMany++;
                }
            }
            assertThat(tooMany).isEqualTo(total - limit);
            barrier(c);
            assertThat(broker.counters().get(BrokerCounters.SUBSCRIPTIONS)).isEqualTo(limit + 1);
        }
        publishBystander(10);
        assertBystanderGotAll();
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.counters().get(BrokerCounters.SUBSCRIPTIONS) == 1);
    }

    private static byte[] deliverFrame()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
        final byte[] topic = "a.b".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer src = new UnsafeBuffer(new byte[]{'a', '.', 'b', 'x'});
        final int n = DeliverFrame.encode(b, 0, 1, 1, 1, 1, 1, 0, 0, src, 0, topic.length, 1);
        return java.util.Arrays.copyOf(b.byteArray(), n);
    }

    private void publishBystander(final int n) throws IOException
    {
        for (int i = 0; i < n; i++)
        {
            bystanderPub.send(Frames.publish("ok.msg", "b" + published++));
        }
    }

    private void assertBystanderGotAll() throws IOException
    {
        final List<String> got = receivePayloads(bystanderSub, published);
        for (int i = 0; i < published; i++)
        {
            assertThat(got.get(i)).isEqualTo("b" + i);
        }
        assertThat(bystanderSub.receive(50)).as("no extra deliveries").isNull();
    }

    private static List<String> receivePayloads(final RawClient c, final int expected) throws IOException
    {
        final List<String> payloads = new ArrayList<>();
        while (payloads.size() < expected)
        {
            final byte[] d = c.receive(5_000);
            assertThat(d).as("delivery %d of %d", payloads.size() + 1, expected).isNotNull();
            Deliveries.in(d).forEach((m) -> payloads.add(m.payload()));
        }
        return payloads;
    }

    private static void barrier(final RawClient c) throws IOException
    {
        final long token = System.nanoTime();
        c.send(Frames.ping(token));
        while (true)
        {
            final byte[] d = c.receive(5_000);
            assertThat(d).as("PONG").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.PONG && b.getLong(at + 8) == token)
                {
                    return;
                }
            }
        }
    }
}

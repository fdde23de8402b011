package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Header blocks through a real broker (SPEC.md, "Headers"): delivered with their flag, never in a run with messages
 * without one; a malformed or oversized block refuses its frame alone with INVALID_HEADERS (non-fatal, counted), and
 * the same connection's next message is delivered.
 */
class HeaderBlocksTest
{
    private static final int MAX_HEADER_BYTES = 64;
    private static final int MAX_HEADERS = 3;

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private RawClient sub;
    private RawClient pub;

    /** One delivered message: its frame's HEADERS flag and its payload (block included). */
    private record Delivered(int flag, String payload)
    {
    }

    @BeforeEach
    void start() throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test").maxHeaderBytes(MAX_HEADER_BYTES)
            .maxHeaders(MAX_HEADERS));
        sub = new RawClient(socket).hello("sub", HelloFrame.FLAG_SERVICES);
        sub.send(Frames.subscribe(1, "h.>"));
        sub.send(Frames.ping(1));
        awaitPong(sub);
        pub = new RawClient(socket).hello();
    }

    @AfterEach
    void stop() throws IOException
    {
        sub.close();
        pub.close();
        broker.close();
    }

    @Test
    void aMalformedBlockRefusesItsFrameAloneAndTheNextMessageIsDelivered() throws IOException
    {
        final byte[] good = block("traceparent", "00-abc-01", "k", "v");
        final byte[] upperCaseKey = block("Bad", "x");
        pub.send(Frames.concat(
            withHeaders(publish(concat(good, "one"))),
            withHeaders(publish(concat(upperCaseKey, "refused"))),
            Frames.publish("h.a", "two"),
            withHeaders(publish(concat(good, "three")))));
        final ErrorFrame error = pub.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.INVALID_HEADERS);
        assertThat(error.fatal()).isFalse();
        assertThat(error.reason()).contains("byte 3 of the block");

        final String goodBlock = new String(good, StandardCharsets.ISO_8859_1);
        assertThat(receive(3)).containsExactly(
            new Delivered(Protocol.FLAG_HEADERS, goodBlock + "one"),
            new Delivered(0, "two"),
            new Delivered(Protocol.FLAG_HEADERS, goodBlock + "three"));
        assertThat(broker.counters().rejected(ErrorCode.INVALID_HEADERS)).isEqualTo(1);

        pub.send(Frames.publish("h.a", "after"));
        assertThat(receive(1)).containsExactly(new Delivered(0, "after"));
    }

    /**
     * A subscriber whose HELLO lacked SERVICES predates headers: its validator would take the flag for a protocol
     * violation, so it gets the payload alone, in runs of its own kind, while the other subscriber gets the block.
     */
    @Test
    void aSubscriberFromBeforeHeadersGetsThePayloadWithoutTheBlock() throws IOException
    {
        try (RawClient old = new RawClient(socket).hello("old"))
        {
            old.send(Frames.subscribe(1, "h.>"));
            old.send(Frames.ping(2));
            awaitPong(old);
            final byte[] good = block("traceparent", "00-abc-01");
            pub.send(Frames.concat(
                withHeaders(publish(concat(good, "one"))),
                Frames.publish("h.a", "two"),
                withHeaders(publish(concat(good, "three")))));
            assertThat(receive(old, 3)).containsExactly(
                new Delivered(0, "one"), new Delivered(0, "two"), new Delivered(0, "three"));
            final String goodBlock = new String(good, StandardCharsets.ISO_8859_1);
            assertThat(receive(3)).containsExactly(
                new Delivered(Protocol.FLAG_HEADERS, goodBlock + "one"),
                new Delivered(0, "two"),
                new Delivered(Protocol.FLAG_HEADERS, goodBlock + "three"));
        }
    }

    @Test
    void blocksOverTheLimitsAreRefusedAndCounted() throws IOException
    {
        pub.send(withHeaders(publish(concat(block("k", "x".repeat(MAX_HEADER_BYTES)), "big"))));
        assertThat(pub.awaitError(5_000).reason()).contains("max_header_bytes " + MAX_HEADER_BYTES);
        pub.send(withHeaders(publish(concat(block("a", "1", "b", "2", "c", "3", "d", "4"), "many"))));
        assertThat(pub.awaitError(5_000).reason()).contains("max_headers " + MAX_HEADERS);
        pub.send(withHeaders(publish(concat(block("a", "1", "b", "2", "c", "3"), "fits"))));
        assertThat(receive(1)).hasSize(1);
        assertThat(broker.counters().rejected(ErrorCode.INVALID_HEADERS)).isEqualTo(2);
    }

    @Test
    void aBlockThatDoesNotFitRefusesItsDatagramAndTheConnectionLives() throws IOException
    {
        final byte[] pastThePayload = Frames.hex("11 00 00 00 05 01 00 00 03 00 68 2e 61 05 00 68 69");
        pub.send(pastThePayload);
        final ErrorFrame error = pub.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.INVALID_HEADERS);
        assertThat(error.fatal()).isFalse();
        pub.send(Frames.publish("h.a", "next"));
        assertThat(receive(1)).containsExactly(new Delivered(0, "next"));
    }

    private List<Delivered> receive(final int expected) throws IOException
    {
        return receive(sub, expected);
    }

    private static List<Delivered> receive(final RawClient sub, final int expected) throws IOException
    {
        final List<Delivered> got = new ArrayList<>();
        final DeliverRunFrame run = new DeliverRunFrame();
        while (got.size() < expected)
        {
            final byte[] d = sub.receive(5_000);
            assertThat(d).as("delivery %d of %d", got.size() + 1, expected).isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) != FrameType.DELIVER_RUN)
                {
                    continue;
                }
                run.wrap(b, at);
                final int flag = b.getByte(at + Protocol.FLAGS_OFFSET);
                final int end = at + run.frameLength();
                for (int entry = run.firstEntryIndex(); entry < end; )
                {
                    final int length = b.getInt(entry, Protocol.BYTE_ORDER);
                    final byte[] payload = new byte[length];
                    b.getBytes(entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, payload);
                    got.add(new Delivered(flag, new String(payload, StandardCharsets.ISO_8859_1)));
                    entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + length;
                }
            }
        }
        return got;
    }

    private static void awaitPong(final RawClient c) throws IOException
    {
        while (true)
        {
            final byte[] d = c.receive(5_000);
            assertThat(d).as("PONG").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.PONG)
                {
                    return;
                }
            }
        }
    }

    private static byte[] publish(final byte[] payload)
    {
        return Frames.publish("h.a".getBytes(StandardCharsets.UTF_8), payload);
    }

    private static byte[] block(final String... keyValues)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[HeaderBlock.MAX_BLOCK_LENGTH]);
        final HeaderBlock block = new HeaderBlock().begin(b, 0);
        for (int i = 0; i < keyValues.length; i += 2)
        {
            block.put(keyValues[i], keyValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        final byte[] out = new byte[block.finish()];
        b.getBytes(0, out);
        return out;
    }

    private static byte[] concat(final byte[] block, final String payload)
    {
        return Frames.concat(block, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] withHeaders(final byte[] publish)
    {
        publish[Protocol.FLAGS_OFFSET] = (byte)Protocol.FLAG_HEADERS;
        return publish;
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Headers;
import io.seqbus.client.Message;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ReplyFrame;
import io.seqbus.wire.RequestFrame;
import io.seqbus.wire.ResponseFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Headers on requests and replies against a real broker (SPEC.md, "Requests and replies"): a request's headers
 * reach the replier, the reply's come back to the requester, and a malformed block is refused with
 * {@code INVALID_HEADERS} without closing the connection.
 */
class RequestHeadersTest
{
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void start() throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test"));
    }

    @AfterEach
    void stop() throws Exception
    {
        for (final AutoCloseable c : closing)
        {
            c.close();
        }
        broker.close();
    }

    @Test
    void aRequestsHeadersReachTheReplierAndTheReplysComeBack() throws Exception
    {
        final BusClient service = client("service");
        final AtomicReference<Long> laterToken = new AtomicReference<>();
        service.subscribe("svc.>", (Message m) ->
        {
            final String tp = m.headers().get("traceparent");
            if (m.topic().equals("svc.later"))
            {
                laterToken.set(m.replyToken());
                return;
            }
            m.reply(("echo " + m.payloadAsString()).getBytes(StandardCharsets.UTF_8),
                Headers.of("traceparent", tp == null ? "none" : tp, "status", "ok"));
        });
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");

        final Message reply = requester.request("svc.echo", "hi".getBytes(StandardCharsets.UTF_8),
            Headers.of("traceparent", TRACEPARENT), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("echo hi");
        assertThat(reply.headers().get("traceparent")).isEqualTo(TRACEPARENT);
        assertThat(reply.headers().get("status")).isEqualTo("ok");

        final ByteBuffer direct = ByteBuffer.allocateDirect(3).put(new byte[] {'x', 'y', 'z'}).flip().position(1);
        final Message fromBuffer = requester.request("svc.echo", direct, Headers.of("traceparent", "b"),
            Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(fromBuffer.payloadAsString()).isEqualTo("echo yz");
        assertThat(fromBuffer.headers().get("traceparent")).isEqualTo("b");

        final Message plain = requester.request("svc.echo", "p".getBytes(StandardCharsets.UTF_8),
            Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(plain.payloadAsString()).isEqualTo("echo p");
        assertThat(plain.headers().get("traceparent")).isEqualTo("none");

        // Answered after the handler, by token, with headers.
        final var later = requester.request("svc.later", new byte[0], Duration.ofSeconds(5));
        org.awaitility.Awaitility.await().until(() -> laterToken.get() != null);
        service.reply(laterToken.get(), "late".getBytes(StandardCharsets.UTF_8), Headers.of("k", "v"));
        final Message lateReply = later.get(10, TimeUnit.SECONDS);
        assertThat(lateReply.payloadAsString()).isEqualTo("late");
        assertThat(lateReply.headers().get("k")).isEqualTo("v");
    }

    @Test
    void aReplyFromAByteBufferCarriesItsHeaders() throws Exception
    {
        final BusClient service = client("service");
        final AtomicReference<Long> laterToken = new AtomicReference<>();
        service.subscribe("svc.>", (Message m) ->
        {
            if (m.topic().equals("svc.later"))
            {
                laterToken.set(m.replyToken());
                return;
            }
            // A direct buffer from its position, during the handler.
            final ByteBuffer direct = ByteBuffer.allocateDirect(4).put("-abc".getBytes(StandardCharsets.UTF_8))
                .flip().position(1);
            m.reply(direct, Headers.of("content-type", "text/plain"));
            assertThat(direct.position()).isEqualTo(1);
        });
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");
        final Message reply = requester.request("svc.buffer", new byte[0], Duration.ofSeconds(5))
            .get(10, TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("abc");
        assertThat(reply.headers().get("content-type")).isEqualTo("text/plain");

        // A heap buffer with an array offset, by token after the handler.
        final var later = requester.request("svc.later", new byte[0], Duration.ofSeconds(5));
        org.awaitility.Awaitility.await().until(() -> laterToken.get() != null);
        final ByteBuffer heap = ByteBuffer.wrap("..late".getBytes(StandardCharsets.UTF_8), 1, 5).slice().position(1);
        service.reply(laterToken.get(), heap, Headers.of("k", "v", "k", "w"));
        final Message lateReply = later.get(10, TimeUnit.SECONDS);
        assertThat(lateReply.payloadAsString()).isEqualTo("late");
        assertThat(lateReply.headers().getAll("k")).containsExactly("v", "w");
    }

    @Test
    void aMalformedBlockOnARequestOrReplyIsRefusedAndTheConnectionGoesOn() throws IOException
    {
        final RawClient replier = raw(HelloFrame.FLAG_SERVICES);
        replier.send(Frames.subscribe(1, "svc.>"));
        barrier(replier);
        final RawClient older = raw(0);
        older.send(Frames.subscribe(1, "svc.>"));
        barrier(older);
        final RawClient requester = raw(HelloFrame.FLAG_SERVICES);

        requester.send(request(1, block("Traceparent", "x"), "bad"));
        final ErrorFrame error = requester.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.INVALID_HEADERS);
        assertThat(error.fatal()).isFalse();
        assertThat(barrier(requester)).doesNotContain(FrameType.RESPONSE);
        assertThat(barrier(replier)).doesNotContain(FrameType.DELIVER_REQUEST);

        requester.send(request(2, block("traceparent", TRACEPARENT), "good"));
        final UnsafeBuffer toReplier = awaitFrame(replier, FrameType.DELIVER_REQUEST);
        assertThat(toReplier.getByte(Protocol.FLAGS_OFFSET)).isEqualTo((byte)Protocol.FLAG_HEADERS);
        final DeliverRequestFrame delivered = new DeliverRequestFrame();
        delivered.wrap(toReplier, 0);
        final HeaderBlock entries = new HeaderBlock().wrap(toReplier, delivered.payloadIndex());
        assertThat(entries.next()).isTrue();
        assertThat(entries.key() + "=" + entries.value()).isEqualTo("traceparent=" + TRACEPARENT);
        assertThat(text(toReplier, delivered.payloadIndex() + entries.blockLength(),
            delivered.payloadLength() - entries.blockLength())).isEqualTo("good");
        // A subscriber from before requests (no SERVICES) is no recipient: it knows no DELIVER_REQUEST.
        assertThat(barrier(older)).doesNotContain(FrameType.DELIVER_REQUEST);

        replier.send(reply(delivered.replyToken(), block("k", "V", "Bad", "x"), "refused"));
        final ErrorFrame replyError = replier.awaitError(5_000);
        assertThat(replyError.code()).isEqualTo(ErrorCode.INVALID_HEADERS);
        assertThat(replyError.fatal()).isFalse();
        assertThat(barrier(requester)).doesNotContain(FrameType.RESPONSE);

        replier.send(reply(delivered.replyToken(), block("k", "v"), "ok"));
        final UnsafeBuffer response = awaitFrame(requester, FrameType.RESPONSE);
        assertThat(response.getByte(Protocol.FLAGS_OFFSET)).isEqualTo((byte)Protocol.FLAG_HEADERS);
        final ResponseFrame r = new ResponseFrame();
        r.wrap(response, 0);
        assertThat(r.status()).isEqualTo(ResponseFrame.REPLIED);
        assertThat(r.requestId()).isEqualTo(2);
        final HeaderBlock replyEntries = new HeaderBlock().wrap(response, r.payloadIndex());
        assertThat(replyEntries.next()).isTrue();
        assertThat(replyEntries.key() + "=" + replyEntries.value()).isEqualTo("k=v");
        assertThat(text(response, r.payloadIndex() + replyEntries.blockLength(),
            r.payloadLength() - replyEntries.blockLength())).isEqualTo("ok");
    }

    private BusClient client(final String name)
    {
        final BusClient c = BusClient.connect(new ClientOptions().socket(socket).clientName(name)
            .threadMode(ThreadMode.DEDICATED));
        closing.add(c);
        return c;
    }

    private RawClient raw(final int flags) throws IOException
    {
        final RawClient c = new RawClient(socket).hello("raw", flags);
        closing.add(c);
        return c;
    }

    private static String text(final UnsafeBuffer b, final int index, final int length)
    {
        return b.getStringWithoutLengthUtf8(index, length);
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

    private static byte[] request(final int id, final byte[] block, final String payload)
    {
        final byte[] p = Frames.concat(block, payload.getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer b = new UnsafeBuffer(new byte[RequestFrame.frameLength(5, p.length)]);
        RequestFrame.encode(b, 0, id, 60_000, "svc.a", p, 0, p.length);
        b.putByte(Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        return b.byteArray();
    }

    private static byte[] reply(final long token, final byte[] block, final String payload)
    {
        final byte[] p = Frames.concat(block, payload.getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer b = new UnsafeBuffer(new byte[ReplyFrame.frameLength(p.length)]);
        ReplyFrame.encode(b, 0, token, p, 0, p.length);
        b.putByte(Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        return b.byteArray();
    }

    private static UnsafeBuffer awaitFrame(final RawClient c, final int type) throws IOException
    {
        final long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline)
        {
            final byte[] d = c.receive(deadline - System.currentTimeMillis());
            if (d == null)
            {
                break;
            }
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == type)
                {
                    return new UnsafeBuffer(Arrays.copyOfRange(d, at, at + Protocol.frameLength(b, at)));
                }
            }
        }
        throw new AssertionError("no " + FrameType.name(type) + " within 10 s");
    }

    /** PING and wait for its PONG: what the broker did with the frames before is done. @return types seen before. */
    private static List<Integer> barrier(final RawClient c) throws IOException
    {
        final long token = System.nanoTime();
        c.send(Frames.ping(token));
        final List<Integer> seen = new ArrayList<>();
        while (true)
        {
            final byte[] d = c.receive(5_000);
            assertThat(d).as("PONG").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.PONG && b.getLong(at + 8) == token)
                {
                    return seen;
                }
                seen.add(Protocol.frameType(b, at));
            }
        }
    }
}

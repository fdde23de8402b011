package io.seqbus.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import io.seqbus.wire.StatReplyFrame;
import io.seqbus.wire.StatRequestFrame;
import io.seqbus.wire.SubscribeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The STAT document's per-client counts are exact: after a known run of traffic, what it says each client was
 * delivered, dropped and sent as GAPs is what that client received, to the message, and what a publisher
 * published is what it sent. Its patterns come back by id with their policy and bound.
 */
class StatClientCountsTest extends InProcessBrokerTest
{
    private static final int MESSAGES = 2_000;
    private static final int PAYLOAD = 1_000;
    private static final int SMALL_QUEUE = 16 * 1024;

    @Test
    void countsPerClientMatchWhatEachClientReceived() throws Exception
    {
        start(new BrokerContext());
        final RawClient newest = open(new RawClient(socket).hello("newest"));
        newest.send(subscribe(1, "s.>", SlowConsumerPolicy.DROP_NEWEST, SMALL_QUEUE));
        newest.send(subscribe(9, "t.*.y", SlowConsumerPolicy.DROP_NEWEST, SMALL_QUEUE));
        final RawClient oldest = open(new RawClient(socket).hello("oldest"));
        oldest.send(subscribe(7, "s.*", SlowConsumerPolicy.DROP_OLDEST, SMALL_QUEUE));
        final RawClient publisher = open(new RawClient(socket).hello("publisher"));
        // A PING answered means the broker has handled both subscriptions before anyone publishes.
        newest.send(Frames.ping(1));
        oldest.send(Frames.ping(1));
        awaitPong(newest);
        awaitPong(oldest);

        // Neither subscriber reads while the publisher sends: the kernel's queue to each fills, then their
        // small queues, and each policy drops.
        final byte[] one = Frames.publish("s.x", "p".repeat(PAYLOAD));
        for (int i = 0; i < MESSAGES; i++)
        {
            publisher.send(one);
        }
        publisher.send(Frames.ping(2));
        awaitPong(publisher);

        final Received toNewest = readUntil(newest, MESSAGES);
        final Received toOldest = readUntil(oldest, MESSAGES);
        assertThat(toNewest.dropped).as("a stopped drop-newest subscriber lost some").isPositive();
        assertThat(toOldest.dropped).as("a stopped drop-oldest subscriber lost some").isPositive();

        final JsonNode doc = new ObjectMapper().readTree(stat(open(new RawClient(socket).hello("stat"))));
        final JsonNode n = client(doc, "newest");
        assertThat(n.path("messages_delivered").asLong()).isEqualTo(toNewest.messages);
        assertThat(n.path("bytes_delivered").asLong()).isEqualTo(toNewest.messages * PAYLOAD);
        assertThat(toNewest.droppedOldest).isZero();
        assertThat(n.path("dropped_newest").asLong()).isEqualTo(toNewest.droppedNewest)
            .isEqualTo(MESSAGES - toNewest.messages);
        assertThat(n.path("dropped_oldest").asLong()).isZero();
        assertThat(n.path("gaps_sent").asLong()).isEqualTo(toNewest.gaps);
        assertThat(n.path("messages_published").asLong()).isZero();
        assertThat(n.path("patterns").toString()).isEqualTo(
            "[{\"id\":1,\"pattern\":\"s.>\",\"policy\":\"drop-newest\",\"queue_bytes\":" + SMALL_QUEUE + "}," +
            "{\"id\":9,\"pattern\":\"t.*.y\",\"policy\":\"drop-newest\",\"queue_bytes\":" + SMALL_QUEUE + "}]");

        // Drop-oldest queues every message and cuts older ones from the queue; only when nothing queued may go
        // any more does it drop the new one, as drop-newest does.
        final JsonNode o = client(doc, "oldest");
        assertThat(toOldest.droppedOldest).as("drop-oldest cut queued messages").isPositive();
        assertThat(o.path("dropped_oldest").asLong()).isEqualTo(toOldest.droppedOldest);
        assertThat(o.path("dropped_newest").asLong()).isEqualTo(toOldest.droppedNewest);
        assertThat(o.path("messages_delivered").asLong()).isEqualTo(MESSAGES - toOldest.droppedNewest);
        assertThat(o.path("messages_delivered").asLong() - o.path("dropped_oldest").asLong())
            .isEqualTo(toOldest.messages);
        assertThat(o.path("gaps_sent").asLong()).isEqualTo(toOldest.gaps);
        assertThat(o.path("patterns").toString()).isEqualTo(
            "[{\"id\":7,\"pattern\":\"s.*\",\"policy\":\"drop-oldest\",\"queue_bytes\":" + SMALL_QUEUE + "}]");

        final JsonNode p = client(doc, "publisher");
        assertThat(p.path("messages_published").asLong()).isEqualTo(MESSAGES);
        assertThat(p.path("bytes_published").asLong()).isEqualTo((long)MESSAGES * PAYLOAD);
        assertThat(p.path("messages_delivered").asLong()).isZero();
        assertThat(p.path("patterns").isArray()).isTrue();
        assertThat(p.path("patterns")).isEmpty();
        // The clients' counts add up to the broker's totals.
        for (final String field : new String[]{"messages_delivered", "bytes_delivered", "dropped_oldest",
            "dropped_newest", "messages_published", "bytes_published"})
        {
            long sum = 0;
            for (final JsonNode c : doc.path("clients"))
            {
                sum += c.path(field).asLong();
            }
            assertThat(sum).as(field).isEqualTo(doc.path("totals").path(field).asLong());
        }
        // Root asked: nothing is hidden from it.
        assertThat(doc.toString()).doesNotContain("patterns_hidden");
    }

    private static byte[] subscribe(final int id, final String pattern, final SlowConsumerPolicy policy, final int bound)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[SubscribeFrame.PATTERN_OFFSET + 256]);
        return Arrays.copyOf(b.byteArray(), SubscribeFrame.encode(b, 0, id, policy.code(), bound, pattern));
    }

    private static void awaitPong(final RawClient c) throws IOException
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            final byte[] d = c.receive(1_000);
            if (d != null && Protocol.frameType(new UnsafeBuffer(d), 0) == FrameType.PONG)
            {
                return;
            }
        }
        throw new AssertionError("no PONG within 10 s");
    }

    private static JsonNode client(final JsonNode doc, final String name)
    {
        for (final JsonNode c : doc.path("clients"))
        {
            if (c.path("name").asText().equals(name))
            {
                return c;
            }
        }
        throw new AssertionError("no client " + name + " in " + doc);
    }

    /** What one subscriber saw: messages delivered, messages GAPs said were dropped, GAP frames. */
    private static final class Received
    {
        long messages;
        long dropped;
        long droppedOldest;
        long droppedNewest;
        long gaps;
    }

    /** Reads until every one of {@code expected} messages arrived or was reported dropped, 30 s at most. */
    private static Received readUntil(final RawClient c, final long expected) throws IOException
    {
        final Received r = new Received();
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (r.messages + r.dropped < expected)
        {
            assertThat(System.nanoTime()).as("messages %d, dropped %d of %d", r.messages, r.dropped, expected)
                .isLessThan(deadline);
            final byte[] d = c.receive(1_000);
            if (d == null)
            {
                continue;
            }
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                final int type = Protocol.frameType(b, at);
                if (type == FrameType.DELIVER_RUN)
                {
                    r.messages += b.getInt(at + DeliverRunFrame.COUNT_OFFSET, Protocol.BYTE_ORDER);
                }
                else if (type == FrameType.DELIVER)
                {
                    r.messages++;
                }
                else if (type == FrameType.GAP)
                {
                    final int reason = b.getInt(at + GapFrame.REASON_OFFSET, Protocol.BYTE_ORDER);
                    final long count = b.getLong(at + GapFrame.COUNT_OFFSET, Protocol.BYTE_ORDER);
                    assertThat(reason).isIn(GapReason.DROPPED_NEWEST, GapReason.DROPPED_OLDEST);
                    if (reason == GapReason.DROPPED_OLDEST)
                    {
                        r.droppedOldest += count;
                    }
                    else
                    {
                        r.droppedNewest += count;
                    }
                    r.dropped += count;
                    r.gaps++;
                }
            }
        }
        return r;
    }

    /** One STAT document, asked for on a connection of its own, its chunks put back together. */
    static String stat(final RawClient c) throws IOException
    {
        final UnsafeBuffer request = new UnsafeBuffer(new byte[StatRequestFrame.LENGTH]);
        StatRequestFrame.encode(request, 0, 0, 42);
        c.send(request, StatRequestFrame.LENGTH);
        final StatReplyFrame reply = new StatReplyFrame();
        byte[] document = null;
        int received = 0;
        while (document == null || received < document.length)
        {
            final byte[] d = c.receive(5_000);
            assertThat(d).as("STAT_REPLY within 5 s").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.STAT_REPLY)
                {
                    reply.wrap(b, at);
                    if (document == null)
                    {
                        document = new byte[reply.totalLength()];
                    }
                    b.getBytes(reply.chunkIndex(), document, received, reply.chunkLength());
                    received += reply.chunkLength();
                }
            }
        }
        return new String(document, StandardCharsets.UTF_8);
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.PublishResult;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every slow-consumer policy, end to end, with a subscriber that stops reading: a raw client
 * whose socket fills while a real publisher and a real fast subscriber go on.
 */
class SlowConsumerTest
{
    private static final int PAYLOAD = 1000;
    private static final int QUEUE_BYTES = 128 * 1024;

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stop() throws Exception
    {
        for (final AutoCloseable c : closeables)
        {
            c.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    private void start(final long stallTimeoutMs) throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).maxQueueBytes(QUEUE_BYTES)
            .stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs)));
    }

    @Test
    void blockHoldsPublishersBackLosesNothingAndReleasesThem() throws Exception
    {
        start(60_000);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(1, "s.>", SlowConsumerPolicy.BLOCK.code()));
        final BusClient pub = open(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)));
        pub.sync(Duration.ofSeconds(5));

        int published = 0;
        boolean heldBack = false;
        while (!heldBack && published < 100_000)
        {
            final PublishResult r = pub.tryPublish("s.x", payload(published));
            if (r == PublishResult.OK)
            {
                published++;
            }
            else
            {
                assertThat(r).isEqualTo(PublishResult.BACK_PRESSURED);
                // Back-pressure can be the client's own batch being full for a moment; it is
                // the broker holding us back once nothing moves for a while.
                heldBack = broker.counters().get(BrokerCounters.PUBLISHER_STALLS) > 0;
            }
        }
        assertThat(heldBack).as("publisher held back after %d messages", published).isTrue();
        assertThat(published).isLessThan(100_000);
        final int total = published;

        // The subscriber reads again: every message arrives, in order, and the publisher is released.
        final Thread drain = new Thread(() -> pub.sync(Duration.ofSeconds(30)));
        drain.start();
        final Received got = receive(slow, total, 30_000);
        drain.join(30_000);
        assertThat(got.gaps).isEmpty();
        assertThat(got.sequences).hasSize(total);
        for (int i = 0; i < total; i++)
        {
            assertThat(got.sequences.get(i)).isEqualTo(i + 1L);
        }
        assertThat(pub.tryPublish("s.x", payload(total))).isEqualTo(PublishResult.OK);
        assertThat(broker.counters().get(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).isZero();
    }

    @Test
    void stallTimeoutEvictsTheSubscriberWithTheReasonAndReleasesPublishers() throws Exception
    {
        start(300);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(1, "s.>", SlowConsumerPolicy.BLOCK.code()));
        final ConcurrentLinkedQueue<Long> fast = new ConcurrentLinkedQueue<>();
        final BusClient fastSub = open(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)));
        fastSub.subscribe("s.>", (m) -> fast.add(m.sequence()));
        fastSub.sync(Duration.ofSeconds(5));

        final int n = 3_000;
        try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)
            .publishTimeout(Duration.ofSeconds(30))))
        {
            for (int i = 0; i < n; i++)
            {
                pub.publish("s.x", payload(i));
            }
            pub.sync(Duration.ofSeconds(30));
        }
        final ErrorFrame error = slow.awaitError(10_000);
        assertThat(error.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(error.fatal()).isTrue();
        assertThat(error.reason()).contains("block policy");
        await().atMost(Duration.ofSeconds(5)).until(slow::isClosedByBroker);
        await().atMost(Duration.ofSeconds(10)).until(() -> fast.size() == n);
        assertThat(broker.counters().get(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = SlowConsumerPolicy.class, names = {"DROP_OLDEST", "DROP_NEWEST"})
    void dropPoliciesNeverSlowOthersAndAccountForEveryMessage(final SlowConsumerPolicy policy) throws Exception
    {
        start(60_000);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(7, "d.>", policy.code()));
        final ConcurrentLinkedQueue<Long> fast = new ConcurrentLinkedQueue<>();
        final BusClient fastSub = open(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)));
        fastSub.subscribe("d.>", (m) -> fast.add(m.sequence()));
        fastSub.sync(Duration.ofSeconds(5));

        final int n = 5_000;
        try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
        {
            for (int i = 0; i < n; i++)
            {
                pub.publish("d.x", payload(i));
            }
            // Completes while the slow subscriber reads nothing: it holds nobody back.
            pub.sync(Duration.ofSeconds(30));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> fast.size() == n);
        assertThat(fast).containsExactlyElementsOf(sequence(1, n));

        final Received got = receive(slow, n, 30_000);
        final long dropped = got.gaps.stream().mapToLong((g) -> g[0]).sum();
        assertThat(got.sequences.size() + dropped).as("delivered + reported lost").isEqualTo(n);
        assertThat(dropped).as("the slow subscriber lost some").isPositive();
        final int reason = policy == SlowConsumerPolicy.DROP_OLDEST ? GapReason.DROPPED_OLDEST : GapReason.DROPPED_NEWEST;
        assertThat(got.gaps).allSatisfy((g) -> assertThat(g[1]).isEqualTo(reason));
        for (int i = 1; i < got.sequences.size(); i++)
        {
            assertThat(got.sequences.get(i)).isGreaterThan(got.sequences.get(i - 1));
        }
        final int counter = policy == SlowConsumerPolicy.DROP_OLDEST ?
            BrokerCounters.DROPPED_OLDEST : BrokerCounters.DROPPED_NEWEST;
        assertThat(broker.counters().get(counter)).isEqualTo(dropped);
    }

    /**
     * Two publishers interleave; a drop-oldest subscriber reads nothing. Every GAP names one publisher and its
     * node, so a client that has just reconnected can tell each publisher's drops from the hole its reconnect
     * left (SPEC.md, GAP); per publisher, what arrived and what the GAPs counted add up to what it published.
     */
    @Test
    void dropOldestGapsNameOnePublisherAndItsNode() throws Exception
    {
        start(60_000);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(7, "d.>", SlowConsumerPolicy.DROP_OLDEST.code()));
        final int n = 3_000;
        final TwoPublishers sent = publishFromTwo(n);
        final long[] ids = sent.ids();
        final int node = sent.node();

        final Received got = receive(slow, 2L * n, 30_000);
        assertThat(got.gaps).as("the slow subscriber lost some").isNotEmpty();
        assertThat(got.gaps).allSatisfy((g) ->
        {
            assertThat(g[1]).isEqualTo(GapReason.DROPPED_OLDEST);
            assertThat(g[2]).as("publisher").isIn(ids[0], ids[1]);
            assertThat(g[3]).as("source node").isEqualTo(node);
        });
        for (final long id : ids)
        {
            final long arrived = got.publishers.stream().filter((p) -> p == id).count();
            final long counted = got.gaps.stream().filter((g) -> g[2] == id).mapToLong((g) -> g[0]).sum();
            assertThat(arrived + counted).as("publisher %x", id).isEqualTo(n);
        }
    }

    /**
     * Under drop-newest one GAP covers the drops of several publishers (publisher 0), but they are all of this
     * node, as their DELIVERs say, so the GAP names the node too (SPEC.md, GAP): 0 only for several nodes.
     */
    @Test
    void dropNewestGapOverSeveralLocalPublishersNamesTheNode() throws Exception
    {
        start(60_000);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(7, "d.>", SlowConsumerPolicy.DROP_NEWEST.code()));
        final int n = 3_000;
        final int node = publishFromTwo(n).node();
        final Received got = receive(slow, 2L * n, 30_000);
        assertThat(got.gaps).as("one GAP covered drops of both publishers").anySatisfy((g) ->
            assertThat(g[2]).as("publisher").isZero());
        assertThat(got.gaps).allSatisfy((g) ->
        {
            assertThat(g[1]).isEqualTo(GapReason.DROPPED_NEWEST);
            assertThat(g[3]).as("source node").isEqualTo(node);
        });
        assertThat(got.sequences.size() + got.gaps.stream().mapToLong((g) -> g[0]).sum()).isEqualTo(2L * n);
    }

    /**
     * A disconnect eviction discards what was queued; the ERROR says how many messages (SPEC.md, "Slow
     * consumers"), so a client that reads the ERROR learns the size of what it lost there.
     */
    @Test
    void disconnectEvictionSaysHowManyQueuedMessagesItDiscarded() throws Exception
    {
        start(60_000);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(1, "c.>", SlowConsumerPolicy.DISCONNECT.code()));
        final int n = 3_000;
        try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
        {
            for (int i = 0; i < n; i++)
            {
                pub.publish("c.x", payload(i));
            }
            pub.sync(Duration.ofSeconds(30));
        }
        // What reached its socket before the eviction, then the ERROR.
        long delivered = 0;
        ErrorFrame error = null;
        while (error == null)
        {
            final byte[] d = slow.receive(10_000);
            assertThat(d).as("the ERROR").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                final int type = Protocol.frameType(b, at);
                if (type == FrameType.DELIVER || type == FrameType.DELIVER_RUN)
                {
                    delivered += Deliveries.in(java.util.Arrays.copyOfRange(d, at, at + Protocol.frameLength(b, at)))
                        .size();
                }
                else if (type == FrameType.ERROR)
                {
                    error = new ErrorFrame();
                    error.wrap(new UnsafeBuffer(java.util.Arrays.copyOfRange(d, at, d.length)), 0);
                }
            }
        }
        assertThat(error.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        final java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("; (\\d+) queued messages discarded$").matcher(error.reason());
        assertThat(m.find()).as(error.reason()).isTrue();
        final long discarded = Long.parseLong(m.group(1));
        assertThat(discarded).as("its queue of %d bytes was full", QUEUE_BYTES).isPositive();
        assertThat(delivered + discarded).as("delivered plus discarded").isLessThanOrEqualTo(n);
    }

    @Test
    void disconnectPolicyDisconnectsOnlyTheSlowSubscriber() throws Exception
    {
        start(60_000);
        final RawClient slow = open(new RawClient(socket).hello());
        slow.send(Frames.subscribe(1, "c.>", SlowConsumerPolicy.DISCONNECT.code()));
        final ConcurrentLinkedQueue<Long> fast = new ConcurrentLinkedQueue<>();
        final BusClient fastSub = open(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)));
        fastSub.subscribe("c.>", (m) -> fast.add(m.sequence()));
        fastSub.sync(Duration.ofSeconds(5));

        final int n = 3_000;
        try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
        {
            for (int i = 0; i < n; i++)
            {
                pub.publish("c.x", payload(i));
            }
            pub.sync(Duration.ofSeconds(30));
        }
        final ErrorFrame error = slow.awaitError(10_000);
        assertThat(error.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(error.reason()).contains("disconnect policy");
        await().atMost(Duration.ofSeconds(5)).until(slow::isClosedByBroker);
        await().atMost(Duration.ofSeconds(10)).until(() -> fast.size() == n);
        assertThat(broker.counters().get(BrokerCounters.DISCONNECT_EVICTIONS)).isEqualTo(1);
    }

    private <T extends AutoCloseable> T open(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    private static byte[] payload(final int i)
    {
        final byte[] p = new byte[PAYLOAD];
        p[0] = (byte)i;
        return p;
    }

    private static List<Long> sequence(final long from, final long to)
    {
        final List<Long> l = new ArrayList<>();
        for (long i = from; i <= to; i++)
        {
            l.add(i);
        }
        return l;
    }

    /**
     * What a raw subscriber read: delivered sequences in order, the publisher of each, and GAPs as
     * {count, reason, publisher, source node}.
     */
    private static final class Received
    {
        final List<Long> sequences = new ArrayList<>();
        final List<Long> publishers = new ArrayList<>();
        final List<long[]> gaps = new ArrayList<>();
    }

    private static Received receive(final RawClient c, final long accountFor, final long timeoutMs) throws IOException
    {
        final Received r = new Received();
        final GapFrame gap = new GapFrame();
        final long deadline = System.currentTimeMillis() + timeoutMs;
        long accounted = 0;
        while (accounted < accountFor && System.currentTimeMillis() < deadline)
        {
            final byte[] d = c.receive(Math.max(1, deadline - System.currentTimeMillis()));
            if (d == null)
            {
                break;
            }
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                final int type = Protocol.frameType(b, at);
                if (type == FrameType.DELIVER || type == FrameType.DELIVER_RUN)
                {
                    final byte[] frame = java.util.Arrays.copyOfRange(d, at, at + Protocol.frameLength(b, at));
                    for (final Deliveries.Delivery m : Deliveries.in(frame))
                    {
                        r.sequences.add(m.sequence());
                        r.publishers.add(m.publisherId());
                        accounted++;
                    }
                }
                else if (type == FrameType.GAP)
                {
                    gap.wrap(b, at);
                    r.gaps.add(new long[]{gap.count(), gap.reason(), gap.publisherId(), gap.sourceNode()});
                    accounted += gap.count();
                }
            }
        }
        return r;
    }

    /** The publisher ids and node of two publishers that each sent n messages, interleaved, on d.x and d.y. */
    private record TwoPublishers(long[] ids, int node)
    {
    }

    private TwoPublishers publishFromTwo(final int n)
    {
        try (BusClient first = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL));
            BusClient second = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
        {
            for (int i = 0; i < n; i++)
            {
                first.publish("d.x", payload(i));
                second.publish("d.y", payload(i));
            }
            first.sync(Duration.ofSeconds(30));
            second.sync(Duration.ofSeconds(30));
            return new TwoPublishers(new long[]{first.publisherId(), second.publisherId()}, first.nodeId());
        }
    }
}

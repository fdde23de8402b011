package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.Memfd;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import io.seqbus.wire.SubscribeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscriber that does not read its memfd payloads, under each slow-consumer policy, against a real broker in
 * this process over real sockets: what it gets (deliveries and GAPs account for every sequence exactly once),
 * who waits, who is evicted, and that every memfd goes: the broker's pool and in-flight gauges go back to 0 and
 * no /proc/self/fd link to the test's memfds is left (publisher and subscribers close their own at once, so what
 * stays open is the broker's).
 */
class DescriptorPoliciesTest
{
    private static final String MARKER = "egress-policies";
    private static final int SIZE = 64 * 1024;
    private static final int FRAME = DeliverFdsFrame.frameLength("slow.x".length(), 0);

    @TempDir
    Path dir;
    private Broker broker;
    private final List<FdClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException
    {
        for (final FdClient c : clients)
        {
            c.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void dropNewestDeliversWhatFitsItsDescriptorBoundAndCountsTheRestUntilItReads() throws Exception
    {
        start(c -> c.maxDescriptorBytesPerSubscriber(16L * SIZE));
        final FdClient sub = subscriber(SlowConsumerPolicy.DROP_NEWEST, 16 << 20);
        final FdClient pub = publisher();
        publish(pub, 1, 40);
        awaitPublished(40); // it reads nothing until then

        final Received got = readUntilAccounted(sub, 40);
        assertThat(got.delivered).as("16 × 64 KiB unread fill max_descriptor_bytes_per_subscriber")
            .isEqualTo(range(1, 16));
        assertThat(got.gapped(GapReason.DROPPED_NEWEST)).isEqualTo(range(17, 40));
        assertThat(broker.counters().get(BrokerCounters.DROPPED_NEWEST)).isEqualTo(24);

        // It has read them all: once the broker sees its socket empty (SIOCOUTQ 0), memfds reach it again.
        await().atMost(Duration.ofSeconds(10))
            .until(() -> broker.counters().get(BrokerCounters.DESCRIPTORS_IN_FLIGHT) == 0);
        publish(pub, 41, 41);
        assertThat(readUntilAccounted(sub, 1).delivered).isEqualTo(range(41, 41));
        assertNothingHeld();
    }

    @Test
    void dropOldestCutsQueuedMemfdsWhileTheInFlightBoundHoldsThemAndReleasesEachCut() throws Exception
    {
        start(c -> c.maxDescriptorsInFlight(4));
        final FdClient sub = subscriber(SlowConsumerPolicy.DROP_OLDEST, 8 * (SIZE + FRAME));
        final FdClient pub = publisher();
        publish(pub, 1, 40);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> broker.counters().get(BrokerCounters.DROPPED_OLDEST) > 0 &&
                broker.counters().get(BrokerCounters.MESSAGES_PUBLISHED) == 40);

        final Received got = readUntilAccounted(sub, 40);
        final BitSet all = (BitSet)got.delivered.clone();
        all.or(got.gapped(GapReason.DROPPED_OLDEST));
        assertThat(all).as("each sequence delivered or in a GAP").isEqualTo(range(1, 40));
        assertThat(got.delivered.get(40)).as("drop-oldest keeps the newest").isTrue();
        assertThat(got.gapped(GapReason.DROPPED_OLDEST).cardinality())
            .isEqualTo((int)broker.counters().get(BrokerCounters.DROPPED_OLDEST));
        assertThat(got.overlaps).isZero();
        assertNothingHeld();
    }

    @Test
    void blockHoldsThePublisherUntilTheStallTimeoutEvictsTheSubscriberThenReleasesEverything() throws Exception
    {
        start(c -> c.maxDescriptorsInFlight(4).stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
        final FdClient sub = subscriber(SlowConsumerPolicy.BLOCK, 4 * (SIZE + FRAME));
        final FdClient pub = publisher();
        publish(pub, 1, 30);

        await().atMost(Duration.ofSeconds(10))
            .until(() -> broker.counters().get(BrokerCounters.SLOW_CONSUMER_EVICTIONS) == 1);
        assertThat(broker.counters().get(BrokerCounters.PUBLISHER_STALLS)).isPositive();
        final ErrorFrame error = sub.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        awaitPublished(30);
        assertNothingHeld();
    }

    @Test
    void disconnectEvictsTheSubscriberAtItsDescriptorBound() throws Exception
    {
        start(c -> c.maxDescriptorBytesPerSubscriber(4L * SIZE));
        final FdClient sub = subscriber(SlowConsumerPolicy.DISCONNECT, 16 << 20);
        final FdClient pub = publisher();
        publish(pub, 1, 10);

        final ErrorFrame error = sub.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(broker.counters().get(BrokerCounters.DISCONNECT_EVICTIONS)).isEqualTo(1);
        awaitPublished(10);
        assertNothingHeld();
    }

    @Test
    void aSleepingSubscriberThatHoldsTheDescriptorPoolIsEvictedAfterTheStallTimeout() throws Exception
    {
        start(c -> c.maxDescriptorMessagesHeld(16).maxDescriptorsPerMessage(2).maxDescriptorsPerDatagram(4)
            .maxDescriptorsInFlight(2).stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
        final FdClient sub = subscriber(SlowConsumerPolicy.DROP_NEWEST, 16 << 20);
        final FdClient pub = publisher();
        publish(pub, 1, 30); // a drop policy never stalls: only the pool's own timeout frees the publisher

        awaitPublished(30);
        assertThat(broker.counters().get(BrokerCounters.TOTAL_QUEUED_EVICTIONS)).isEqualTo(1);
        assertThat(sub.awaitError(5_000).code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertNothingHeld();
    }

    @Test
    void aSubscriberThatGoesAwayWithMemfdsQueuedAndUnreadLeavesNoneOpen() throws Exception
    {
        start(c -> c.maxDescriptorsInFlight(2));
        final FdClient sub = subscriber(SlowConsumerPolicy.DROP_NEWEST, 16 << 20);
        final FdClient pub = publisher();
        publish(pub, 1, 1);
        // With none in flight a datagram goes whatever it carries; with one in flight the bound holds the rest.
        await().atMost(Duration.ofSeconds(10))
            .until(() -> broker.counters().get(BrokerCounters.DESCRIPTORS_IN_FLIGHT) > 0);
        publish(pub, 2, 12);
        awaitPublished(12);
        await("queued for it: held by the broker").atMost(Duration.ofSeconds(10))
            .until(() -> FdClient.openDescriptors(MARKER) > 0);

        sub.close(); // as a kill -9 would: nothing read, nothing said
        clients.remove(sub);
        assertNothingHeld();
    }

    @Test
    void aSubscriberWithoutDescriptorsGetsOneExactGapPerRunAndKeepsItsOtherMessages() throws Exception
    {
        start(c -> c);
        final FdClient sub = track(new FdClient(socket())).hello(false);
        sub.send(subscribe(SlowConsumerPolicy.BLOCK, 0));
        final FdClient pub = publisher();
        ping(sub);
        publish(pub, 1, 5);
        final Received got = readUntilAccounted(sub, 5);
        assertThat(got.delivered.isEmpty()).isTrue();
        assertThat(got.gapped(GapReason.DESCRIPTORS_UNSUPPORTED)).isEqualTo(range(1, 5));
        assertNothingHeld();
    }

    private void start(final UnaryOperator<BrokerContext> settings) throws IOException
    {
        broker = Broker.launch(settings.apply(new BrokerContext().socket(socket()).nodeName("test")
            .maxQueueBytesLimit(64 << 20).maxDescriptorMessagesHeld(256).maxConnections(64)));
    }

    private String socket()
    {
        return dir.resolve("bus.sock").toString();
    }

    private FdClient track(final FdClient c)
    {
        clients.add(c);
        return c;
    }

    private FdClient subscriber(final SlowConsumerPolicy policy, final int queueBytes) throws IOException
    {
        final FdClient sub = track(new FdClient(socket())).hello(true);
        sub.send(subscribe(policy, queueBytes));
        ping(sub);
        return sub;
    }

    private FdClient publisher() throws IOException
    {
        return track(new FdClient(socket())).hello(true);
    }

    /** A PING answered: what was sent before it (the SUBSCRIBE) has taken effect. */
    private static void ping(final FdClient c) throws IOException
    {
        c.send(Frames.ping(7));
        final FdClient.Datagram d = c.receive(5_000);
        assertThat(d).isNotNull();
        assertThat(Protocol.frameType(d.buffer(), 0)).isEqualTo(FrameType.PONG);
    }

    private static byte[] subscribe(final SlowConsumerPolicy policy, final int queueBytes)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        return Arrays.copyOf(b.byteArray(), SubscribeFrame.encode(b, 0, 1, policy.code(), queueBytes, "slow.>"));
    }

    /** Publishes sealed 64 KiB memfds with sequences from..to; the publisher closes each at once. */
    private static void publish(final FdClient pub, final int from, final int to) throws IOException
    {
        for (int i = from; i <= to; i++)
        {
            try (Memfd m = Memfd.create(MARKER, SIZE))
            {
                m.seal();
                pub.send(FdClient.publishMemfd("slow.x", SIZE), m.fd());
            }
        }
    }

    /** Reads until deliveries and GAP counts cover {@code messages} sequences; closes every descriptor it gets. */
    private static Received readUntilAccounted(final FdClient sub, final int messages) throws IOException
    {
        final Received got = new Received();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.accounted < messages)
        {
            assertThat(System.nanoTime()).as("only %d of %d accounted for", got.accounted, messages)
                .isLessThan(deadline);
            final FdClient.Datagram d = sub.receive(1_000);
            if (d == null)
            {
                continue;
            }
            d.closeDescriptors();
            assertThat(d.controlTruncated()).isFalse();
            final UnsafeBuffer b = d.buffer();
            int fds = 0;
            for (int at = 0; at < d.bytes().length; at += Protocol.frameLength(b, at))
            {
                final int type = Protocol.frameType(b, at);
                if (type == FrameType.DELIVER_FDS)
                {
                    fds += b.getByte(at + DeliverFdsFrame.FD_COUNT_OFFSET);
                    got.add(got.delivered, b.getLong(at + DeliverFdsFrame.SEQUENCE_OFFSET, Protocol.BYTE_ORDER), 1);
                }
                else if (type == FrameType.GAP)
                {
                    final int reason = b.getByte(at + GapFrame.REASON_OFFSET);
                    got.add(got.gapped(reason), b.getLong(at + GapFrame.FROM_SEQUENCE_OFFSET, Protocol.BYTE_ORDER),
                        b.getLong(at + GapFrame.COUNT_OFFSET, Protocol.BYTE_ORDER));
                }
            }
            assertThat(d.fds()).as("a datagram carries its frames' descriptors").hasSize(fds);
        }
        return got;
    }

    private void awaitPublished(final long messages)
    {
        await().atMost(Duration.ofSeconds(10))
            .until(() -> broker.counters().get(BrokerCounters.MESSAGES_PUBLISHED) == messages);
    }

    private void assertNothingHeld()
    {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        {
            assertThat(FdClient.openDescriptors(MARKER)).as("memfds left open in this process").isZero();
            assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_HELD)).isZero();
            assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_IN_FLIGHT)).isZero();
        });
    }

    private static BitSet range(final int from, final int to)
    {
        final BitSet b = new BitSet();
        b.set(from, to + 1);
        return b;
    }

    /** Sequences delivered and sequences told lost, by GAP reason. */
    private static final class Received
    {
        final BitSet delivered = new BitSet();
        final BitSet[] gaps = new BitSet[16];
        int accounted;
        int overlaps;

        BitSet gapped(final int reason)
        {
            if (gaps[reason] == null)
            {
                gaps[reason] = new BitSet();
            }
            return gaps[reason];
        }

        void add(final BitSet into, final long from, final long count)
        {
            for (long s = from; s < from + count; s++)
            {
                if (delivered.get((int)s) || anyGap((int)s))
                {
                    overlaps++;
                }
                into.set((int)s);
                accounted++;
            }
        }

        private boolean anyGap(final int s)
        {
            for (final BitSet g : gaps)
            {
                if (g != null && g.get(s))
                {
                    return true;
                }
            }
            return false;
        }
    }
}

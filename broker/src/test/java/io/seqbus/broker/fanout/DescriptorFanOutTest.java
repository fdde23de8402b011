package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.SlowConsumerPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fan-out of descriptor messages, with a transport that records what it is asked to send (datagram bytes and
 * descriptors) and answers as a test tells it: order with ordinary deliveries, sealing at the descriptor bound of
 * a datagram, every reference released on send, drop and clear (the pool full again, every fake descriptor closed
 * once), GAP DESCRIPTORS_UNSUPPORTED, and the per-subscriber, in-flight and ETOOMANYREFS waits.
 */
class DescriptorFanOutTest
{
    private static final int NODE = 3;
    private static final long PUBLISHER = 77;

    private final TopicIndex<Subscription> index = new TopicIndex<>(64);
    private final BrokerCounters counters = new BrokerCounters();
    private final DatagramPool datagrams = new DatagramPool(64 * 1024, 16);
    private final Backpressure backpressure = new Backpressure(datagrams, () -> false);
    private final Bounds bounds = new Bounds();
    private final List<Integer> closed = new ArrayList<>();
    private final DescriptorPool pool = new DescriptorPool(16, 8, closed::add);
    private final FanOut fanOut = new FanOut(index, counters, datagrams, bounds, backpressure, pool);
    private final UidAccounts accounts = new UidAccounts();
    private final SubscriptionRegistry registry =
        new SubscriptionRegistry(index, accounts, counters, () -> 1 << 20);
    private static final UnsafeBuffer MESSAGE = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
    private final UnsafeBuffer message = MESSAGE;
    private int nextFd = 1000;

    @Test
    void descriptorDeliveriesKeepTheirPlaceAmongOrdinaryOnesAndNoRunExtendsAcrossThem()
    {
        final Recorder t = new Recorder();
        final Subscriber s = subscriber(t, true, SlowConsumerPolicy.BLOCK, 1 << 20);

        deliver(1, "x");
        final int[] fds = deliverDescriptors(2, 2, 4096);
        deliver(3, "y");
        deliver(4, "z");
        flush();

        assertThat(t.datagrams).hasSize(1);
        assertThat(frames(t.datagrams.get(0))).containsExactly(
            "DELIVER_RUN 1x1", "DELIVER_FDS 2 fds=2 size=4096", "DELIVER_RUN 3x2");
        assertThat(t.fds.get(0)).containsExactly(fds);
        assertAllReleased(fds);
        assertThat(counters.get(BrokerCounters.DESCRIPTORS_PASSED)).isEqualTo(2);
        assertThat(counters.get(BrokerCounters.DESCRIPTOR_BYTES_PASSED)).isEqualTo(4096);
        assertThat(s.descriptorsUnread()).as("the socket has them until the peer reads").isEqualTo(2);
        assertThat(s.queuedBytes()).isZero();
    }

    @Test
    void aDatagramIsSealedWhenTheNextFramesDescriptorsWouldPassItsBound()
    {
        bounds.maxDescriptorsPerDatagram = 4;
        fanOut.refreshBounds();
        final Recorder t = new Recorder();
        subscriber(t, true, SlowConsumerPolicy.BLOCK, 1 << 20);

        final int[] a = deliverDescriptors(1, 2, 0);
        final int[] b = deliverDescriptors(2, 2, 0);
        final int[] c = deliverDescriptors(3, 3, 0);
        deliver(4, "plain");
        final int[] d = deliverDescriptors(5, 1, 0);
        flush();

        assertThat(t.datagrams).hasSize(2);
        assertThat(frames(t.datagrams.get(0))).containsExactly(
            "DELIVER_FDS 1 fds=2 size=0", "DELIVER_FDS 2 fds=2 size=0");
        assertThat(t.fds.get(0)).containsExactly(concat(a, b));
        assertThat(frames(t.datagrams.get(1))).containsExactly(
            "DELIVER_FDS 3 fds=3 size=0", "DELIVER_RUN 4x1", "DELIVER_FDS 5 fds=1 size=0");
        assertThat(t.fds.get(1)).containsExactly(concat(c, d));
        assertAllReleased(concat(a, b, c, d));
    }

    @Test
    void theKernelRefusingADatagramKeepsEveryReferenceAndAClearReleasesThem()
    {
        final Recorder t = new Recorder();
        t.answer = 0; // the peer's queue is full
        final Subscriber s = subscriber(t, true, SlowConsumerPolicy.BLOCK, 1 << 20);
        final int[] a = deliverDescriptors(1, 1, 100_000);
        final int[] b = deliverDescriptors(2, 3, 0);
        flush();
        assertThat(pool.held()).isEqualTo(2);
        assertThat(closed).isEmpty();
        assertThat(s.descriptorBytesQueued()).isEqualTo(100_000);
        assertThat(s.queuedBytes()).as("the memfd's size is charged to the queue").isGreaterThan(100_000);
        assertThat(fanOut.descriptorBytesLoad()).isEqualTo(100_000);

        s.close(); // an eviction, a close, a kill -9 of the subscriber

        assertAllReleased(concat(a, b));
        assertThat(s.queuedBytes()).isZero();
        assertThat(fanOut.descriptorBytesLoad()).isZero();
        assertThat(datagrams.queuedBytes()).isZero();
    }

    @Test
    void dropOldestReleasesTheDescriptorsOfWhatItCutsAndTheGapCountsThem()
    {
        final Recorder t = new Recorder();
        t.answer = 0;
        final Subscriber s = subscriber(t, true, SlowConsumerPolicy.DROP_OLDEST, 64 * 1024);
        final int[] a = deliverDescriptors(1, 1, 40_000);
        final int[] b = deliverDescriptors(2, 1, 40_000);
        final int[] c = deliverDescriptors(3, 1, 40_000);

        assertThat(closed).as("the first two were cut to make room").containsExactlyInAnyOrder(a[0], b[0]);
        assertThat(pool.held()).isEqualTo(1);
        assertThat(counters.get(BrokerCounters.DROPPED_OLDEST)).isEqualTo(2);

        t.answer = Integer.MAX_VALUE;
        s.onWritable();
        flush();
        final List<String> sent = new ArrayList<>();
        t.datagrams.forEach(d -> sent.addAll(frames(d)));
        // Each cut made room for one more: one GAP each, in the place of what it cut.
        assertThat(sent).containsExactly(
            "GAP reason=1 from=1 count=1", "GAP reason=1 from=2 count=1", "DELIVER_FDS 3 fds=1 size=40000");
        assertThat(t.fds.get(t.fds.size() - 1)).containsExactly(c);
        assertAllReleased(concat(a, b, c));
    }

    @Test
    void aSubscriberWithoutDescriptorsGetsExactGapsDescriptorsUnsupported()
    {
        final Recorder t = new Recorder();
        final Subscriber s = subscriber(t, false, SlowConsumerPolicy.BLOCK, 1 << 20);
        final int[] a = deliverDescriptors(1, 1, 10);
        final int[] b = deliverDescriptors(2, 1, 10);
        final int[] c = deliverDescriptors(3, 1, 10);
        final int[] d = deliverDescriptors(5, 1, 10); // 4 never came here: a second GAP, exact
        flush();
        deliver(6, "plain");
        flush();

        final List<String> sent = new ArrayList<>();
        t.datagrams.forEach(x -> sent.addAll(frames(x)));
        assertThat(sent).containsExactly(
            "GAP reason=7 from=1 count=3", "GAP reason=7 from=5 count=1", "DELIVER_RUN 6x1");
        assertThat(t.fds).allSatisfy(f -> assertThat(f).isEmpty());
        assertAllReleased(concat(a, b, c, d));
        assertThat(s.counts().descriptorsUnsupported()).isEqualTo(4);
        assertThat(s.counts().gapsSent()).isEqualTo(2);
    }

    @Test
    void aSubscriberWhoseUnreadDescriptorsReachItsBoundGetsItsPolicyUntilItReads()
    {
        bounds.maxDescriptorBytesPerSubscriber = 1000;
        fanOut.refreshBounds();
        final Recorder t = new Recorder();
        t.peerReadAll = false;
        final Subscriber s = subscriber(t, true, SlowConsumerPolicy.DROP_NEWEST, 1 << 20);
        deliverDescriptors(1, 1, 800);
        flush();
        assertThat(s.descriptorBytesUnread()).isEqualTo(800);

        final int[] dropped = deliverDescriptors(2, 1, 800);
        assertThat(closed).as("dropped, never queued").contains(dropped[0]);
        assertThat(fanOut.hasDescriptorWaiters()).isTrue();
        fanOut.refreshBounds();
        flush();
        assertThat(s.descriptorsUnread()).as("still unread: SIOCOUTQ is not 0").isEqualTo(1);

        t.peerReadAll = true;
        fanOut.refreshBounds(); // the duty cycle's re-check
        assertThat(s.descriptorsUnread()).isZero();
        flush();
        assertThat(fanOut.hasDescriptorWaiters()).isFalse();
        final int[] third = deliverDescriptors(3, 1, 800);
        flush();
        final List<String> sent = new ArrayList<>();
        t.datagrams.forEach(x -> sent.addAll(frames(x)));
        assertThat(sent).containsExactly(
            "DELIVER_FDS 1 fds=1 size=800", "GAP reason=2 from=2 count=1", "DELIVER_FDS 3 fds=1 size=800");
        assertThat(t.fds.get(t.fds.size() - 1)).containsExactly(third);
        assertThat(pool.held()).isZero();
    }

    @Test
    void sendsWaitAtTheInFlightBoundUntilAnotherSubscriberReads()
    {
        bounds.maxDescriptorsInFlight = 2;
        fanOut.refreshBounds();
        final Recorder ta = new Recorder();
        final Recorder tb = new Recorder();
        ta.peerReadAll = false;
        tb.peerReadAll = false;
        subscriber(ta, true, SlowConsumerPolicy.BLOCK, 1 << 20);
        flush();
        final int[] a = deliverDescriptors(1, 2, 0); // matches both
        final Subscriber b = subscriber(tb, true, SlowConsumerPolicy.BLOCK, 1 << 20, "b.only");
        flush();
        assertThat(fanOut.descriptorsInFlight()).isEqualTo(2);

        final int[] c = deliverDescriptors(2, 1, 0, "b.only");
        flush();
        assertThat(tb.datagrams).as("in flight is full: b waits").isEmpty();
        assertThat(fanOut.hasDescriptorWaiters()).isTrue();

        ta.peerReadAll = true;
        fanOut.refreshBounds();
        flush();
        assertThat(tb.fds).hasSize(1);
        assertThat(tb.fds.get(0)).containsExactly(c);
        assertThat(b.descriptorsUnread()).isEqualTo(1);
        assertAllReleased(concat(a, c));
    }

    @Test
    void withNothingInFlightOneDatagramGoesWhateverItCarriesButNotASecond()
    {
        bounds.maxDescriptorsInFlight = 1;
        bounds.maxDescriptorsPerDatagram = 2;
        fanOut.refreshBounds();
        final Recorder t = new Recorder();
        t.peerReadAll = false;
        subscriber(t, true, SlowConsumerPolicy.BLOCK, 1 << 20);
        final int[] a = deliverDescriptors(1, 2, 0);
        final int[] b = deliverDescriptors(2, 2, 0);
        flush();
        assertThat(t.fds).hasSize(1);
        assertThat(t.fds.get(0)).containsExactly(a);

        t.peerReadAll = true;
        fanOut.refreshBounds();
        flush();
        assertThat(t.fds).hasSize(2);
        assertThat(t.fds.get(1)).containsExactly(b);
        assertAllReleased(concat(a, b));
    }

    @Test
    void anEtoomanyrefsRefusalIsCountedAndRetriedEachDutyCycle()
    {
        final Recorder t = new Recorder();
        t.answer = Transport.TOO_MANY_REFS;
        final Subscriber s = subscriber(t, true, SlowConsumerPolicy.BLOCK, 1 << 20);
        final int[] a = deliverDescriptors(1, 1, 0);
        flush();
        assertThat(counters.get(BrokerCounters.DESCRIPTOR_REFUSALS_ETOOMANYREFS)).isEqualTo(1);
        assertThat(pool.held()).isEqualTo(1);
        assertThat(fanOut.hasDescriptorWaiters()).isTrue();

        fanOut.refreshBounds();
        flush();
        assertThat(counters.get(BrokerCounters.DESCRIPTOR_REFUSALS_ETOOMANYREFS)).isEqualTo(2);

        t.answer = Integer.MAX_VALUE;
        fanOut.refreshBounds();
        flush();
        assertThat(t.fds.get(t.fds.size() - 1)).containsExactly(a);
        assertAllReleased(a);
        assertThat(s.queuedBytes()).isZero();
        fanOut.refreshBounds();
        flush();
        assertThat(fanOut.hasDescriptorWaiters()).isFalse();
    }

    @Test
    void anEmptyPoolHoldsPublishersBackUntilDeliveriesDrain()
    {
        bounds.maxDescriptorsPerDatagram = 4;
        fanOut.refreshBounds();
        final Recorder t = new Recorder();
        t.answer = 0;
        final Subscriber s = subscriber(t, true, SlowConsumerPolicy.BLOCK, 1 << 20);
        final List<int[]> all = new ArrayList<>();
        for (int i = 1; i <= 12; i++)
        {
            all.add(deliverDescriptors(i, 1, 0));
        }
        assertThat(backpressure.holdPublishers()).as("4 left, a datagram may bring 4").isFalse();
        all.add(deliverDescriptors(13, 1, 0));
        assertThat(backpressure.holdPublishers()).isTrue();

        t.answer = Integer.MAX_VALUE;
        s.onWritable();
        flush();
        assertThat(backpressure.holdPublishers()).isFalse();
        assertAllReleased(concat(all.toArray(new int[0][])));
    }

    @Test
    void sixteenSubscribersTakeDescriptorAndOrdinaryMessagesWithoutAllocatingOnceWarm()
    {
        final int[] closes = new int[1];
        final DescriptorPool counted = new DescriptorPool(64, 8, fd -> closes[0]++);
        final TopicIndex<Subscription> idx = new TopicIndex<>(64);
        final DatagramPool buffers = new DatagramPool(64 * 1024, 64);
        final FanOut f = new FanOut(idx, counters, buffers, bounds, new Backpressure(buffers, () -> false), counted);
        final SubscriptionRegistry subscriptions = new SubscriptionRegistry(idx, accounts, counters, () -> 1 << 20);
        for (int i = 0; i < 16; i++)
        {
            final Subscriber s = f.newSubscriber(new Sink(), accounts.open(1000 + i), 1 << 20);
            s.acceptsDescriptors(i % 4 != 0); // a quarter get GAP 7 instead
            subscriptions.subscribe(s, 1, "a.>", SlowConsumerPolicy.DROP_OLDEST, 1 << 20, Subscription.costOf("a.>"));
        }
        final int[] fds = {1, 2};
        final int topicLength = put("a.b", "payload");
        final WriteCounter none = bytes -> { };
        long sequence = 1;
        for (; sequence < 2_000; sequence += 2)
        {
            cycle(f, counted, fds, topicLength, sequence, none);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        for (final long end = sequence + 20_000; sequence < end; sequence += 2)
        {
            cycle(f, counted, fds, topicLength, sequence, none);
        }
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertThat(allocated).as("bytes allocated by 10,000 cycles of two messages to 16 subscribers")
            .isLessThan(4096);
        assertThat(counted.held()).isZero();
        assertThat(closes[0]).isEqualTo(2 * (int)(sequence / 2));
    }

    private static void cycle(
        final FanOut f, final DescriptorPool counted, final int[] fds, final int topicLength, final long sequence,
        final WriteCounter counter)
    {
        f.refreshBounds();
        f.deliver(MESSAGE, 0, 3, topicLength - 3, NODE, PUBLISHER, sequence, 5, 1000, 42, 0);
        final SharedDescriptors held = counted.acquire();
        held.hold(fds, 2, 1024);
        f.deliverDescriptors(MESSAGE, 0, 3, 0, NODE, PUBLISHER, sequence + 1, 5, 1000, 42, held,
            PublishFdsFrame.MEMFD_PAYLOAD, 0);
        held.release();
        f.flushList().flushAll(counter);
    }

    private Subscriber subscriber(
        final Recorder t, final boolean descriptors, final SlowConsumerPolicy policy, final int queueBytes)
    {
        return subscriber(t, descriptors, policy, queueBytes, "a.>");
    }

    private Subscriber subscriber(
        final Recorder t, final boolean descriptors, final SlowConsumerPolicy policy, final int queueBytes,
        final String pattern)
    {
        final Subscriber s = fanOut.newSubscriber(t, accounts.open(1000), queueBytes);
        s.acceptsDescriptors(descriptors);
        registry.subscribe(s, 1, pattern, policy, queueBytes, Subscription.costOf(pattern));
        return s;
    }

    private void deliver(final long sequence, final String payload)
    {
        final int length = put("a.b", payload);
        fanOut.deliver(message, 0, 3, length - 3, NODE, PUBLISHER, sequence, 5, 1000, 42, 0);
    }

    private int[] deliverDescriptors(final long sequence, final int count, final long payloadBytes)
    {
        return deliverDescriptors(sequence, count, payloadBytes, "a.b");
    }

    /** As the reader does: acquire, hold, fan out, let go of the caller's reference. */
    private int[] deliverDescriptors(final long sequence, final int count, final long payloadBytes, final String topic)
    {
        final int[] fds = new int[count];
        for (int i = 0; i < count; i++)
        {
            fds[i] = nextFd++;
        }
        final SharedDescriptors held = pool.acquire();
        assertThat(held).isNotNull();
        held.hold(fds, count, payloadBytes);
        put(topic, "");
        fanOut.deliverDescriptors(message, 0, topic.length(), 0, NODE, PUBLISHER, sequence, 5, 1000, 42, held,
            payloadBytes > 0 ? PublishFdsFrame.MEMFD_PAYLOAD : 0, 0);
        held.release();
        return fds;
    }

    private int put(final String topic, final String payload)
    {
        final byte[] bytes = (topic + payload).getBytes(StandardCharsets.US_ASCII);
        message.putBytes(0, bytes);
        return bytes.length;
    }

    private void flush()
    {
        fanOut.flushList().flushAll(bytes -> { });
    }

    private void assertAllReleased(final int[] fds)
    {
        assertThat(closed).as("each of the broker's copies closed once").containsAll(
            Arrays.stream(fds).boxed().toList());
        assertThat(closed).doesNotHaveDuplicates();
        assertThat(pool.held()).as("the pool is full again").isZero();
        assertThat(pool.heldDescriptors()).isZero();
    }

    private static int[] concat(final int[]... arrays)
    {
        return Arrays.stream(arrays).flatMapToInt(Arrays::stream).toArray();
    }

    /** Frames of one datagram, one line each. */
    private static List<String> frames(final byte[] datagram)
    {
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        final List<String> out = new ArrayList<>();
        for (int at = 0; at < datagram.length; at += Protocol.frameLength(b, at))
        {
            final int type = Protocol.frameType(b, at);
            if (type == FrameType.DELIVER_FDS)
            {
                out.add("DELIVER_FDS " + b.getLong(at + DeliverFdsFrame.SEQUENCE_OFFSET, Protocol.BYTE_ORDER) +
                    " fds=" + b.getByte(at + DeliverFdsFrame.FD_COUNT_OFFSET) +
                    " size=" + b.getLong(at + DeliverFdsFrame.PAYLOAD_SIZE_OFFSET, Protocol.BYTE_ORDER));
            }
            else if (type == FrameType.DELIVER_RUN)
            {
                out.add("DELIVER_RUN " + b.getLong(at + DeliverRunFrame.SEQUENCE_OFFSET, Protocol.BYTE_ORDER) + "x" +
                    b.getInt(at + DeliverRunFrame.COUNT_OFFSET, Protocol.BYTE_ORDER));
            }
            else if (type == FrameType.GAP)
            {
                out.add("GAP reason=" + b.getByte(at + GapFrame.REASON_OFFSET) +
                    " from=" + b.getLong(at + GapFrame.FROM_SEQUENCE_OFFSET, Protocol.BYTE_ORDER) +
                    " count=" + b.getLong(at + GapFrame.COUNT_OFFSET, Protocol.BYTE_ORDER));
            }
            else
            {
                out.add("type " + type);
            }
        }
        return out;
    }

    private static final class Bounds implements FanOut.QueueBounds
    {
        int maxDescriptorsPerDatagram = 64;
        long maxDescriptorBytesPerSubscriber = 2L << 30;
        long maxDescriptorBytesTotal = 16L << 30;
        int maxDescriptorsInFlight = 8192;

        @Override
        public long queuedBytesPerUid()
        {
            return 1L << 40;
        }

        @Override
        public long hardQueuedMemory()
        {
            return 1L << 40;
        }

        @Override
        public long maxTotalQueuedBytes()
        {
            return 1L << 40;
        }

        @Override
        public int maxDescriptorsPerDatagram()
        {
            return maxDescriptorsPerDatagram;
        }

        @Override
        public long maxDescriptorBytesPerSubscriber()
        {
            return maxDescriptorBytesPerSubscriber;
        }

        @Override
        public long maxDescriptorBytesTotal()
        {
            return maxDescriptorBytesTotal;
        }

        @Override
        public int maxDescriptorsInFlight()
        {
            return maxDescriptorsInFlight;
        }
    }

    /** Takes every datagram and reads nothing, as a kernel with room does; its peer reads at once. */
    private static final class Sink implements Transport
    {
        @Override
        public int send(final ByteBuffer datagram, final int[] descriptors, final int fdCount)
        {
            return datagram.remaining();
        }

        @Override
        public boolean peerReadAll()
        {
            return true;
        }

        @Override
        public boolean isClosing()
        {
            return false;
        }

        @Override
        public void onWriteBlocked()
        {
        }

        @Override
        public void onWriteFailed(final IOException cause)
        {
            throw new AssertionError(cause);
        }

        @Override
        public String label()
        {
            return "sink";
        }
    }

    /** Records each datagram and its descriptors; answers as the test says. */
    private static final class Recorder implements Transport
    {
        final List<byte[]> datagrams = new ArrayList<>();
        final List<int[]> fds = new ArrayList<>();
        int answer = Integer.MAX_VALUE; // take everything
        boolean peerReadAll = true;

        @Override
        public int send(final ByteBuffer datagram, final int[] descriptors, final int fdCount)
        {
            if (answer <= 0)
            {
                return answer;
            }
            final byte[] bytes = new byte[datagram.remaining()];
            datagram.get(bytes);
            datagrams.add(bytes);
            fds.add(Arrays.copyOf(descriptors, fdCount));
            return bytes.length;
        }

        @Override
        public boolean peerReadAll() throws IOException
        {
            return peerReadAll;
        }

        @Override
        public boolean isClosing()
        {
            return false;
        }

        @Override
        public void onWriteBlocked()
        {
        }

        @Override
        public void onWriteFailed(final IOException cause)
        {
            throw new AssertionError(cause);
        }

        @Override
        public String label()
        {
            return "recorder";
        }
    }
}

package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Queue groups in the fan-out (SPEC.md, "Queue groups"), with real subscribers, queues and registry, and transports
 * that record what they are given: one member of each group gets each message, round robin, skipping a full member;
 * ordinary subscribers get everything; a departed member's queue is discarded and counted for its group.
 */
class GroupFanOutTest
{
    private static final int NODE = 3;
    private static final long PUBLISHER = 77;
    private static final int SMALL_QUEUE = 4096;

    private final TopicIndex<Subscription> index = new TopicIndex<>(64);
    private final BrokerCounters counters = new BrokerCounters();
    private final DatagramPool datagrams = new DatagramPool(64 * 1024, 16);
    private final Backpressure backpressure = new Backpressure(datagrams, () -> false);
    private final FanOut fanOut = new FanOut(index, counters, datagrams, new Bounds(), backpressure,
        new DescriptorPool(16, 8, fd -> { }));
    private final UidAccounts accounts = new UidAccounts();
    private final SubscriptionRegistry registry = new SubscriptionRegistry(index, accounts, counters, () -> 1 << 20);
    private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));

    @Test
    void eachMessageGoesToExactlyOneMemberRoundRobin()
    {
        final List<Recorder> members = threeMembersOfWorkers();

        // A duty cycle each: at low rates the turn moves on with every message.
        final int sent = 3 * 30;
        for (int i = 1; i <= sent; i++)
        {
            assertThat(deliver("orders.eu", i)).isEqualTo(1);
            flush();
        }

        final Set<Long> all = new HashSet<>();
        for (final Recorder r : members)
        {
            assertThat(r.sequences).as("a third each, round robin").hasSize(30);
            for (int k = 1; k < r.sequences.size(); k++)
            {
                assertThat(r.sequences.get(k) - r.sequences.get(k - 1)).as("one message a turn").isEqualTo(3);
            }
            for (final long s : r.sequences)
            {
                assertThat(all.add(s)).as("sequence %d delivered twice", s).isTrue();
            }
        }
        assertThat(all).hasSize(sent);
        assertThat(counters.get(BrokerCounters.GROUP_DELIVERIES)).isEqualTo(sent);
    }

    @Test
    void whatACycleCarriesGoesToOneMemberUpToAMaximumTurn()
    {
        final List<Recorder> members = threeMembersOfWorkers();

        // Three busy cycles, each shorter than a turn: each member takes one cycle's batch whole.
        final int batch = GroupDispatch.MAX_TURN - 2;
        long sequence = 0;
        for (int cycle = 0; cycle < 3; cycle++)
        {
            for (int i = 0; i < batch; i++)
            {
                deliver("orders.eu", ++sequence);
            }
            flush();
        }
        for (final Recorder r : members)
        {
            assertThat(r.sequences).as("one cycle's batch each").hasSize(batch);
            final long first = r.sequences.get(0);
            assertThat(r.sequences).as("a turn is consecutive messages").isEqualTo(range(first, first + batch - 1));
        }
        // A cycle longer than a turn: the turn ends at MAX_TURN and the next member takes the rest.
        for (int i = 0; i < GroupDispatch.MAX_TURN + 10; i++)
        {
            deliver("orders.eu", ++sequence);
        }
        flush();
        final List<Integer> taken = new java.util.ArrayList<>();
        for (final Recorder r : members)
        {
            taken.add(r.sequences.size() - batch);
        }
        assertThat(taken).containsExactlyInAnyOrder(GroupDispatch.MAX_TURN, 10, 0);
    }

    @Test
    void onlyMembersWhosePatternMatchesCompete()
    {
        final Recorder eu = new Recorder();
        final Recorder us = new Recorder();
        member(eu, "orders.eu", "workers");
        member(us, "orders.us", "workers");
        for (int i = 1; i <= 10; i++)
        {
            deliver("orders.eu", i);
        }
        flush();
        assertThat(eu.sequences).hasSize(10);
        assertThat(us.sequences).isEmpty();
    }

    @Test
    void ordinarySubscribersGetEverythingAndTwoGroupsOneCopyEach()
    {
        final Recorder plain = new Recorder();
        final Recorder plainToo = new Recorder();
        final Recorder w1 = new Recorder();
        final Recorder w2 = new Recorder();
        final Recorder audit1 = new Recorder();
        final Recorder audit2 = new Recorder();
        member(w1, "jobs", "workers");
        plain(plain, "jobs");
        member(audit1, "jobs", "audit");
        member(w2, "jobs", "workers");
        plain(plainToo, ">");
        member(audit2, "jobs", "audit");

        final int sent = 96;
        for (int i = 1; i <= sent; i++)
        {
            assertThat(deliver("jobs", i)).as("two plain, one per group").isEqualTo(4);
            flush();
        }

        assertThat(plain.sequences).hasSize(sent);
        assertThat(plainToo.sequences).hasSize(sent);
        assertThat(w1.sequences.size() + w2.sequences.size()).isEqualTo(sent);
        assertThat(audit1.sequences.size() + audit2.sequences.size()).isEqualTo(sent);
        assertThat(w1.sequences).hasSize(sent / 2);
        assertThat(audit1.sequences).hasSize(sent / 2);
        assertThat(counters.get(BrokerCounters.GROUP_DELIVERIES)).isEqualTo(2 * sent);
    }

    @Test
    void aFullMemberIsSkippedWhileAnotherHasRoom()
    {
        final Recorder stuck = new Recorder();
        stuck.answer = 0; // its socket is full: everything stays queued at the broker
        final Recorder fast = new Recorder();
        final Subscriber stuckMember = member(stuck, "jobs", "workers", SlowConsumerPolicy.DROP_NEWEST, SMALL_QUEUE);
        member(fast, "jobs", "workers", SlowConsumerPolicy.DROP_NEWEST, SMALL_QUEUE);

        for (int i = 1; i <= 1000; i++)
        {
            deliver("jobs", i);
            flush();
        }

        final long queued = stuckMember.queuedMessagesOf(1);
        assertThat(queued).as("it took its turns until its queue was full").isPositive().isLessThan(500);
        assertThat(fast.sequences).hasSize((int)(1000 - queued));
        assertThat(counters.get(BrokerCounters.DROPPED_NEWEST)).as("nothing dropped while one member had room")
            .isZero();
        assertThat(stuck.gaps).isZero();
    }

    @Test
    void allFullTheMemberAtTheCursorTakesItUnderItsPolicy()
    {
        final Recorder one = new Recorder();
        final Recorder two = new Recorder();
        one.answer = 0;
        two.answer = 0;
        final Subscriber first = member(one, "jobs", "workers", SlowConsumerPolicy.DROP_NEWEST, SMALL_QUEUE);
        final Subscriber second = member(two, "jobs", "workers", SlowConsumerPolicy.DROP_NEWEST, SMALL_QUEUE);

        final int sent = 1000;
        for (int i = 1; i <= sent; i++)
        {
            deliver("jobs", i);
            flush();
        }

        final long dropped = counters.get(BrokerCounters.DROPPED_NEWEST);
        assertThat(dropped).as("drops counted as the members' own").isPositive();
        assertThat(first.queuedMessagesOf(1) + second.queuedMessagesOf(1) + dropped).isEqualTo(sent);
        assertThat(counters.get(BrokerCounters.GROUP_DELIVERIES)).isEqualTo(sent - dropped);
    }

    @Test
    void aDepartedMembersQueueIsDiscardedAndCountedWithNoGapToTheOthers()
    {
        final Recorder gone = new Recorder();
        gone.answer = 0;
        final Recorder stays = new Recorder();
        final Subscriber leaving = member(gone, "jobs", "workers");
        member(stays, "jobs", "workers");

        final int sent = 96;
        for (int i = 1; i <= sent; i++)
        {
            deliver("jobs", i);
            flush();
        }
        final long queued = leaving.queuedMessagesOf(1);
        assertThat(queued).isEqualTo(sent / 2);

        registry.unsubscribeAll(leaving); // as a closing connection: subscriptions first, then the queue
        leaving.close();

        assertThat(counters.get(BrokerCounters.GROUP_DISCARDED)).isEqualTo(sent / 2);
        assertThat(counters.groups().discardedOf("workers")).isEqualTo(sent / 2);
        assertThat(registry.groupCount()).isEqualTo(1);

        for (int i = sent + 1; i <= sent + 10; i++)
        {
            deliver("jobs", i);
        }
        flush();
        assertThat(stays.sequences).as("the rest go to who is left").hasSize(sent / 2 + 10);
        assertThat(stays.gaps).as("no GAP to the others: they lost nothing").isZero();
    }

    @Test
    void anEvictedMembersQueueIsCountedOnce()
    {
        final Recorder gone = new Recorder();
        gone.answer = 0;
        final Subscriber evicted = member(gone, "jobs", "workers");
        for (int i = 1; i <= 20; i++)
        {
            deliver("jobs", i);
        }
        assertThat(evicted.discardQueue()).isEqualTo(20);
        registry.unsubscribeAll(evicted);
        evicted.close();
        assertThat(counters.get(BrokerCounters.GROUP_DISCARDED)).isEqualTo(20);
        assertThat(registry.groupCount()).as("forgotten with its last member").isZero();
    }

    @Test
    void aMemberUnsubscribingKeepsWhatWasQueuedAndItsLaterCloseCountsIt()
    {
        final Recorder r = new Recorder();
        r.answer = 0;
        final Subscriber s = member(r, "jobs", "workers");
        deliver("jobs", 1);
        deliver("jobs", 2);
        registry.unsubscribe(s, 1);
        assertThat(s.queuedMessagesOf(1)).as("still to be sent").isEqualTo(2);
        registry.unsubscribeAll(s);
        s.close();
        assertThat(counters.groups().discardedOf("workers")).isEqualTo(2);
    }

    @Test
    void groupDeliveryAllocatesNothingOnceWarm()
    {
        for (int m = 0; m < 3; m++)
        {
            final Subscriber s = fanOut.newSubscriber(new Sink(), accounts.open(1000 + m), 1 << 20);
            registry.subscribe(s, 1, "jobs", SlowConsumerPolicy.DROP_OLDEST, 1 << 20, Subscription.costOf("jobs"),
                "workers");
        }
        plain(new Recorder(), "other");
        final int length = put("jobs", "payload");
        long sequence = 1;
        for (; sequence < 5_000; sequence++)
        {
            fanOut.deliver(message, 0, 4, length - 4, NODE, PUBLISHER, sequence, 5, 1000, 42, 0);
            fanOut.flushList().flushAll(bytes -> { });
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        for (final long end = sequence + 200_000; sequence < end; sequence++)
        {
            fanOut.deliver(message, 0, 4, length - 4, NODE, PUBLISHER, sequence, 5, 1000, 42, 0);
            fanOut.flushList().flushAll(bytes -> { });
        }
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        // One allocation per message would be 3.2 MB at least (16 bytes each); what is left is the JIT's own.
        assertThat(allocated).as("bytes allocated by 200,000 messages to a group of 3").isLessThan(64 * 1024);
    }

    /** Three members of "workers" whose different patterns all match orders.eu. */
    private List<Recorder> threeMembersOfWorkers()
    {
        final List<Recorder> members = List.of(new Recorder(), new Recorder(), new Recorder());
        member(members.get(0), "orders.>", "workers");
        member(members.get(1), "orders.*", "workers");
        member(members.get(2), "orders.eu", "workers");
        return members;
    }

    private static List<Long> range(final long from, final long to)
    {
        final List<Long> r = new ArrayList<>();
        for (long s = from; s <= to; s++)
        {
            r.add(s);
        }
        return r;
    }

    private Subscriber member(final Recorder t, final String pattern, final String group)
    {
        return member(t, pattern, group, SlowConsumerPolicy.BLOCK, 1 << 20);
    }

    private Subscriber member(
        final Recorder t, final String pattern, final String group, final SlowConsumerPolicy policy,
        final int queueBytes)
    {
        final Subscriber s = fanOut.newSubscriber(t, accounts.open(1000), queueBytes);
        registry.subscribe(s, 1, pattern, policy, queueBytes, Subscription.costOf(pattern), group);
        return s;
    }

    private Subscriber plain(final Recorder t, final String pattern)
    {
        final Subscriber s = fanOut.newSubscriber(t, accounts.open(1000), 1 << 20);
        registry.subscribe(s, 1, pattern, SlowConsumerPolicy.BLOCK, 1 << 20, Subscription.costOf(pattern));
        return s;
    }

    private int deliver(final String topic, final long sequence)
    {
        final int length = put(topic, "p" + sequence);
        return fanOut.deliver(message, 0, topic.length(), length - topic.length(), NODE, PUBLISHER, sequence, 5,
            1000, 42, 0);
    }

    private int put(final String topic, final String payload)
    {
        final byte[] bytes = (topic + payload).getBytes(StandardCharsets.US_ASCII);
        message.putBytes(0, bytes);
        return bytes.length;
    }

    /** The end of a duty cycle: every touched subscriber flushed, then the next cycle begins (as the agent does). */
    private void flush()
    {
        fanOut.flushList().flushAll(bytes -> { });
        fanOut.refreshBounds();
    }

    private static final class Bounds implements FanOut.QueueBounds
    {
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
    }

    /** Takes every datagram, as a kernel with room does. */
    private static final class Sink extends Recorder
    {
        @Override
        public int send(final ByteBuffer datagram, final int[] descriptors, final int fdCount)
        {
            return datagram.remaining();
        }
    }

    /** Records the sequences of the messages and the GAPs it is sent; a full socket while answer is 0. */
    private static class Recorder implements Transport
    {
        final List<Long> sequences = new ArrayList<>();
        int gaps;
        int answer = Integer.MAX_VALUE;

        @Override
        public int send(final ByteBuffer datagram, final int[] descriptors, final int fdCount)
        {
            if (answer <= 0)
            {
                return answer;
            }
            final byte[] bytes = new byte[datagram.remaining()];
            datagram.get(bytes);
            final UnsafeBuffer b = new UnsafeBuffer(bytes);
            for (int at = 0; at < bytes.length; at += Protocol.frameLength(b, at))
            {
                final int type = Protocol.frameType(b, at);
                if (type == FrameType.DELIVER_RUN)
                {
                    final long first = b.getLong(at + DeliverRunFrame.SEQUENCE_OFFSET, Protocol.BYTE_ORDER);
                    final int count = b.getInt(at + DeliverRunFrame.COUNT_OFFSET, Protocol.BYTE_ORDER);
                    for (int i = 0; i < count; i++)
                    {
                        sequences.add(first + i);
                    }
                }
                else if (type == FrameType.GAP && b.getByte(at + GapFrame.REASON_OFFSET) != GapReason.RECONNECTED)
                {
                    gaps++;
                }
            }
            return bytes.length;
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
            return "recorder";
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A shared-memory subscriber that stops reading: its to_client ring fills as a socket would, and each slow-consumer
 * policy then does what it does on the socket path (SlowConsumerTest): block holds the publisher back and loses
 * nothing, drop-oldest and drop-newest account for every message with GAPs, disconnect evicts with the ERROR at the
 * end of what it had.
 */
class ShmSlowConsumerTest
{
    private static final int QUEUE_BYTES = 128 * 1024;
    private static final String PAYLOAD = "x".repeat(1000);

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

    private ShmTestClient slowSubscriber(final SlowConsumerPolicy policy) throws IOException
    {
        socket = dir.resolve("s.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING)
            .maxQueueBytes(QUEUE_BYTES).stallTimeoutNs(TimeUnit.SECONDS.toNanos(60)));
        final ShmTestClient slow = open(new ShmTestClient(socket));
        assertThat(slow.hello("slow")).isTrue();
        slow.attach();
        slow.publishRing(Frames.concat(Frames.subscribe(1, "s.>", policy.code()), Frames.ping(1)));
        assertThat(ShmHandshakeTest.types(slow.receiveRing(5_000))).containsExactly(FrameType.PONG);
        return slow;
    }

    /** Publishes n messages on a socket and waits until the broker handled them all (its PONG). */
    private void publish(final int n) throws IOException
    {
        try (RawClient pub = new RawClient(socket).hello("pub"))
        {
            for (int i = 0; i < n; i++)
            {
                pub.send(Frames.publish("s.x", PAYLOAD));
            }
            pub.send(Frames.ping(2));
            final byte[] pong = pub.receive(30_000);
            assertThat(pong).as("PONG: everything published was handled").isNotNull();
        }
    }

    @ParameterizedTest
    @EnumSource(value = SlowConsumerPolicy.class, names = {"DROP_OLDEST", "DROP_NEWEST"})
    void aFullRingDropsAndEveryMessageIsAccountedFor(final SlowConsumerPolicy policy) throws Exception
    {
        final ShmTestClient slow = slowSubscriber(policy);
        final int n = 3_000;
        publish(n);
        final Received got = receive(slow, n);
        final long dropped = got.gaps.stream().mapToLong((g) -> g[0]).sum();
        assertThat(got.sequences.size() + dropped).as("delivered + reported lost").isEqualTo(n);
        assertThat(dropped).as("the ring and the queue were full").isPositive();
        final int reason = policy == SlowConsumerPolicy.DROP_OLDEST ? GapReason.DROPPED_OLDEST : GapReason.DROPPED_NEWEST;
        assertThat(got.gaps).allSatisfy((g) -> assertThat(g[1]).isEqualTo(reason));
        for (int i = 1; i < got.sequences.size(); i++)
        {
            assertThat(got.sequences.get(i)).isGreaterThan(got.sequences.get(i - 1));
        }
        assertThat(broker.counters().get(policy == SlowConsumerPolicy.DROP_OLDEST ?
            BrokerCounters.DROPPED_OLDEST : BrokerCounters.DROPPED_NEWEST)).isEqualTo(dropped);
    }

    @Test
    void aFullRingUnderDisconnectEvictsWithTheErrorLast() throws Exception
    {
        final ShmTestClient slow = slowSubscriber(SlowConsumerPolicy.DISCONNECT);
        publish(3_000);
        ErrorFrame error = null;
        while (error == null)
        {
            final byte[] d = slow.receiveRing(10_000);
            assertThat(d).as("the ERROR").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.ERROR)
                {
                    error = new ErrorFrame();
                    error.wrap(new UnsafeBuffer(Arrays.copyOfRange(d, at, d.length)), 0);
                }
            }
        }
        assertThat(error.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(error.reason()).contains("disconnect policy");
        await().atMost(Duration.ofSeconds(5)).until(slow::isClosedByBroker);
        assertThat(broker.counters().get(BrokerCounters.DISCONNECT_EVICTIONS)).isEqualTo(1);
        assertThat(broker.counters().get(BrokerCounters.SHM_CLIENTS)).isZero();
    }

    @Test
    void aFullRingUnderBlockHoldsThePublisherBackAndLosesNothing() throws Exception
    {
        final ShmTestClient slow = slowSubscriber(SlowConsumerPolicy.BLOCK);
        final RawClient pub = open(new RawClient(socket).hello("pub"));
        final byte[] message = Frames.publish("s.x", PAYLOAD);
        int published = 0;
        // The ring, then the queue, then the broker stops reading the publisher, then the kernel's queue fills.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline)
        {
            if (pub.trySend(message))
            {
                published++;
            }
            else if (broker.counters().get(BrokerCounters.PUBLISHER_STALLS) > 0)
            {
                break;
            }
        }
        assertThat(broker.counters().get(BrokerCounters.PUBLISHER_STALLS)).as("held back").isPositive();
        assertThat(published).as("more than the ring holds").isGreaterThan(ShmHandshakeTest.RING / PAYLOAD.length());
        // It reads: the broker is woken for room, delivers the rest, and reads the publisher again.
        final Received got = receive(slow, published);
        assertThat(got.gaps).isEmpty();
        assertThat(got.sequences).hasSize(published);
        for (int i = 0; i < published; i++)
        {
            assertThat(got.sequences.get(i)).isEqualTo(i + 1L);
        }
        assertThat(broker.counters().get(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).isZero();
    }

    private <T extends AutoCloseable> T open(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    /** Delivered sequences in order, and GAPs as {count, reason}. */
    private static final class Received
    {
        final List<Long> sequences = new ArrayList<>();
        final List<long[]> gaps = new ArrayList<>();
    }

    private static Received receive(final ShmTestClient c, final long accountFor) throws IOException
    {
        final Received r = new Received();
        final GapFrame gap = new GapFrame();
        final long deadline = System.currentTimeMillis() + 30_000;
        long accounted = 0;
        while (accounted < accountFor && System.currentTimeMillis() < deadline)
        {
            final byte[] d = c.receiveRing(Math.max(1, deadline - System.currentTimeMillis()));
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
                    for (final Deliveries.Delivery m :
                        Deliveries.in(Arrays.copyOfRange(d, at, at + Protocol.frameLength(b, at))))
                    {
                        r.sequences.add(m.sequence());
                        accounted++;
                    }
                }
                else if (type == FrameType.GAP)
                {
                    gap.wrap(b, at);
                    r.gaps.add(new long[]{gap.count(), gap.reason()});
                    accounted += gap.count();
                }
            }
        }
        return r;
    }
}

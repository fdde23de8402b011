package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.SlowConsumerPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A publisher on shared memory is held back and slowed as a socket publisher is: its next record is peeked at and
 * left in the ring while publishers are held (parked), and it is not read past max_frames_per_second (throttled);
 * nothing it sent is lost either way.
 */
class ShmPublisherLimitsTest
{
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

    private void start(final BrokerContext context) throws IOException
    {
        socket = dir.resolve("p.sock").toString();
        broker = Broker.launch(context.socket(socket).shmRingBytes(ShmHandshakeTest.RING));
    }

    @Test
    void aHeldShmPublisherIsParkedWithItsRecordInTheRingAndLosesNothing() throws Exception
    {
        start(new BrokerContext().stallTimeoutNs(Duration.ofSeconds(60).toNanos()).maxQueueBytes(256 * 1024));
        final RawClient stuck = open(new RawClient(socket).hello("stuck"));
        stuck.send(Frames.concat(Frames.subscribe(1, "hot.>", SlowConsumerPolicy.BLOCK.code()), Frames.ping(1)));
        assertThat(stuck.receive(5_000)).as("PONG").isNotNull();
        final ShmTestClient pub = open(new ShmTestClient(socket));
        assertThat(pub.hello("shm-pub")).isTrue();
        pub.attach();
        final byte[] one = Frames.publish("hot.x", "h".repeat(1000));
        final byte[] eight = Frames.concat(one, one, one, one, one, one, one, one);
        final int[] records = {0};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() ->
        {
            while (pub.tryPublishRing(eight))
            {
                records[0]++;
            }
            return broker.counters().get(BrokerCounters.PUBLISHERS_PARKED) > 0;
        });
        final long published = broker.counters().get(BrokerCounters.MESSAGES_PUBLISHED);
        assertThat(published).as("held before all it wrote was taken").isLessThan(records[0] * 8L);
        final int total = records[0] * 8;

        // The stuck subscriber reads: the parked publisher's records are taken again, every one, in order.
        final List<Long> sequences = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() ->
        {
            for (byte[] d = stuck.receive(10); d != null; d = stuck.receive(10))
            {
                Deliveries.in(d).forEach((m) -> sequences.add(m.sequence()));
            }
            return sequences.size() >= total;
        });
        assertThat(sequences).hasSize(total);
        for (int i = 0; i < total; i++)
        {
            assertThat(sequences.get(i)).isEqualTo(i + 1L);
        }
        assertThat(broker.counters().get(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).isZero();
    }

    @Test
    void framesPerSecondSlowsAShmPublisherWithoutLosingAFrame() throws Exception
    {
        start(new BrokerContext().maxFramesPerSecond(500));
        final RawClient sub = open(new RawClient(socket).hello("sub"));
        sub.send(Frames.concat(Frames.subscribe(1, "r.x"), Frames.ping(1)));
        assertThat(sub.receive(5_000)).as("PONG").isNotNull();
        final ShmTestClient pub = open(new ShmTestClient(socket));
        assertThat(pub.hello("fast")).isTrue();
        pub.attach();
        final int n = 1500;
        for (int i = 0; i < n; i++)
        {
            pub.publishRing(Frames.publish("r.x", Integer.toString(i)));
        }
        final List<String> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() ->
        {
            for (byte[] d = sub.receive(10); d != null; d = sub.receive(10))
            {
                Deliveries.in(d).forEach((m) -> got.add(m.payload()));
            }
            return got.size() >= n;
        });
        for (int i = 0; i < n; i++)
        {
            assertThat(got.get(i)).isEqualTo(Integer.toString(i));
        }
        assertThat(broker.counters().get(BrokerCounters.LIMIT_FRAME_RATE)).isPositive();
    }

    private <T extends AutoCloseable> T open(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }
}

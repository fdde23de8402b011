package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.SlowConsumerPolicy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Each limit hit on purpose: the documented ERROR (or hold-back), its counter, and the broker
 * still serving another client afterwards.
 */
class LimitsTest extends InProcessBrokerTest
{
    private void assertStillHealthy() throws IOException
    {
        final AtomicInteger got = new AtomicInteger();
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            sub.subscribe("h.x", (m) -> got.incrementAndGet());
            sub.sync(Duration.ofSeconds(5));
            pub.publish("h.x", "ok".getBytes(StandardCharsets.UTF_8));
            pub.sync(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(10)).until(() -> got.get() == 1);
        }
    }

    @Test
    void connectionsPerUid() throws Exception
    {
        start(new BrokerContext().maxConnectionsPerUid(2));
        open(new RawClient(socket).hello());
        open(new RawClient(socket).hello());
        final RawClient third = open(new RawClient(socket));
        final ErrorFrame error = third.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
        assertThat(error.reason()).contains("max_connections_per_uid");
        assertThat(broker.counters().get(BrokerCounters.LIMIT_CONNECTIONS_PER_UID)).isEqualTo(1);
        // The two held are this uid's share: closing one makes room again.
        open.remove(0).close();
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.counters().get(BrokerCounters.CONNECTIONS_OPEN) == 1);
        assertThat(open(new RawClient(socket)).hello()).isNotNull();
        while (!open.isEmpty())
        {
            open.remove(open.size() - 1).close();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.counters().get(BrokerCounters.CONNECTIONS_OPEN) == 0);
        assertStillHealthy();
    }

    @Test
    void topicAndPatternLength() throws Exception
    {
        start(new BrokerContext().maxTopicLength(10));
        final RawClient c = open(new RawClient(socket).hello());
        c.send(Frames.publish("a.b.c.d.e.f", "x"));
        final ErrorFrame topic = c.awaitError(5_000);
        assertThat(topic.code()).isEqualTo(ErrorCode.INVALID_TOPIC);
        assertThat(topic.fatal()).isFalse();
        assertThat(topic.reason()).contains("max_topic_length 10");
        c.send(Frames.subscribe(7, "abcdefghij.>"));
        final ErrorFrame pattern = c.awaitError(5_000);
        assertThat(pattern.code()).isEqualTo(ErrorCode.INVALID_PATTERN);
        assertThat(pattern.ref()).isEqualTo(7);
        assertThat(broker.counters().get(BrokerCounters.LIMIT_TOPIC_LENGTH)).isEqualTo(2);
        assertStillHealthy();
    }

    @Test
    void totalQueuedBytesHoldsPublishersBackUntilSubscribersDrain() throws Exception
    {
        // Each subscriber may queue 1 MiB, but all together only 256 KiB.
        start(new BrokerContext().maxQueueBytes(1024 * 1024).maxTotalQueuedBytes(256 * 1024));
        final RawClient slow1 = open(new RawClient(socket).hello());
        final RawClient slow2 = open(new RawClient(socket).hello());
        slow1.send(Frames.subscribe(1, "t.>", SlowConsumerPolicy.BLOCK.code()));
        slow2.send(Frames.subscribe(1, "t.>", SlowConsumerPolicy.BLOCK.code()));
        final RawClient pub = open(new RawClient(socket).hello());
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.counters().get(BrokerCounters.SUBSCRIPTIONS) == 2);
        final byte[] frame = Frames.publish("t.x", "y".repeat(1000));
        final byte[] batch = Frames.concat(frame, frame, frame, frame, frame, frame, frame, frame);
        // Non-blocking sends: the kernel's queue fills once the broker stops reading this publisher.
        await().atMost(Duration.ofSeconds(20)).until(() ->
        {
            pub.trySend(batch);
            return broker.counters().get(BrokerCounters.LIMIT_TOTAL_QUEUED) > 0;
        });
        // Bounded: the broker stopped reading at the limit, which counts the buffers holding the
        // queues (one datagram of overshoot per reader).
        await().atMost(Duration.ofSeconds(5)).until(() ->
            broker.counters().get(BrokerCounters.QUEUED_MEMORY) >= 256 * 1024);
        assertThat(broker.counters().get(BrokerCounters.QUEUED_MEMORY)).isLessThan(2 * 256 * 1024);
        assertThat(broker.counters().get(BrokerCounters.QUEUED_BYTES_TOTAL)).isPositive();
        assertThat(broker.counters().get(BrokerCounters.PUBLISHER_STALLS)).isPositive();
        // The subscribers read: the queues drain, publishers go on, nobody was evicted.
        await().atMost(Duration.ofSeconds(10)).until(() ->
        {
            slow1.drain(10);
            slow2.drain(10);
            return broker.counters().get(BrokerCounters.QUEUED_BYTES_TOTAL) == 0;
        });
        assertThat(broker.counters().get(BrokerCounters.TOTAL_QUEUED_EVICTIONS)).isZero();
        assertStillHealthy();
    }

    @Test
    void framesPerSecondSlowsAFastSenderWithoutLosingAFrame() throws Exception
    {
        start(new BrokerContext().maxFramesPerSecond(500));
        final AtomicInteger got = new AtomicInteger();
        final BusClient sub = open(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)));
        sub.subscribe("r.x", (m) -> got.incrementAndGet());
        sub.sync(Duration.ofSeconds(5));
        final BusClient pub = open(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)));
        for (int i = 0; i < 1500; i++)
        {
            pub.publish("r.x", new byte[8]);
        }
        pub.sync(Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(20)).until(() -> got.get() == 1500);
        assertThat(broker.counters().get(BrokerCounters.LIMIT_FRAME_RATE)).isPositive();
        assertStillHealthy();
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import io.seqbus.wire.StatRequestFrame;
import io.seqbus.wire.SubscribeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a client with bad intent can make the broker hold, and what it gets instead: every byte
 * charged and bounded, replies counted against the queue, a handshake deadline, and a broker that
 * keeps accepting and serving while publishers are held back. In each, a good pair goes on.
 * (The same attacks as another uid, with the shipped unit's JVM options: ops' HostileUsersIT.)
 */
class HostileClientsTest extends InProcessBrokerTest
{
    private static byte[] subscribe(final int id, final String pattern, final int policy, final int maxQueueBytes)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[SubscribeFrame.PATTERN_OFFSET + 1024]);
        return Arrays.copyOf(b.byteArray(), SubscribeFrame.encode(b, 0, id, policy, maxQueueBytes, pattern));
    }

    /** A pattern of many one-letter tokens: the most index nodes a pattern can cost. */
    private static String manyTokens(final int id)
    {
        final StringBuilder sb = new StringBuilder("p" + id);
        while (sb.length() < 250)
        {
            sb.append(".a");
        }
        return sb.toString();
    }

    /** As a publisher that sends as fast as the broker takes: until the kernel's queue is full. */
    private static void sendWhileItFits(final RawClient pub, final byte[] datagram) throws IOException
    {
        for (int i = 0; i < 1000 && pub.trySend(datagram); i++)
        {
            Thread.onSpinWait();
        }
    }

    private void assertGoodPairDeliversInOrder(final String topic, final int messages) throws Exception
    {
        final List<String> got = java.util.Collections.synchronizedList(new ArrayList<>());
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            sub.subscribe(topic, (m) -> got.add(m.payloadAsString()));
            sub.sync(Duration.ofSeconds(5));
            for (int i = 0; i < messages; i++)
            {
                pub.publish(topic, Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            }
            pub.sync(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() >= messages);
        }
        assertThat(got).hasSize(messages);
        for (int i = 0; i < messages; i++)
        {
            assertThat(got.get(i)).isEqualTo(Integer.toString(i));
        }
    }

    @Test
    void subscriptionsAreChargedAndBoundedPerConnectionUidAndInTotal() throws Exception
    {
        start(new BrokerContext().maxSubscriptionBytesPerConnection(64 * 1024).maxSubscriptionBytesPerUid(96 * 1024)
            .maxTotalSubscriptionBytes(96 * 1024));
        final RawClient a = open(new RawClient(socket).hello());
        // 16 patterns of ~125 tokens: each is charged ~28 KiB, so 64 KiB holds two of them.
        for (int id = 1; id <= 16; id++)
        {
            a.send(Frames.subscribe(id, manyTokens(id)));
        }
        final ErrorFrame refused = a.awaitError(5_000);
        assertThat(refused.code()).isEqualTo(ErrorCode.TOO_MANY_SUBSCRIPTIONS);
        assertThat(refused.ref()).isEqualTo(3);
        assertThat(refused.fatal()).isFalse();
        assertThat(refused.reason()).contains("max_subscription_bytes_per_connection 65536");
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.LIMIT_SUBSCRIPTION_BYTES) == 14);
        assertThat(counter(BrokerCounters.SUBSCRIPTIONS)).isEqualTo(2);

        // The same uid on a second connection: its share (96 KiB) is what is left, not another 64 KiB.
        final RawClient b = open(new RawClient(socket).hello());
        b.send(Frames.subscribe(1, manyTokens(1)));
        b.send(Frames.subscribe(2, manyTokens(2)));
        final ErrorFrame uid = b.awaitError(5_000);
        assertThat(uid.code()).isEqualTo(ErrorCode.TOO_MANY_SUBSCRIPTIONS);
        assertThat(uid.reason()).contains("max_subscription_bytes_per_uid 98304");
        assertThat(counter(BrokerCounters.SUBSCRIPTIONS)).isEqualTo(3);

        // Closing refunds: the charge goes with the connection.
        open.remove(a);
        a.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 1);
        b.send(Frames.subscribe(3, manyTokens(3)));
        b.send(Frames.ping(7));
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 2);
        assertThat(counter(BrokerCounters.FRAMES_REJECTED + ErrorCode.TOO_MANY_SUBSCRIPTIONS)).isEqualTo(15);
        assertGoodPairDeliversInOrder("good.orders", 500);
    }

    @Test
    void aClientThatAsksForRepliesItDoesNotReadIsEvictedLikeASlowConsumer() throws Exception
    {
        start(new BrokerContext().maxQueueBytes(256 * 1024));
        // One datagram of STAT_REQUESTs: each reply is a whole document, so a few fill the queue.
        final RawClient stats = open(new RawClient(socket).hello());
        final UnsafeBuffer requests = new UnsafeBuffer(new byte[Protocol.DEFAULT_MAX_DATAGRAM]);
        int length = 0;
        for (int i = 0; length + StatRequestFrame.LENGTH <= requests.capacity(); i++)
        {
            length += StatRequestFrame.encode(requests, length, 0, i + 1);
        }
        stats.send(requests, length);
        // Many PINGs, never reading: each PONG is 16 bytes, so the queue fills after 16,384.
        final RawClient pings = open(new RawClient(socket).hello());
        final byte[] ping = Frames.ping(1);
        final byte[] batch = new byte[ping.length * 4096];
        for (int i = 0; i < 4096; i++)
        {
            System.arraycopy(ping, 0, batch, i * ping.length, ping.length);
        }
        await().atMost(Duration.ofSeconds(20)).until(() ->
        {
            pings.trySend(batch);
            return counter(BrokerCounters.REPLY_EVICTIONS) == 2;
        });
        // Counted before its ERROR is (the queue is walked for the count of what it discards in between): the
        // agent's counters are read from this thread, so wait for the second one too rather than race it.
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.FRAMES_REJECTED + ErrorCode.SLOW_CONSUMER) == 2);
        assertThat(counter(BrokerCounters.REPLY_EVICTIONS)).isEqualTo(2);
        // The STAT asker reads its SLOW_CONSUMER ERROR as the next thing: what was queued was dropped.
        final ErrorFrame e = stats.awaitError(5_000);
        assertThat(e.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(e.reason()).contains("replies it asked for", "262144 bytes");
        // The PING sender has the kernel's queue full of PONGs: its ERROR waits behind them for the
        // close linger at most, then the connection goes either way.
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.counters().get(BrokerCounters.CONNECTIONS_OPEN) == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.QUEUED_BYTES_TOTAL) == 0);
        assertGoodPairDeliversInOrder("good.orders", 500);
    }

    @Test
    void aSubscriptionsOwnQueueBoundIsHonouredBelowTheDefaultAndRefusedAboveTheLimit() throws Exception
    {
        start(new BrokerContext().maxQueueBytesLimit(8 * 1024 * 1024));
        final RawClient c = open(new RawClient(socket).hello());
        c.send(subscribe(1, "q.>", SlowConsumerPolicy.DISCONNECT.code(), 2_000_000_000));
        final ErrorFrame tooLarge = c.awaitError(5_000);
        assertThat(tooLarge.code()).isEqualTo(ErrorCode.INVALID_OPTION);
        assertThat(tooLarge.ref()).isEqualTo(1);
        assertThat(tooLarge.fatal()).isFalse();
        assertThat(tooLarge.reason()).contains("max_queue_bytes 2000000000", "max_queue_bytes_limit 8388608");
        assertThat(counter(BrokerCounters.SUBSCRIPTIONS)).isZero();

        // 32 KiB asked, 32 KiB enforced: the disconnect policy fires at 32 KiB, not at the 4 MiB default.
        c.send(subscribe(2, "q.>", SlowConsumerPolicy.DISCONNECT.code(), 32 * 1024));
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 1);
        final RawClient pub = open(new RawClient(socket).hello());
        final byte[] one = Frames.publish("q.x", "z".repeat(1000));
        final byte[] message = Frames.concat(one, one, one, one, one, one, one, one);
        await().atMost(Duration.ofSeconds(10)).until(() ->
        {
            sendWhileItFits(pub, message);
            return counter(BrokerCounters.DISCONNECT_EVICTIONS) == 1;
        });
        final ErrorFrame evicted = c.awaitError(5_000);
        assertThat(evicted.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(evicted.reason()).contains("its queue reached 32768 bytes");
        assertGoodPairDeliversInOrder("good.orders", 200);
    }

    @Test
    void theQueuesOfOneUidTogetherAreBoundedBelowTheSumOfTheirOwnBounds() throws Exception
    {
        // The uid's account is brought up to date once per duty cycle: a small read burst keeps what
        // one cycle can add (4 datagrams of 8 messages for each of 2 subscribers) small.
        start(new BrokerContext().maxQueuedBytesPerUid(256 * 1024).readBurst(4));
        // Two subscribers of one uid that never read, each allowed 1 MiB of its own.
        final RawClient a = open(new RawClient(socket).hello());
        final RawClient b = open(new RawClient(socket).hello());
        a.send(subscribe(1, "u.>", SlowConsumerPolicy.DROP_NEWEST.code(), 1024 * 1024));
        b.send(subscribe(1, "u.>", SlowConsumerPolicy.DROP_NEWEST.code(), 1024 * 1024));
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 2);
        final RawClient pub = open(new RawClient(socket).hello());
        final byte[] one = Frames.publish("u.x", "z".repeat(1000));
        final byte[] message = Frames.concat(one, one, one, one, one, one, one, one);
        await().atMost(Duration.ofSeconds(10)).until(() ->
        {
            sendWhileItFits(pub, message);
            return counter(BrokerCounters.DROPPED_NEWEST) > 1000;
        });
        assertThat(counter(BrokerCounters.LIMIT_QUEUED_PER_UID)).isPositive();
        assertThat(counter(BrokerCounters.SLOW_CONSUMER_EVICTIONS) + counter(BrokerCounters.DISCONNECT_EVICTIONS))
            .isZero();
        // Both queues together stay at the uid's bound (and one cycle's slack), far below 2 x 1 MiB.
        await().atMost(Duration.ofSeconds(2)).until(() -> counter(BrokerCounters.QUEUED_BYTES_TOTAL) > 0);
        assertThat(counter(BrokerCounters.QUEUED_BYTES_TOTAL)).isLessThanOrEqualTo(256 * 1024 + 2 * 4 * 8 * 1024);
        assertGoodPairDeliversInOrder("good.orders", 200);
    }

    @Test
    void aConnectionThatSendsNoHelloIsClosedAtTheHandshakeTimeout() throws Exception
    {
        start(new BrokerContext().handshakeTimeoutMs(300));
        final List<RawClient> silent = new ArrayList<>();
        for (int i = 0; i < 50; i++)
        {
            silent.add(open(new RawClient(socket)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.CONNECTIONS_ACCEPTED) == 50);
        await().atMost(Duration.ofSeconds(10)).until(() -> counter(BrokerCounters.HANDSHAKE_TIMEOUTS) == 50);
        for (final RawClient c : silent)
        {
            final ErrorFrame e = c.awaitError(5_000);
            assertThat(e.code()).isEqualTo(ErrorCode.HELLO_REQUIRED);
            assertThat(e.reason()).contains("no HELLO within handshake_timeout_ms 300");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.CONNECTIONS_OPEN) == 0);
        // One that says HELLO in time stays.
        final RawClient polite = open(new RawClient(socket).hello());
        polite.send(Frames.ping(3));
        assertThat(polite.frameTypes(1_000)).contains(FrameType.PONG);
        assertThat(counter(BrokerCounters.HANDSHAKE_TIMEOUTS)).isEqualTo(50);
        assertGoodPairDeliversInOrder("good.orders", 200);
    }

    @Test
    void whilePublishersAreHeldBackTheBrokerStillAcceptsHandshakesAndServesEveryoneElse() throws Exception
    {
        // A stall timeout far longer than the test: nothing here may wait for it.
        start(new BrokerContext().stallTimeoutNs(Duration.ofSeconds(60).toNanos()).maxQueueBytes(256 * 1024));
        final RawClient stuck = open(new RawClient(socket).hello());
        stuck.send(Frames.subscribe(1, "hot.>", SlowConsumerPolicy.BLOCK.code()));
        final RawClient pub = open(new RawClient(socket).hello());
        await().atMost(Duration.ofSeconds(5)).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 1);
        final byte[] one = Frames.publish("hot.x", "h".repeat(1000));
        final byte[] message = Frames.concat(one, one, one, one, one, one, one, one);
        await().atMost(Duration.ofSeconds(10)).until(() ->
        {
            sendWhileItFits(pub, message);
            return counter(BrokerCounters.PUBLISHERS_PARKED) > 0;
        });
        final long published = counter(BrokerCounters.MESSAGES_PUBLISHED);

        // Held: the publisher waits, yet a newcomer's handshake, subscription and PING are served.
        final RawClient newcomer = open(new RawClient(socket).hello());
        newcomer.send(Frames.concat(Frames.subscribe(9, "other.>"), Frames.ping(42)));
        assertThat(newcomer.frameTypes(1_000)).contains(FrameType.PONG);
        assertThat(counter(BrokerCounters.SUBSCRIPTIONS)).isEqualTo(2);
        assertThat(counter(BrokerCounters.MESSAGES_PUBLISHED)).isEqualTo(published);
        assertThat(counter(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).isZero();

        // The stuck subscriber reads: the held publisher goes on, and nothing was lost.
        final AtomicInteger delivered = new AtomicInteger();
        await().atMost(Duration.ofSeconds(20)).until(() ->
        {
            delivered.addAndGet(stuck.drain(20));
            return counter(BrokerCounters.MESSAGES_PUBLISHED) > published;
        });
        assertThat(counter(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).isZero();
        assertThat(counter(BrokerCounters.DROPPED_NEWEST) + counter(BrokerCounters.DROPPED_OLDEST)).isZero();
    }
}

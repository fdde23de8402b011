package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.SubscribeFrame;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Right after this client's reconnect, the new connection's queue at the broker drops messages of several
 * publishers, and the broker's drop GAP arrives before their next messages. The holes the reconnect left must
 * still be told: the sum of gap counts is never less than the true loss, and exact when each drop GAP names
 * its publisher (as the broker's drop-oldest GAPs do).
 * <p>
 * The story of both tests: publisher A delivered 1..10 and B 1..20; the connection broke; A's 11..13 were
 * published meanwhile (missed); after the reconnect the broker dropped A's 14..15 and B's 21, then delivered A's
 * 16 and B's 22. True loss: 6.
 */
class GapAfterReconnectTest extends ScriptedBrokerTest
{
    private static final long A = 0x8000_0000_0000_00A1L;
    private static final long B = 0x8000_0000_0000_00B2L;
    private static final long TRUE_LOSS = 6;

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong told = new AtomicLong();
    private final ConcurrentLinkedQueue<String> gaps = new ConcurrentLinkedQueue<>();
    private int subscriptionId;

    @BeforeEach
    void deliverThenReconnect() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectWith(new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).errorHandler((e) -> { }));
        client.subscribe("a.>", (m) -> delivered.incrementAndGet(), new SubscriptionOptions().gapHandler((g) ->
        {
            told.addAndGet(g.count());
            gaps.add(g.toString());
        }));
        subscriptionId = peer.next(FrameType.SUBSCRIBE).as(new SubscribeFrame()).subscriptionId();
        for (int i = 1; i <= 20; i++)
        {
            if (i <= 10)
            {
                peer.deliver(subscriptionId, A, i, "a.x", "a" + i);
            }
            peer.deliver(subscriptionId, B, i, "a.y", "b" + i);
        }
        peer.send();
        await().atMost(ScriptedBroker.WAIT).until(() -> delivered.get() == 30);

        // The broker side closes without an ERROR: the client reconnects, says HELLO and subscribes again.
        peer.close();
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.next(FrameType.SUBSCRIBE);
        peer.welcome(65536, 131072, 1).send();
        await().atMost(ScriptedBroker.WAIT).until(() -> gaps.size() == 1);
        assertThat(gaps).singleElement().asString().contains("reason=RECONNECTED").contains("count=0");
    }

    @Test
    void dropGapsThatNameTheirPublisherAreToldWithTheHoleBeforeThem() throws Exception
    {
        peer.gap(subscriptionId, A, 14, 2, GapReason.DROPPED_OLDEST)
            .gap(subscriptionId, B, 21, 1, GapReason.DROPPED_OLDEST)
            .deliver(subscriptionId, A, 16, "a.x", "a16")
            .deliver(subscriptionId, B, 22, "a.y", "b22")
            .send();
        await().atMost(ScriptedBroker.WAIT).until(() -> delivered.get() == 32);

        assertThat(told.get()).as("gaps %s", gaps).isEqualTo(TRUE_LOSS);
        assertThat(gaps).anySatisfy((g) -> assertThat(g)
            .contains("reason=RECONNECTED").contains("publisher=" + A).contains("count=3"));
    }

    @Test
    void aDropGapOfSeveralPublishersHidesNoHole() throws Exception
    {
        peer.gap(subscriptionId, 0, 0, 3, GapReason.DROPPED_NEWEST)
            .deliver(subscriptionId, A, 16, "a.x", "a16")
            .deliver(subscriptionId, B, 22, "a.y", "b22")
            .send();
        await().atMost(ScriptedBroker.WAIT).until(() -> delivered.get() == 32);

        assertThat(told.get()).as("never less than the true loss: gaps %s", gaps).isGreaterThanOrEqualTo(TRUE_LOSS);
        assertThat(gaps).anySatisfy((g) -> assertThat(g).contains("reason=RECONNECTED").contains("publisher=" + A));
    }
}

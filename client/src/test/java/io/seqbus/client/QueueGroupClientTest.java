package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.SubscribeFrame;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link SubscriptionOptions#group(String)}: the name is checked before anything is sent, the SUBSCRIBE carries it
 * (flag GROUP), the resubscribe after a reconnect keeps it, and a member's sequence holes (the messages other
 * members got) are not reported as loss after that reconnect.
 */
class QueueGroupClientTest extends ScriptedBrokerTest
{
    private static final long A = 0x8000_0000_0000_00A1L;

    @Test
    void anInvalidNameIsRefusedOnTheSpot()
    {
        final SubscriptionOptions options = new SubscriptionOptions();
        for (final String bad : new String[] {"", "a.b", "*", ">", "a b", "x".repeat(65), "tab\t"})
        {
            assertThatThrownBy(() -> options.group(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid queue group name");
        }
        assertThat(options.group("workers").group()).isEqualTo("workers");
        assertThat(options.group(null).group()).isNull();
    }

    @Test
    void aBrokerWithoutTheServicePatternsIsNotSentAGroup() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("old.sock"));
        connectWith(new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED));
        assertThatThrownBy(() -> client.subscribe("jobs", (m) -> { }, new SubscriptionOptions().group("workers")))
            .isInstanceOf(BusException.class).hasMessageContaining("does not support queue groups");
    }

    private void connectWithServices(final ClientOptions options) throws Exception
    {
        final java.util.concurrent.CompletableFuture<BusClient> connecting =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.welcomeServices(65536, 131072, 1, 4096, 32, 60_000).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Test
    void theGroupGoesWithTheSubscribeAndAgainAfterAReconnectWithoutCountingOtherMembersMessagesAsLoss()
        throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectWithServices(new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).errorHandler((e) -> { }));
        final AtomicLong delivered = new AtomicLong();
        final ConcurrentLinkedQueue<Long> gaps = new ConcurrentLinkedQueue<>();
        final Subscription s = client.subscribe("jobs.>", (m) -> delivered.incrementAndGet(),
            new SubscriptionOptions().group("workers").gapHandler((g) -> gaps.add(g.count())));
        assertThat(s.group()).isEqualTo("workers");

        SubscribeFrame sent = peer.next(FrameType.SUBSCRIBE).as(new SubscribeFrame());
        assertThat(sent.hasGroup()).isTrue();
        assertThat(sent.group()).isEqualTo("workers");
        assertThat(sent.pattern()).isEqualTo("jobs.>");
        final int id = sent.subscriptionId();
        // This member got 1, 4, 7: the others took the rest.
        peer.deliver(id, A, 1, "jobs.x", "1").deliver(id, A, 4, "jobs.x", "4").deliver(id, A, 7, "jobs.x", "7").send();
        await().atMost(ScriptedBroker.WAIT).until(() -> delivered.get() == 3);

        peer.close();
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        // A group SUBSCRIBE waits for the WELCOME that says SERVICES: an older broker would close for its flag.
        peer.welcomeServices(65536, 131072, 1, 4096, 32, 60_000).send();
        sent = peer.next(FrameType.SUBSCRIBE).as(new SubscribeFrame());
        assertThat(sent.group()).as("the resubscribe keeps the group").isEqualTo("workers");
        await().atMost(ScriptedBroker.WAIT).until(() -> gaps.size() == 1);
        peer.deliver(id, A, 12, "jobs.x", "12").send();
        await().atMost(ScriptedBroker.WAIT).until(() -> delivered.get() == 4);

        assertThat(gaps).as("the reconnect itself, count unknown; no per-publisher hole for a member")
            .containsExactly(0L);
    }

    @Test
    void aReconnectToABrokerWithoutServicesEndsTheGroupSubscriptionClearlyAndResumesTheOthers() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ConcurrentLinkedQueue<BusError> errors = new ConcurrentLinkedQueue<>();
        connectWithServices(new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).errorHandler(errors::add));
        final AtomicLong plainDelivered = new AtomicLong();
        final Subscription plain = client.subscribe("news", (m) -> plainDelivered.incrementAndGet());
        final Subscription member = client.subscribe("jobs.>", (m) -> { }, new SubscriptionOptions().group("workers"));
        peer.next(FrameType.SUBSCRIBE);
        peer.next(FrameType.SUBSCRIBE);

        // The broker is replaced by one from before the service patterns: its WELCOME has no service trailer.
        peer.close();
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        final SubscribeFrame resent = peer.next(FrameType.SUBSCRIBE).as(new SubscribeFrame());
        assertThat(resent.hasGroup()).as("no GROUP flag before WELCOME says SERVICES").isFalse();
        assertThat(resent.subscriptionId()).isEqualTo(plain.id());
        peer.welcome(65536, 131072, 1).send();

        await().atMost(ScriptedBroker.WAIT).until(() -> member.error() != null);
        assertThat(member.error().reason()).contains("queue groups need a broker with SERVICES");
        assertThat(member.isActive()).isFalse();
        assertThat(errors).anySatisfy((e) ->
            assertThat(e.reason()).contains("queue groups need a broker with SERVICES"));
        // Nothing with the flag went after the WELCOME either: the next frame is this publish.
        client.publish("news", new byte[] {1});
        peer.next(FrameType.PUBLISH);
        peer.deliver(plain.id(), A, 1, "news", "n").send();
        await().atMost(ScriptedBroker.WAIT).until(() -> plainDelivered.get() == 1);
        assertThat(plain.isActive()).isTrue();
    }
}

package io.seqbus.broker;

import io.seqbus.broker.acl.AclRule;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Subscription;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.SubscribeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Queue groups at the broker's front door (SPEC.md, "Queue groups"): a bad group name refuses that subscription
 * only (INVALID_GROUP, non-fatal), the access rules' {@code group} verb says who joins which group, and the Java
 * client's members share a topic's messages while an ordinary subscriber gets them all.
 */
class QueueGroupBrokerTest extends InProcessBrokerTest
{
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aBadGroupNameRefusesThatSubscriptionOnly() throws Exception
    {
        start(new BrokerContext());
        final RawClient c = open(new RawClient(socket).hello());
        c.send(subscribe(7, "jobs", "a.b"));
        final ErrorFrame error = c.awaitError(5_000);
        assertThat(error.code()).isEqualTo(ErrorCode.INVALID_GROUP);
        assertThat(error.fatal()).isFalse();
        assertThat(error.ref()).isEqualTo(7);
        assertThat(error.reason()).contains("invalid queue group name 'a.b'");
        c.send(subscribe(8, "jobs", ""));
        assertThat(c.awaitError(5_000).code()).isEqualTo(ErrorCode.INVALID_GROUP);
        c.send(subscribe(9, "jobs", "x".repeat(65)));
        assertThat(c.awaitError(5_000).code()).isEqualTo(ErrorCode.INVALID_GROUP);
        c.send(subscribe(10, "jobs", "workers"));
        await().atMost(WAIT).until(() -> counter(BrokerCounters.SUBSCRIPTIONS) == 1);
        assertThat(c.isClosedByBroker()).isFalse();
    }

    @Test
    void theGroupVerbSaysWhoJoinsWhichGroup() throws Exception
    {
        final int uid = (int)new com.sun.security.auth.module.UnixSystem().getUid();
        start(new BrokerContext().aclDefault("deny").aclRules(List.of(
            new AclRule(uid, -1, "uid " + uid, List.of("jobs.>"), List.of("jobs.>"), true, List.of(),
                List.of("workers")))));
        try (BusClient client = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            final Subscription allowed = client.subscribe("jobs.>", (m) -> { },
                new SubscriptionOptions().group("workers"));
            final Subscription denied = client.subscribe("jobs.>", (m) -> { },
                new SubscriptionOptions().group("billing"));
            client.sync(WAIT);
            assertThat(allowed.error()).isNull();
            assertThat(denied.error()).isNotNull();
            assertThat(denied.error().code()).isEqualTo(io.seqbus.client.ErrorCode.ACCESS_DENIED);
            assertThat(denied.error().reason()).contains("may not join queue group 'billing'");
        }
    }

    @Test
    void membersShareATopicWhileAnOrdinarySubscriberGetsEverything() throws Exception
    {
        start(new BrokerContext());
        final AtomicInteger[] got = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        final AtomicInteger plainGot = new AtomicInteger();
        final ClientOptions options = new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED);
        try (BusClient a = BusClient.connect(options); BusClient b = BusClient.connect(options);
            BusClient plain = BusClient.connect(options); BusClient pub = BusClient.connect(options))
        {
            a.subscribe("jobs.>", (m) -> got[0].incrementAndGet(), new SubscriptionOptions().group("workers"));
            b.subscribe("jobs.*", (m) -> got[1].incrementAndGet(), new SubscriptionOptions().group("workers"));
            b.subscribe("jobs.>", (m) -> got[2].incrementAndGet(), new SubscriptionOptions().group("audit"));
            plain.subscribe(">", (m) -> plainGot.incrementAndGet());
            a.sync(WAIT);
            b.sync(WAIT);
            plain.sync(WAIT);
            // One at a time, so each comes in a duty cycle of its own and the turn moves on with every message.
            for (int i = 0; i < 960; i++)
            {
                pub.publish("jobs.x", "job");
                pub.sync(WAIT);
            }
            pub.sync(WAIT);
            await().atMost(WAIT).until(() -> got[0].get() + got[1].get() == 960 && got[2].get() == 960 &&
                plainGot.get() == 960);
            assertThat(got[0].get()).isEqualTo(480);
            assertThat(counter(BrokerCounters.GROUP_DELIVERIES)).isEqualTo(2 * 960);
        }
    }

    private static byte[] subscribe(final int id, final String pattern, final String group)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[1024]);
        return Arrays.copyOf(b.byteArray(), SubscribeFrame.encode(b, 0, id, 0, 0, pattern, group));
    }
}

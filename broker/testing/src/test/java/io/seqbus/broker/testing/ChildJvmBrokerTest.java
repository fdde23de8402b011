package io.seqbus.broker.testing;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.broker.acl.AclRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The broker in a child JVM, as a test JVM without the flag gets it (asked for here, as this JVM has the flag):
 * the same socket, settings and restart as in-process, and no child left behind.
 */
class ChildJvmBrokerTest
{
    private static final int UID = (int)new com.sun.security.auth.module.UnixSystem().getUid();

    @RegisterExtension
    final SeqbusBroker broker = new SeqbusBroker().inChildJvm().configure((c) -> c
        .maxPayload(1000)
        .nodeName("child-node")
        .aclDefault("deny")
        .aclRules(List.of(new AclRule(UID, -1, "tester", List.of("orders.>"), List.of("orders.>"), false))));

    @Test
    void servesWithTheSettingsTheTestGave()
    {
        assertThat(broker.runsInChildJvm()).isTrue();
        assertThat(broker.broker()).isNull();
        assertThat(ProcessHandle.of(broker.childPid())).hasValueSatisfying((p) -> assertThat(p.isAlive()).isTrue());
        final List<String> got = new CopyOnWriteArrayList<>();
        final List<String> errors = new CopyOnWriteArrayList<>();
        try (BusClient bus = BusClient.connect(options().errorHandler((e) -> errors.add(e.name()))))
        {
            assertThat(bus.maxPayload()).isEqualTo(1000);
            assertThat(bus.nodeName()).isEqualTo("child-node");
            bus.subscribe("orders.>", (m) -> got.add(m.topic() + " " + m.payloadAsString() + " " + m.publisherPid()));
            bus.sync(Duration.ofSeconds(5));
            bus.publish("orders.eu.created", "one");
            // The ACL crossed too: this uid may publish orders.> only.
            bus.publish("prices.eu", "no");
            bus.sync(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1 && errors.size() == 1);
            assertThatThrownBy(() -> bus.publish("prices.eu", "again")).hasMessageContaining("rules for tester");
        }
        assertThat(got).containsExactly("orders.eu.created one " + ProcessHandle.current().pid());
        assertThat(errors).containsExactly("ACCESS_DENIED");
    }

    @Test
    void restartsOnTheSameSocketAndLeavesNoChildBehind()
    {
        final long first = broker.childPid();
        try (BusClient bus = BusClient.connect(options()))
        {
            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            assertThat(ProcessHandle.of(first).filter(ProcessHandle::isAlive)).isEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> !bus.isConnected());
            final long startNs = System.nanoTime();
            broker.start();
            System.out.printf("a broker in a child JVM accepted connections %d ms after start()%n",
                (System.nanoTime() - startNs) / 1_000_000);
            assertThat(broker.childPid()).isNotEqualTo(first);
            await().atMost(Duration.ofSeconds(20)).until(bus::isConnected);
        }
    }

    @Test
    void aBrokerThatCannotStartSaysSoAndLeavesNoChild()
    {
        final SeqbusBroker bad = new SeqbusBroker().inChildJvm().configure((c) -> c.maxTotalQueuedBytes(Integer.MAX_VALUE));

        assertThatThrownBy(() -> bad.beforeAll(null))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("exited with status 1 before it accepted connections");
        assertThat(bad.isRunning()).isFalse();
    }

    private ClientOptions options()
    {
        return new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(100));
    }
}

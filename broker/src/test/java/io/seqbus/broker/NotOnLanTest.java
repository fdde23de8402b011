package io.seqbus.broker;

import io.seqbus.broker.acl.AclRule;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.Memfd;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Descriptors cannot cross hosts: on a topic shared with the LAN a broker refuses NOT_ON_LAN (not fatal) a memfd
 * payload over lan.max_payload, and descriptors besides the payload even where pass_fds grants them; a memfd within
 * the bound goes on. Nothing is left open. One broker with a bridge on loopback (ports 47300-47301).
 */
class NotOnLanTest
{
    private static final String MARKER = "ingress-lan";
    private static final long LAN_MAX = 4096;

    @TempDir
    Path dir;

    @Test
    void sharedTopicsRefuseWhatCannotCrossTheLan() throws Exception
    {
        final String socket = dir.resolve("lan.sock").toString();
        final int before = FdClient.openDescriptors(MARKER);
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).nodeName("lan-a")
            .lanChannel("aeron:udp?endpoint=127.0.0.1:47300").lanPeers("127.0.0.1:47300,127.0.0.1:47301")
            .lanTopics("shared.>").lanMaxPayload(LAN_MAX).aeronDir(dir.resolve("aeron").toString())
            .aclRules(List.of(new AclRule(0, -1, "uid 0", List.of(">"), List.of(">"), true, List.of(">")))));
            FdClient publisher = new FdClient(socket).hello(true))
        {
            try (Memfd big = sealed(LAN_MAX + 1))
            {
                publisher.send(FdClient.publishMemfd("shared.big", LAN_MAX + 1), big.fd());
            }
            ErrorFrame error = publisher.awaitError(5_000);
            assertThat(error.code()).isEqualTo(ErrorCode.NOT_ON_LAN);
            assertThat(error.fatal()).isFalse();
            assertThat(error.reason()).contains("lan.max_payload " + LAN_MAX);

            try (Memfd a = sealed(16); Memfd b = sealed(16))
            {
                publisher.send(FdClient.publishFds("shared.fds", 2, 0, 0, "hi".getBytes()), a.fd(), b.fd());
            }
            error = publisher.awaitError(5_000);
            assertThat(error.code()).isEqualTo(ErrorCode.NOT_ON_LAN);
            assertThat(error.reason()).contains("cannot cross hosts");

            try (Memfd small = sealed(LAN_MAX); Memfd a = sealed(16); Memfd b = sealed(16))
            {
                publisher.send(FdClient.publishMemfd("shared.small", LAN_MAX), small.fd());
                publisher.send(FdClient.publishFds("local.fds", 2, 0, 0, "hi".getBytes()), a.fd(), b.fd());
            }
            await().atMost(Duration.ofSeconds(5)).until(() ->
                broker.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED) == 3);
            assertThat(broker.counters().get(BrokerCounters.DESCRIPTOR_REFUSALS_LAN)).isEqualTo(2);
            assertThat(broker.counters().rejected(ErrorCode.NOT_ON_LAN)).isEqualTo(2);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(FdClient.openDescriptors(MARKER)).isEqualTo(before));
    }

    private static Memfd sealed(final long size) throws java.io.IOException
    {
        final Memfd m = Memfd.create(MARKER, size);
        m.seal();
        return m;
    }
}

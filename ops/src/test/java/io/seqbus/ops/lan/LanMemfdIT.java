package io.seqbus.ops.lan;

import io.seqbus.ops.lan.NetnsLan.Started;
import io.seqbus.sys.SealedMemfd;
import io.seqbus.wire.ErrorCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memfd payloads between two real brokers on two hosts (network namespaces, {@link NetnsLan}) under 5% loss
 * towards the receiving host (nftables): 8 MiB payloads, interleaved with small messages, arrive identical (CRC32)
 * and in order, as sealed memfds; on the shared topic, 8 MiB + 1 byte and any descriptor besides a payload are
 * refused with {@code NOT_ON_LAN}. The clients are raw ({@link MemfdLanClient}: SCM_RIGHTS through module sys).
 * Runs as root (CI does); fails without root, iproute2 or nftables.
 */
class LanMemfdIT
{
    private static final String GROUP = "239.255.74.51:47453";
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(300);
    private static final int ROUNDS = 12;
    private static final long SIZE = 8L * 1024 * 1024;

    private static NetnsLan lan;

    @BeforeAll
    static void buildLan() throws Exception
    {
        lan = NetnsLan.create(2);
    }

    @AfterAll
    static void removeLan()
    {
        if (lan != null)
        {
            lan.close();
        }
    }

    @Test
    void eightMibPayloadsCrossUnderLossIdenticalAndInOrderAndLargerOnesAreRefused() throws Exception
    {
        final Path config = lan.dir().resolve("memfd.toml");
        // Root may pass other descriptors on shared topics, so that the LAN rule is what refuses them; the
        // descriptor bounds fit this machine's RLIMIT_NOFILE.
        Files.writeString(config, String.join("\n",
            "max_descriptor_messages_held = 256",
            "max_connections = 256",
            "[[acl.rule]]",
            "uid = 0",
            "publish = [\">\"]",
            "subscribe = [\">\"]",
            "pass_fds = [\">\"]", ""));
        final Started a = lan.broker('a', args(config));
        final Started b = lan.broker('b', args(config));
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        b.awaitLine("peer " + lan.nodeName('a') + " (node", START);
        lan.impair('b', 5, 0, 0);

        final Started sub = lan.memfdClient('b', "sub-b", "sub", lan.socket('b'), "shared.end", "shared.>");
        sub.awaitLine("READY", START);
        final Started pub = lan.memfdClient('a', "pub-a", "pub", lan.socket('a'), Integer.toString(ROUNDS),
            Long.toString(SIZE));
        assertThat(pub.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS)).as(pub.text()).isTrue();
        assertThat(pub.process().exitValue()).as(pub.text()).isZero();
        assertThat(sub.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS))
            .as(sub.text() + "\n" + b.text()).isTrue();

        final List<String> published = pub.lines().stream().filter(l -> l.startsWith("P ")).toList();
        assertThat(published).hasSize(ROUNDS);
        final List<String> refusals = pub.lines().stream().filter(l -> l.startsWith("E ")).toList();
        assertThat(refusals).as("8 MiB + 1, a payload with a descriptor beside it, a descriptor alone").hasSize(3)
            .allMatch(l -> l.startsWith("E " + ErrorCode.NOT_ON_LAN + " "));
        assertThat(refusals.get(0)).contains("lan.max_payload");

        final List<String[]> received = sub.lines().stream().filter(l -> l.startsWith("D ") || l.startsWith("M "))
            .map(l -> l.split(" ")).toList();
        assertThat(sub.lines()).as("no loss reached the subscriber").noneMatch(l -> l.startsWith("G "));
        assertThat(received).hasSize(2 * ROUNDS + 1);
        for (int i = 0; i < ROUNDS; i++)
        {
            final String[] small = received.get(2 * i);
            final String[] big = received.get(2 * i + 1);
            assertThat(small[0] + " " + small[2]).isEqualTo("D shared.small");
            assertThat(Long.parseLong(small[1])).as("publisher sequence").isEqualTo(2 * i + 1);
            assertThat(big[0] + " " + big[2]).isEqualTo("M shared.big");
            assertThat(Long.parseLong(big[1])).as("publisher sequence").isEqualTo(2 * i + 2);
            assertThat(big[3] + " " + big[4]).as("size and CRC32 of payload " + (i + 1))
                .isEqualTo(published.get(i).substring(2));
            assertThat(Integer.parseInt(big[5])).as("sealed").isEqualTo(SealedMemfd.ALL_SEALS);
        }
        assertThat(received.get(2 * ROUNDS)[2]).isEqualTo("shared.end");
        assertThat(lan.impairmentCounters('b')).as("the loss was real").containsPattern("packets [1-9]");
    }

    private static String[] args(final Path config)
    {
        return new String[]{"--config", config.toString(),
            "--lan-channel", "aeron:udp?endpoint=" + GROUP + "|interface=10.77.0.0/24", "--lan-topics", "shared.>"};
    }
}

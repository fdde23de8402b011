package io.seqbus.ops.lan;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.config.NodeIdentity;
import io.seqbus.ops.lan.NetnsLan.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Queue groups across the LAN (SPEC.md, "Queue groups across the LAN"), real brokers on three hosts (network
 * namespaces, {@link NetnsLan}) and {@code seqbus sub --group workers} members on each: a message published where
 * the group has a member goes to that member alone, not to one member per broker; once that member is gone, each
 * message goes to exactly one of the members on the other two brokers (the one the rendezvous rule picks), and an
 * ordinary subscriber still gets everything. Runs as root (CI does); fails without root or iproute2.
 */
class LanQueueGroupIT
{
    private static final String CHANNEL = "239.255.77.9:40477";
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static NetnsLan lan;

    @BeforeAll
    static void buildLan() throws Exception
    {
        lan = NetnsLan.create(3);
    }

    @AfterAll
    static void removeLan()
    {
        if (lan != null)
        {
            lan.killAll();
            lan.close();
        }
    }

    @Test
    void oneMemberOfTheGroupOnTheWholeLanGetsEachMessage() throws Exception
    {
        final List<Started> brokers = new ArrayList<>();
        for (final char h : new char[]{'a', 'b', 'c'})
        {
            brokers.add(lan.broker(h, new String[]{"--lan-channel",
                "aeron:udp?endpoint=" + CHANNEL + "|interface=10.77.0.0/24", "--lan-topics", "shared.>"}));
        }
        final char[] hosts = {'a', 'b', 'c'};
        for (int i = 0; i < hosts.length; i++)
        {
            for (final char other : hosts)
            {
                if (other != hosts[i])
                {
                    brokers.get(i).awaitLine("peer " + lan.nodeName(other) + " (node", START);
                }
            }
        }
        final Started memberA = member('a');
        final Started memberB = member('b');
        final Started memberC = member('c');
        final Started plainC = lan.seqbus('c', "plain-c", "sub", "--socket", lan.socket('c'), "--json", "shared.>");
        plainC.awaitLine("seqbus: subscribed to", START);
        // Every broker has heard the others' groups.
        for (int i = 0; i < hosts.length; i++)
        {
            for (final char other : hosts)
            {
                if (other != hosts[i])
                {
                    brokers.get(i).awaitLine(announced(other, 1), START);
                }
            }
        }

        // Published on A, where the group has a member: A's member takes each one, nobody else in the group.
        publish('a', 300, "one");
        await().atMost(RUN).until(() -> payloads(plainC, "one-").size() == 300);
        await().atMost(RUN).until(() -> payloads(memberA, "one-").size() == 300);
        assertThat(payloads(memberB, "one-")).as("B's member: A served the group").isEmpty();
        assertThat(payloads(memberC, "one-")).as("C's member: A served the group").isEmpty();

        // A's member goes: B and C share what A publishes, each message once.
        memberA.process().destroyForcibly().waitFor();
        brokers.get(1).awaitLine(announced('a', 0), START);
        brokers.get(2).awaitLine(announced('a', 0), START);
        publish('a', 600, "two");
        await().atMost(RUN).until(() -> payloads(plainC, "two-").size() == 600);
        await().atMost(RUN).until(() -> payloads(memberB, "two-").size() + payloads(memberC, "two-").size() >= 600);
        final List<String> b = payloads(memberB, "two-");
        final List<String> c = payloads(memberC, "two-");
        final Set<String> all = new HashSet<>(b);
        all.addAll(c);
        assertThat(b.size() + c.size()).as("each message once over the LAN").isEqualTo(600);
        assertThat(all).hasSize(600);
        assertThat(b).as("the rendezvous rule spreads them").isNotEmpty();
        assertThat(c).isNotEmpty();
    }

    private static Started member(final char host) throws Exception
    {
        final Started member = lan.seqbus(host, "member-" + host, "sub", "--socket", lan.socket(host), "--group",
            "workers", "--json", "shared.>");
        member.awaitLine("seqbus: subscribed to", START);
        return member;
    }

    private static void publish(final char host, final int count, final String prefix) throws Exception
    {
        final Started pub = lan.seqbus(host, "pub-" + prefix, "pub", "--socket", lan.socket(host), "--count",
            Integer.toString(count), "shared.jobs", prefix + "-{{Count}}");
        assertThat(pub.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(pub.process().exitValue()).as(pub.text()).isZero();
    }

    /** The payloads of the JSON lines a sub printed that start with the prefix. */
    private static List<String> payloads(final Started sub, final String prefix)
    {
        final List<String> found = new ArrayList<>();
        for (final String line : sub.lines())
        {
            if (line.startsWith("{"))
            {
                try
                {
                    final String payload = JSON.readTree(line).path("payload").asText();
                    if (payload.startsWith(prefix))
                    {
                        found.add(payload);
                    }
                }
                catch (final Exception partial)
                {
                    // a line being written
                }
            }
        }
        return found;
    }

    /** The broker's log line when a peer's GROUPS changed (its name may not be known yet: not in it). */
    private static String announced(final char host, final int entries)
    {
        return "(node " + Integer.toHexString(NodeIdentity.idOf(lan.nodeName(host))) + ") announced " + entries +
            " queue group entries";
    }
}

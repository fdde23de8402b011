package io.seqbus.ops.lan;

import io.seqbus.broker.config.NodeIdentity;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.ops.StatClient;
import io.seqbus.ops.lan.NetnsLan.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The LAN bridge between real brokers on three hosts (network namespaces, see {@link NetnsLan}): what reaches
 * whom, in which order, under loss, duplication and reordering, across a crash, from every host at once, and
 * over the unicast fallback. Runs as root (CI does); fails without root, iproute2 or nftables.
 */
class LanBridgeIT
{
    private static final String GROUP = "239.255.77.1:40457";
    private static final int PORT = 40460;
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(120);

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
            lan.close();
        }
    }

    @AfterEach
    void stopEverything()
    {
        lan.killAll();
        lan.clearImpairment('b');
        lan.clearImpairment('c');
    }

    @Test
    void fourPublishersOnAReachBAndCInOrderAndLocalTopicsStayHome() throws Exception
    {
        fanOutCheck(false, false);
    }

    @Test
    void sameUnderLossDuplicationAndReordering() throws Exception
    {
        fanOutCheck(true, false);
    }

    @Test
    void unicastFallback() throws Exception
    {
        fanOutCheck(false, true);
    }

    @Test
    void unicastFallbackUnderLossDuplicationAndReordering() throws Exception
    {
        fanOutCheck(true, true);
    }

    @Test
    void brokerKilledOnCAndRestarted() throws Exception
    {
        final Map<Character, Started> brokers = startBrokers(false, 'a', 'b', 'c');
        final Started subB = lan.client('b', "sub-b", "sub", lan.socket('b'), "shared.end2", "1", "shared.>");
        final Started subC = lan.client('c', "sub-c", "sub", lan.socket('c'), "shared.end2", "1", "shared.>");
        subB.awaitLine("READY", START);
        subC.awaitLine("READY", START);

        final Started pubA = lan.client('a', "pub-a", "pub", lan.socket('a'), "shared.end1", "1", "12000", "2000",
            "shared.a.one");
        lan.client('c', "pub-c", "pub", lan.socket('c'), "shared.end1", "1", "3000", "500",
            "shared.c.one");
        await().atMost(RUN).until(() -> messagesFrom(subB, 'a').size() >= 2000);

        brokers.get('c').process().destroyForcibly().waitFor();
        final Started restarted = lan.broker('c', lanArgs('c', false));
        awaitPeers(restarted, 'a', 'b');
        subC.awaitLine(" RECONNECTED ", START);

        assertThat(pubA.process().waitFor(RUN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        final Started pubA2 = lan.client('a', "pub-a2", "pub", lan.socket('a'), "shared.end2", "1", "100", "0",
            "shared.a.two");
        assertThat(subB.process().waitFor(RUN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
            .as(subB.log() + " " + pubA2.log()).isTrue();
        assertThat(subC.process().waitFor(RUN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
            .as(subC.log().toString()).isTrue();

        // B: every message of A, in order, once, and never a pause of a second while C died and came back.
        final List<Line> fromA = messagesFrom(subB, 'a');
        assertThat(payloads(fromA, "shared.a.one")).isEqualTo(range(1, 12000));
        assertThat(payloads(fromA, "shared.a.two")).isEqualTo(range(1, 100));
        assertThat(maxPauseMs(fromA, "shared.a.one")).as("longest pause between A's messages on B").isLessThan(1000);
        // ... and was told that C's messages were lost when C went away.
        final List<Line> gapsB = gaps(subB);
        assertThat(gapsB).as(subB.log().toString())
            .anyMatch(g -> g.node.equals(nodeHex('c')) && g.topic.equals("NODE_LOST"));
        // C: its subscriber saw a gap, not silence, then A's new messages through the restarted broker.
        final List<String> linesC = subC.lines();
        final int reconnected = indexOf(linesC, " RECONNECTED ");
        assertThat(linesC.subList(reconnected, linesC.size()).stream().map(Line::parse)
            .filter(l -> l != null && l.kind.equals("D") && l.node.equals(nodeHex('a')) && l.topic.equals("shared.a.two")))
            .hasSize(100);
        assertThat(brokers.get('a').text()).containsAnyOf("restarted without leaving", "went away without leaving");
    }

    @Test
    void publishersOnEveryHostAtOnce() throws Exception
    {
        startBrokers(false, 'a', 'b', 'c');
        final List<Started> subs = new ArrayList<>();
        for (final char h : new char[]{'a', 'b', 'c'})
        {
            subs.add(lan.client(h, "sub-" + h, "sub", lan.socket(h), "shared.end", "6", "shared.>"));
        }
        for (final Started sub : subs)
        {
            sub.awaitLine("READY", START);
        }
        for (final char h : new char[]{'a', 'b', 'c'})
        {
            lan.client(h, "pub-" + h, "pub", lan.socket(h), "shared.end", "2", "500", "0", "shared.all");
        }
        for (final Started sub : subs)
        {
            assertThat(sub.process().waitFor(RUN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                .as(sub.log().toString()).isTrue();
            final Map<String, List<Line>> byPublisher = byPublisher(sub, "shared.all");
            assertThat(byPublisher).as(sub.log().toString()).hasSize(6);
            for (final List<Line> lines : byPublisher.values())
            {
                assertThat(lines.stream().map(l -> l.payloadCounter()).collect(Collectors.toList()))
                    .isEqualTo(range(1, 500));
                assertIncreasingSequences(lines);
            }
            assertThat(byPublisher.values().stream().map(l -> l.get(0).node).distinct())
                .containsExactlyInAnyOrder(nodeHex('a'), nodeHex('b'), nodeHex('c'));
            assertThat(gaps(sub)).isEmpty();
        }
    }

    private void fanOutCheck(final boolean impaired, final boolean unicast) throws Exception
    {
        startBrokers(unicast, 'a', 'b', 'c');
        if (impaired)
        {
            lan.impair('b', 5, 1, 10);
            lan.impair('c', 5, 1, 10);
        }
        final Started subB = lan.client('b', "sub-b", "sub", lan.socket('b'), "shared.end", "4",
            "shared.>", "shared.x.*", "local.>");
        final Started subC = lan.client('c', "sub-c", "sub", lan.socket('c'), "shared.end", "4",
            "shared.>", "shared.x.*", "local.>");
        subB.awaitLine("READY", START);
        subC.awaitLine("READY", START);
        final int count = 1500;
        final Started pub = lan.client('a', "pub-a", "pub", lan.socket('a'), "shared.end", "4", Integer.toString(count),
            "0", "shared.x.one", "shared.y.two", "local.z");
        for (final Started sub : List.of(subB, subC))
        {
            assertThat(sub.process().waitFor(RUN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                .as(sub.log() + " " + pub.log()).isTrue();
            final List<Line> lines = sub.lines().stream().map(Line::parse).filter(l -> l != null).toList();
            final List<Integer> all = new ArrayList<>();
            final List<Integer> xOnly = new ArrayList<>();
            for (int k = 1; k <= count; k++)
            {
                if (k % 3 != 0)
                {
                    all.add(k);
                }
                if (k % 3 == 1)
                {
                    xOnly.add(k);
                }
            }
            final Map<String, List<Line>> all0 = byPublisher(lines, 0);
            final Map<String, List<Line>> x1 = byPublisher(lines, 1);
            assertThat(all0).as(sub.log().toString()).hasSize(4);
            for (final List<Line> perPublisher : all0.values())
            {
                assertThat(perPublisher.stream().filter(l -> !l.topic.equals("shared.end")).map(Line::payloadCounter)
                    .toList()).isEqualTo(all);
                assertThat(perPublisher.get(perPublisher.size() - 1).topic).isEqualTo("shared.end");
                assertThat(perPublisher).allMatch(l -> l.node.equals(nodeHex('a')));
                assertIncreasingSequences(perPublisher);
            }
            assertThat(x1).hasSize(4);
            for (final List<Line> perPublisher : x1.values())
            {
                assertThat(perPublisher.stream().map(Line::payloadCounter).toList()).isEqualTo(xOnly);
            }
            assertThat(lines).as("a local topic never leaves A").noneMatch(l -> l.sub == 2 || l.topic.startsWith("local."));
            assertThat(lines).as("nothing lost").noneMatch(l -> l.kind.equals("G"));
        }
        if (impaired)
        {
            // The impairment really happened: nftables counted drops and duplicates on the way to B and C.
            assertThat(lan.impairmentCounters('b')).containsPattern("packets [1-9]");
        }
        // What `seqbus stat` shows of the LAN: A sent, B heard A (pathname sockets cross namespaces).
        final JsonNode statA = new ObjectMapper().readTree(StatClient.request(lan.socket('a'), 0)).path("lan");
        final JsonNode statB = new ObjectMapper().readTree(StatClient.request(lan.socket('b'), 0)).path("lan");
        assertThat(statA.path("messages_out").asLong()).isPositive();
        assertThat(statB.path("messages_in").asLong()).isPositive();
        final List<String> peersOfB = new ArrayList<>();
        statB.path("peers").forEach((p) -> peersOfB.add(p.path("node").asText()));
        assertThat(peersOfB).contains(lan.nodeName('a'), lan.nodeName('c'));
        assertThat(statB.path("peers").get(0).path("last_heard_ms_ago").asLong()).isLessThan(60_000);
    }

    private Map<Character, Started> startBrokers(final boolean unicast, final char... hosts) throws Exception
    {
        final Map<Character, Started> brokers = new LinkedHashMap<>();
        for (final char h : hosts)
        {
            brokers.put(h, lan.broker(h, lanArgs(h, unicast)));
        }
        for (final char h : hosts)
        {
            final List<Character> others = new ArrayList<>();
            for (final char o : hosts)
            {
                if (o != h)
                {
                    others.add(o);
                }
            }
            awaitPeers(brokers.get(h), others.stream().map(c -> c).toArray(Character[]::new));
        }
        return brokers;
    }

    private static void awaitPeers(final Started broker, final Character... peers)
    {
        for (final char p : peers)
        {
            broker.awaitLine("peer " + lan.nodeName(p) + " (node", START);
        }
    }

    private static String[] lanArgs(final char host, final boolean unicast)
    {
        if (unicast)
        {
            return new String[]{"--lan-channel", "aeron:udp?endpoint=" + NetnsLan.address(host) + ":" + PORT,
                "--lan-peers", NetnsLan.address('a') + ":" + PORT + "," + NetnsLan.address('b') + ":" + PORT + "," +
                NetnsLan.address('c') + ":" + PORT,
                "--lan-topics", "shared.>"};
        }
        return new String[]{"--lan-channel", "aeron:udp?endpoint=" + GROUP + "|interface=10.77.0.0/24",
            "--lan-topics", "shared.>"};
    }

    private static String nodeHex(final char host)
    {
        return Integer.toHexString(NodeIdentity.idOf(lan.nodeName(host)));
    }

    private static List<Line> messagesFrom(final Started sub, final char host)
    {
        return sub.lines().stream().map(Line::parse)
            .filter(l -> l != null && l.kind.equals("D") && l.node.equals(nodeHex(host))).toList();
    }

    private static List<Line> gaps(final Started sub)
    {
        return sub.lines().stream().map(Line::parse).filter(l -> l != null && l.kind.equals("G")).toList();
    }

    private static List<Integer> payloads(final List<Line> lines, final String topic)
    {
        return lines.stream().filter(l -> l.topic.equals(topic)).map(Line::payloadCounter).toList();
    }

    private static long maxPauseMs(final List<Line> lines, final String topic)
    {
        long max = 0;
        long previous = -1;
        for (final Line l : lines)
        {
            if (l.topic.equals(topic))
            {
                if (previous >= 0)
                {
                    max = Math.max(max, l.millis - previous);
                }
                previous = l.millis;
            }
        }
        return max;
    }

    private static Map<String, List<Line>> byPublisher(final Started sub, final String topic)
    {
        final Map<String, List<Line>> out = new LinkedHashMap<>();
        sub.lines().stream().map(Line::parse).filter(l -> l != null && l.kind.equals("D") && l.topic.equals(topic))
            .forEach(l -> out.computeIfAbsent(l.node + "/" + l.publisher, k -> new ArrayList<>()).add(l));
        return out;
    }

    private static Map<String, List<Line>> byPublisher(final List<Line> lines, final int sub)
    {
        final Map<String, List<Line>> out = new LinkedHashMap<>();
        lines.stream().filter(l -> l.kind.equals("D") && l.sub == sub)
            .forEach(l -> out.computeIfAbsent(l.node + "/" + l.publisher, k -> new ArrayList<>()).add(l));
        return out;
    }

    private static void assertIncreasingSequences(final List<Line> lines)
    {
        for (int i = 1; i < lines.size(); i++)
        {
            assertThat(lines.get(i).sequence).isGreaterThan(lines.get(i - 1).sequence);
        }
    }

    private static List<Integer> range(final int from, final int to)
    {
        final List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++)
        {
            out.add(i);
        }
        return out;
    }

    private static int indexOf(final List<String> lines, final String fragment)
    {
        for (int i = 0; i < lines.size(); i++)
        {
            if (lines.get(i).contains(fragment))
            {
                return i;
            }
        }
        throw new AssertionError("no line with '" + fragment + "'");
    }

    /** One line of {@link LanClient} sub output. */
    private record Line(String kind, int sub, String node, String publisher, long sequence, String topic,
        String payload, long millis)
    {
        static Line parse(final String line)
        {
            final String[] f = line.split(" ");
            if (f[0].equals("D") && f.length == 8)
            {
                return new Line("D", Integer.parseInt(f[1]), f[2], f[3], Long.parseLong(f[4]), f[5], f[6],
                    Long.parseLong(f[7]));
            }
            if (f[0].equals("G") && f.length == 6)
            {
                // A gap: count in "sequence", reason in "topic".
                return new Line("G", Integer.parseInt(f[1]), f[2], "", Long.parseLong(f[3]), f[4], "",
                    Long.parseLong(f[5]));
            }
            return null;
        }

        int payloadCounter()
        {
            return Integer.parseInt(payload.substring(payload.indexOf(':') + 1));
        }
    }
}

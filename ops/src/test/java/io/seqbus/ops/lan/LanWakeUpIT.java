package io.seqbus.ops.lan;

import io.seqbus.ops.lan.NetnsLan.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Data from the LAN wakes a bridged broker's agent: two hosts (network namespaces), brokers whose agent blocks in
 * epoll_wait for up to {@value #BROKER_IDLE_BLOCK_MS} ms while idle ({@code seqbus.idle.block.ms}, and
 * {@code seqbus.lan.timer.block.ms} for the embedded media driver's timers) and whose peers announce themselves only
 * every {@value #ANNOUNCE_MS} ms. Unless the driver's sockets are in the agent's epoll, the agent either looks every
 * millisecond (the first test counts its duty cycles while idle) or leaves a datagram from the LAN unread until its
 * block ends: late by most of a second, several times {@value #BOUND_MS} ms (the second test publishes at random
 * intervals, so everything on both hosts falls asleep between messages, and checks that every message arrives, in
 * order, none later than that). Runs as root; about 40 s.
 */
// Alone: it measures time or wake-ups, which another IT's processes beside it would distort.
@Isolated
class LanWakeUpIT
{
    private static final int BROKER_IDLE_BLOCK_MS = 1_000;
    private static final int ANNOUNCE_MS = 10_000;
    private static final long BOUND_MS = 300;
    private static final int MESSAGES = 80;
    private static final int MAX_PAUSE_MS = 400;
    private static final Duration START = Duration.ofSeconds(60);

    private static NetnsLan lan;

    @BeforeAll
    static void startBrokers() throws Exception
    {
        lan = NetnsLan.create(2);
        final String[] lanArgs = {"--lan-channel", "aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24",
            "--lan-topics", "wake.>", "--lan-announce-interval-ms", Integer.toString(ANNOUNCE_MS)};
        final String javaOptions = "-Dseqbus.idle.block.ms=" + BROKER_IDLE_BLOCK_MS +
            " -Dseqbus.lan.timer.block.ms=" + BROKER_IDLE_BLOCK_MS;
        final Started a = lan.broker('a', javaOptions, lanArgs);
        final Started b = lan.broker('b', javaOptions, lanArgs);
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        b.awaitLine("peer " + lan.nodeName('a') + " (node", START);
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
    void anIdleBridgedAgentSleepsInsteadOfLookingEveryMillisecond() throws Exception
    {
        // Peers are up and quiet: only their status messages and heartbeats wake the agent, which runs the driver.
        final long before = dutyCycles('b');
        final long startNs = System.nanoTime();
        TimeUnit.SECONDS.sleep(3);
        final long cycles = dutyCycles('b') - before;
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        // Looking every millisecond is at least one cycle a millisecond; sleeping until rung is a few a second.
        assertThat(cycles).as("duty cycles of B's idle agent in %d ms", elapsedMs).isLessThan(elapsedMs / 3);
    }

    @Test
    void messagesAtRandomIntervalsWakeTheOtherBrokerAtOnce() throws Exception
    {
        final Started sub = lan.client('b', "wake-sub", "sub", lan.socket('b'), "wake.end", "1", "wake.>");
        sub.awaitLine("READY", START);
        final Started pub = lan.client('a', "wake-pub", "pub-random", lan.socket('a'), "wake.end",
            Integer.toString(MESSAGES), Integer.toString(MAX_PAUSE_MS), "wake.x");
        assertThat(pub.process().waitFor(120, TimeUnit.SECONDS)).as(pub.log().toString()).isTrue();
        await().atMost(START).until(() -> !sub.process().isAlive());

        final List<String[]> delivered = sub.lines().stream().filter(l -> l.startsWith("D ")).map(l -> l.split(" "))
            .filter(f -> f[5].equals("wake.x")).toList();
        assertThat(delivered).as(sub.log().toString()).hasSize(MESSAGES);
        assertThat(delivered).extracting(f -> Long.parseLong(f[4])).isSorted().doesNotHaveDuplicates();
        // "D sub node publisher sequence topic payload millis": payload is the publisher's clock when it published.
        final long latestMs = delivered.stream().mapToLong(f -> Long.parseLong(f[7]) - Long.parseLong(f[6])).max()
            .orElseThrow();
        assertThat(latestMs).as("latest message, publish to subscriber, ms (a lost wake-up is late by up to %d)",
            BROKER_IDLE_BLOCK_MS).isLessThan(BOUND_MS);
    }

    private static long dutyCycles(final char host) throws Exception
    {
        final String metrics = NetnsLan.run("ip", "netns", "exec", lan.ns(host), "curl", "-sf",
            "http://127.0.0.1:9464/metrics");
        return metrics.lines().filter(l -> l.startsWith("seqbus_agent_duty_cycles_total "))
            .mapToLong(l -> (long)Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).findFirst()
            .orElseThrow(() -> new AssertionError("no seqbus_agent_duty_cycles_total in " + metrics));
    }
}

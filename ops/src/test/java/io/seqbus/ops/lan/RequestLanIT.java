package io.seqbus.ops.lan;

import io.seqbus.ops.lan.NetnsLan.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Request/reply across the LAN bridge (SPEC.md, "Requests across the LAN") between real brokers on two hosts
 * (network namespaces, {@link NetnsLan}), with real commands: {@code seqbus reply --echo} on host B answers
 * {@code seqbus request} on host A on a shared topic; a request on a shared topic nobody answers on either host ends
 * TIMED_OUT (a live peer might have answered), one on a topic that is not shared NO_RESPONDERS at once, as on a lone
 * broker, and so does one on a shared topic once the only peer has left. The answering broker counts its proxy slots
 * in seqbus_requests_total with role "proxy". Runs as root (CI does); fails without root or iproute2.
 */
class RequestLanIT
{
    private static final String GROUP = "239.255.77.19:40519";
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(60);
    private static final int TIMED_OUT = 6;
    private static final int NO_RESPONDERS = 9;
    private static final int RESPONDERS_GONE = 10;

    private static NetnsLan lan;

    @BeforeAll
    static void buildLan() throws Exception
    {
        lan = NetnsLan.create("reqlan", 2);
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
    void aRequestIsAnsweredOnAnotherHostAndAnUnansweredOneTimesOut() throws Exception
    {
        final Started a = lan.broker('a', lanArgs());
        final Started b = lan.broker('b', lanArgs());
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        b.awaitLine("peer " + lan.nodeName('a') + " (node", START);

        final Started replier = lan.seqbus('b', "reply-b", "reply", "--socket", lan.socket('b'), "shared.svc",
            "--echo", "--header", "served-by=b");
        replier.awaitLine("answering requests on", START);

        // Shared subscribers on both hosts, to see that the request and its reply leave the bridge numbering
        // consistent: the message each gets after them comes without a GAP.
        final Started subA = lan.seqbus('a', "sub-a", "sub", "--socket", lan.socket('a'), "--count", "1",
            "shared.after.a");
        final Started subB = lan.seqbus('b', "sub-b", "sub", "--socket", lan.socket('b'), "--count", "1",
            "shared.after.b");
        subA.awaitLine("subscribed to", START);
        subB.awaitLine("subscribed to", START);

        // The reply's header block crosses back with it (a LAN_REPLY flagged HEADERS).
        final Started request = lan.seqbus('a', "request-a", "request", "--socket", lan.socket('a'), "--timeout",
            "20s", "--json", "shared.svc", "hello");
        assertThat(exit(request)).as(request.text() + "\n" + a.text() + "\n" + b.text()).isZero();
        assertThat(request.text()).contains("\"payload\":\"hello\"").contains("\"served-by\"");

        assertThat(exit(lan.seqbus('b', "pub-b", "pub", "--socket", lan.socket('b'), "shared.after.a", "x"))).isZero();
        assertThat(exit(lan.seqbus('a', "pub-a", "pub", "--socket", lan.socket('a'), "shared.after.b", "y"))).isZero();
        assertThat(exit(subA)).as(subA.text()).isZero();
        assertThat(exit(subB)).as(subB.text()).isZero();
        assertThat(subA.text()).doesNotContain("gap");
        assertThat(subB.text()).doesNotContain("gap");

        // Nobody answers shared.nobody on either host: B says so at once (a LAN_REPLY flagged NO_RESPONDERS), and A,
        // with every live peer having said so, answers NO_RESPONDERS well before the request's timeout.
        final Started unanswered = lan.seqbus('a', "request-unanswered", "request", "--socket", lan.socket('a'),
            "--timeout", "30s", "shared.nobody", "hi");
        assertThat(exit(unanswered)).as(unanswered.text()).isEqualTo(NO_RESPONDERS);

        // A replier on B that takes the request and is killed before it answers: B says its recipients are gone,
        // and A's requester hears RESPONDERS_GONE, not a timeout.
        final Path taken = Files.createTempFile("reqlan-taken", "");
        Files.delete(taken);
        final Started slow = lan.seqbus('b', "reply-slow", "reply", "--socket", lan.socket('b'), "shared.slow",
            "--exec", "touch " + taken + "; sleep 60");
        slow.awaitLine("answering requests on", START);
        final Started abandoned = lan.seqbus('a', "request-abandoned", "request", "--socket", lan.socket('a'),
            "--timeout", "30s", "shared.slow", "hi");
        await().atMost(START).until(() -> Files.exists(taken));
        slow.process().destroyForcibly();
        assertThat(exit(abandoned)).as(abandoned.text()).isEqualTo(RESPONDERS_GONE);
        Files.deleteIfExists(taken);

        // Each broker counts its side: A its requester's outcomes (origin), B the proxy slots it kept for them (the
        // reply it sent back; the request nothing matched there, and the one whose replier died).
        assertThat(metric('a', "seqbus_requests_total{outcome=\"replied\",role=\"origin\"}")).isEqualTo(1);
        assertThat(metric('a', "seqbus_requests_total{outcome=\"no_responders\",role=\"origin\"}")).isEqualTo(1);
        assertThat(metric('a', "seqbus_requests_total{outcome=\"responders_gone\",role=\"origin\"}")).isEqualTo(1);
        assertThat(metric('b', "seqbus_requests_total{outcome=\"replied\",role=\"proxy\"}")).isEqualTo(1);
        assertThat(metric('b', "seqbus_requests_total{outcome=\"no_responders\",role=\"proxy\"}")).isEqualTo(1);
        assertThat(metric('b', "seqbus_requests_total{outcome=\"responders_gone\",role=\"proxy\"}")).isEqualTo(1);
        assertThat(metric('b', "seqbus_requests_total{outcome=\"replied\",role=\"origin\"}")).isZero();

        // Not shared: the LAN is no recipient, NO_RESPONDERS at once as on a lone broker.
        final Started local = lan.seqbus('a', "request-local", "request", "--socket", lan.socket('a'),
            "--timeout", "20s", "local.nobody", "hi");
        assertThat(exit(local)).as(local.text()).isEqualTo(NO_RESPONDERS);

        // B stops (it announces leaving): no live peer is left to answer, so a shared-topic request nobody here
        // answers is NO_RESPONDERS at once again, well before its timeout.
        replier.process().destroy();
        b.process().destroy();
        assertThat(b.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS)).as(b.text()).isTrue();
        // B waited for its driver to send the LEAVING announcement (snd-pos) before closing it.
        assertThat(b.text()).contains("bridge: closed").doesNotContain("not seen sent", "could not announce");
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        a.awaitLine(") left", START);
        final Started alone = lan.seqbus('a', "request-alone", "request", "--socket", lan.socket('a'),
            "--timeout", "60s", "shared.svc", "hi");
        assertThat(exit(alone)).as(alone.text()).isEqualTo(NO_RESPONDERS);
    }

    /** A series of a host's broker's /metrics (its default endpoint, inside the host's namespace). */
    private static double metric(final char host, final String series) throws Exception
    {
        final String metrics = NetnsLan.run("ip", "netns", "exec", lan.ns(host), "curl", "-sf",
            "http://127.0.0.1:9464/metrics");
        return metrics.lines().filter(l -> l.startsWith(series + " "))
            .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).findFirst()
            .orElseThrow(() -> new AssertionError("no " + series + " in " + metrics));
    }

    private static int exit(final Started p) throws InterruptedException
    {
        assertThat(p.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS)).as(p.text()).isTrue();
        return p.process().exitValue();
    }

    private static String[] lanArgs()
    {
        return new String[]{"--lan-channel", "aeron:udp?endpoint=" + GROUP + "|interface=10.77.0.0/24",
            "--lan-topics", "shared.>"};
    }
}

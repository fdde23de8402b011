package io.seqbus.ops.lan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.ops.lan.NetnsLan.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Headers across the LAN bridge (SPEC.md, "Headers") between real brokers on two hosts (network namespaces,
 * {@link NetnsLan}), with real commands: {@code seqbus pub --header} on host A, {@code seqbus sub --json} on host B
 * shows them, a repeated key as an array, and a message without headers without any, and a memfd payload's
 * headers cross beside it; a malformed header block
 * (sent raw by the Python client on A) is refused with INVALID_HEADERS, not fatal, and never crosses, while that
 * client's next message, with headers, does. Runs as root (CI does); fails without root, iproute2 or python3.
 */
class HeadersLanIT
{
    private static final String GROUP = "239.255.77.31:40471";
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(120);
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final Path PYTHON_CLIENT = Path.of("..", "examples", "python").toAbsolutePath().normalize();

    private static NetnsLan lan;

    @BeforeAll
    static void buildLan() throws Exception
    {
        lan = NetnsLan.create("headers", 2);
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
    void headersCrossTheBridgeAndAMalformedBlockIsRefused() throws Exception
    {
        final Started a = lan.broker('a', lanArgs());
        final Started b = lan.broker('b', lanArgs());
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        b.awaitLine("peer " + lan.nodeName('a') + " (node", START);

        final Started sub = lan.command('b', "sub-b", NetnsLan.launcher(), "sub", "--socket", lan.socket('b'),
            "--json", "--count", "4", "shared.>");
        sub.awaitLine("subscribed to", START);

        final Started withHeaders = lan.command('a', "pub-headers", NetnsLan.launcher(), "pub", "--socket",
            lan.socket('a'), "--header", "traceparent=" + TRACEPARENT, "--header", "k=1", "--header", "k=2",
            "shared.h", "{\"n\":1}");
        assertExitsZero(withHeaders);
        final Started plain = lan.command('a', "pub-plain", NetnsLan.launcher(), "pub", "--socket", lan.socket('a'),
            "shared.p", "plain");
        assertExitsZero(plain);

        // The Python client (SPEC.md alone) sends what seqbus pub never would: a block with an upper-case key.
        final String script = String.join("\n",
            "import sys, seqbus",
            "c = seqbus.Client(sys.argv[1], name='headers-lan-it', services=True)",
            "bad = bytearray(seqbus.encode_publish('shared.bad', b'refused', {'bad': 'x'}))",
            "bad[8 + 2 + len('shared.bad') + 2 + 1] = ord('B')",
            "c._send(bytes(bad))",
            "c.publish('shared.py', b'after', {'content-type': 'text/plain'})",
            "c.ping()  # once PONG is back, the broker has answered both",
            "for f in c.pending:",
            "    if isinstance(f, seqbus.Error): print('error', f.code, f.fatal, flush=True)");
        final Started python = lan.command('a', "python-a", "env", "PYTHONPATH=" + PYTHON_CLIENT,
            "/usr/bin/python3", "-c", script, lan.socket('a'));
        assertExitsZero(python);
        assertThat(python.lines()).as(python.text()).containsExactly("error 27 False");

        // Over max_payload: a memfd payload, its header block inline beside it, crosses as DELIVER_MEMFD + FRAGMENTs.
        final Path big = lan.dir().resolve("big.txt");
        Files.writeString(big, "m".repeat(100_000));
        final Started memfd = lan.command('a', "pub-memfd", NetnsLan.launcher(), "pub", "--socket", lan.socket('a'),
            "--header", "content-length=100000", "--file", big.toString(), "shared.m");
        assertExitsZero(memfd);

        assertThat(sub.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS)).as(sub.text() + "\n" + b.text()).isTrue();
        assertThat(sub.process().exitValue()).as(sub.text()).isZero();
        final ObjectMapper json = new ObjectMapper();
        final List<JsonNode> messages = new ArrayList<>();
        for (final String line : sub.lines())
        {
            if (line.startsWith("{"))
            {
                messages.add(json.readTree(line));
            }
        }
        assertThat(messages).as(sub.text()).hasSize(4);
        assertThat(messages.get(0).get("topic").asText()).isEqualTo("shared.h");
        assertThat(messages.get(0).get("payload").asText()).isEqualTo("{\"n\":1}");
        assertThat(messages.get(0).get("headers").get("traceparent").asText()).isEqualTo(TRACEPARENT);
        assertThat(messages.get(0).get("headers").get("k").toString()).isEqualTo("[\"1\",\"2\"]");
        assertThat(messages.get(1).get("topic").asText()).isEqualTo("shared.p");
        assertThat(messages.get(1).has("headers")).isFalse();
        assertThat(messages.get(2).get("topic").asText()).as("the refused message never crossed").isEqualTo("shared.py");
        assertThat(messages.get(2).get("payload").asText()).isEqualTo("after");
        assertThat(messages.get(2).get("headers").get("content-type").asText()).isEqualTo("text/plain");
        assertThat(messages.get(3).get("topic").asText()).isEqualTo("shared.m");
        assertThat(messages.get(3).get("payload").asText()).isEqualTo("m".repeat(100_000));
        assertThat(messages.get(3).get("headers").get("content-length").asText()).isEqualTo("100000");
        assertThat(Files.readString(sub.log())).doesNotContain("refused");
    }

    private static void assertExitsZero(final Started p) throws InterruptedException
    {
        assertThat(p.process().waitFor(RUN.toSeconds(), TimeUnit.SECONDS)).as(p.text()).isTrue();
        assertThat(p.process().exitValue()).as(p.text()).isZero();
    }

    private static String[] lanArgs()
    {
        return new String[]{"--lan-channel", "aeron:udp?endpoint=" + GROUP + "|interface=10.77.0.0/24",
            "--lan-topics", "shared.>"};
    }
}

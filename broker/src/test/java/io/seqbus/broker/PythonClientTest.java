package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Python example clients, written from SPEC.md alone, against the real Java broker: proof
 * that the spec is complete.
 */
class PythonClientTest
{
    private static final Path EXAMPLES = Path.of("..", "examples", "python").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void pythonPublisherToPythonSubscriber() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            final Process sub = python("sub.py", "--socket", socket, "demo.>", "--count", "500").start();
            await().atMost(Duration.ofSeconds(20)).until(() -> broker.counters().get(BrokerCounters.SUBSCRIPTIONS) == 1);
            final Process pub = python("pub.py", "--socket", socket, "demo.numbers").start();
            pub.getOutputStream().write(lines(1, 500).getBytes(StandardCharsets.UTF_8));
            pub.getOutputStream().close();
            assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(pub.exitValue()).as(stderr(pub)).isZero();
            assertThat(sub.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(sub.exitValue()).as(stderr(sub)).isZero();
            assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(lines(1, 500));
        }
    }

    @Test
    void pythonPublisherToJavaSubscriberCarriesCredentialsAndSequence() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> sequences = new ConcurrentLinkedQueue<>();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            final ConcurrentLinkedQueue<Integer> pids = new ConcurrentLinkedQueue<>();
            sub.subscribe("py.*", (m) ->
            {
                got.add(m.topic() + "=" + m.payloadAsString());
                sequences.add(m.sequence());
                pids.add(m.publisherPid());
            });
            sub.sync(Duration.ofSeconds(5));
            final Process pub = python("pub.py", "--socket", socket, "py.one", "héllo").start();
            assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(pub.exitValue()).as(stderr(pub)).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
            assertThat(got).containsExactly("py.one=héllo");
            assertThat(sequences).containsExactly(1L);
            assertThat(pids).containsExactly((int)pub.pid());
        }
    }

    @Test
    void javaPublisherToPythonSubscriber() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            final Process sub = python("sub.py", "--socket", socket, "j.>", "--count", "100").start();
            await().atMost(Duration.ofSeconds(20)).until(() -> broker.counters().get(BrokerCounters.SUBSCRIPTIONS) == 1);
            try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
            {
                for (int i = 1; i <= 100; i++)
                {
                    pub.publish("j.x", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                }
                pub.sync(Duration.ofSeconds(5));
            }
            assertThat(sub.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(sub.exitValue()).as(stderr(sub)).isZero();
            assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(lines(1, 100));
        }
    }

    @Test
    void twoPythonMembersOfAQueueGroupShareTheMessages() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            final Process one = python("sub.py", "--socket", socket, "j.>", "--group", "workers", "--count", "32")
                .start();
            final Process two = python("sub.py", "--socket", socket, "j.>", "--group", "workers", "--count", "32")
                .start();
            await().atMost(Duration.ofSeconds(20)).until(() -> broker.counters().get(BrokerCounters.SUBSCRIPTIONS) == 2);
            try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.POLL)))
            {
                // One at a time: each in a duty cycle of its own, so the two members alternate.
                for (int i = 1; i <= 64; i++)
                {
                    pub.publish("j.x", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                    pub.sync(Duration.ofSeconds(5));
                }
                pub.sync(Duration.ofSeconds(5));
            }
            assertThat(one.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(two.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(one.exitValue()).as(stderr(one)).isZero();
            assertThat(two.exitValue()).as(stderr(two)).isZero();
            final java.util.List<String> got = new java.util.ArrayList<>();
            got.addAll(new String(one.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            got.addAll(new String(two.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            assertThat(got).as("each message to one member, 32 each").hasSize(64).doesNotHaveDuplicates();
            assertThat(broker.counters().get(BrokerCounters.GROUP_DELIVERIES)).isEqualTo(64);
        }
    }

    @Test
    void specVectorsSelfCheckPasses() throws Exception
    {
        final Process check = python("test_vectors.py").start();
        assertThat(check.waitFor(20, TimeUnit.SECONDS)).isTrue();
        final String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as(out + stderr(check)).isZero();
        assertThat(out).containsPattern("\\d+ passed, 0 failed");
    }

    @Test
    void aPythonPublisherKeepsItsPublisherIdAndSequenceAcrossABrokerRestartAndItsOwnReconnect() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> lost = new ConcurrentLinkedQueue<>();
        Broker broker = Broker.launch(new BrokerContext().socket(socket));
        Process pub = null;
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
            .gapHandler(gap -> lost.add(gap.count()))))
        {
            sub.subscribe("py.>", m -> got.add(Long.toHexString(m.publisherId()) + " " + m.sequence() + " " +
                m.payloadAsString()));
            sub.sync(Duration.ofSeconds(5));
            // One Python client driven line by line: "publish N" (then a barrier), "reconnect".
            pub = new ProcessBuilder(pythonCommand(List.of("-c", """
                import sys
                sys.path.insert(0, sys.argv[1])
                import seqbus
                client = seqbus.Client(sys.argv[2], name="py-session")
                print("connected %x" % client.wait_welcome().publisher_id, flush=True)
                n = 0
                for line in sys.stdin:
                    command = line.split()
                    if command[0] == "publish":
                        for _ in range(int(command[1])):
                            n += 1
                            client.publish("py.session", str(n).encode())
                        client.ping()
                        print("published %d" % n, flush=True)
                    elif command[0] == "reconnect":
                        client.reconnect()
                        print("connected %x" % client.wait_welcome().publisher_id, flush=True)
                """, EXAMPLES.toString(), socket))).start();
            final BufferedReader out = new BufferedReader(new InputStreamReader(pub.getInputStream(), StandardCharsets.UTF_8));
            final Writer in = new java.io.OutputStreamWriter(pub.getOutputStream(), StandardCharsets.UTF_8);
            final String connected = line(out, pub);
            final String publisher = connected.substring("connected ".length());
            // A session's publisher id has its top bit set (SPEC.md, HELLO).
            assertThat(Long.parseUnsignedLong(publisher, 16)).isNegative();

            command(in, "publish 3");
            assertThat(line(out, pub)).isEqualTo("published 3");

            // The broker restarts on the same socket; the Java subscriber reconnects by itself, the Python one
            // when told.
            broker.close();
            broker = Broker.launch(new BrokerContext().socket(socket));
            final Broker restarted = broker;
            await().atMost(Duration.ofSeconds(20)).until(() ->
                sub.isConnected() && restarted.counters().get(BrokerCounters.SUBSCRIPTIONS) == 1);
            command(in, "reconnect");
            assertThat(line(out, pub)).isEqualTo(connected);
            command(in, "publish 3");
            assertThat(line(out, pub)).isEqualTo("published 6");

            // Its own reconnect, the broker still up.
            command(in, "reconnect");
            assertThat(line(out, pub)).isEqualTo(connected);
            command(in, "publish 3");
            assertThat(line(out, pub)).isEqualTo("published 9");

            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 9);
            assertThat(got).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 9).mapToObj(i -> publisher + " " + i + " " + i).toList());
            // Only the subscriber's own RECONNECTED gap, of unknown size (count 0): the publisher lost nothing.
            assertThat(lost).containsOnly(0L);
            in.close();
            assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(pub.exitValue()).as(stderr(pub)).isZero();
        }
        finally
        {
            if (pub != null)
            {
                pub.destroyForcibly();
            }
            broker.close();
        }
    }

    private static void command(final Writer in, final String command) throws IOException
    {
        in.write(command + "\n");
        in.flush();
    }

    /** The next line the process prints, within a bound; its stderr when it ends first. */
    private static String line(final BufferedReader out, final Process p) throws Exception
    {
        final String line = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return out.readLine();
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        }).get(20, TimeUnit.SECONDS);
        assertThat(line).as(() -> "ended early: " + stderrQuietly(p)).isNotNull();
        return line;
    }

    @Test
    void pythonRequestsAndRepliesAgainstTheRealBroker() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            final Process check = python("test_requests.py", socket).start();
            assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
            final String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(check.exitValue()).as(out + stderr(check)).isZero();
            assertThat(out).containsPattern("\\d+ passed, 0 failed");
            assertThat(broker.counters().get(io.seqbus.broker.counters.BrokerCounters.REPLIES_DROPPED_NOT_RECIPIENT))
                .isEqualTo(1);
            assertThat(broker.counters().get(io.seqbus.broker.counters.BrokerCounters.REPLIES_DROPPED_LATE))
                .isEqualTo(1);
        }
    }

    @Test
    void clientSelfCheckAgainstAScriptedBrokerPasses() throws Exception
    {
        final Process check = python("test_client.py").start();
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as(out + stderr(check)).isZero();
        assertThat(out).containsPattern("\\d+ passed, 0 failed");
    }

    private static List<String> pythonCommand(final List<String> args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
        command.addAll(args);
        return command;
    }

    /**
     * Headers between the Python client and the Java client through the broker (SPEC.md, "Headers"): Python publishes
     * with a header block, Java reads it; Java publishes with headers, Python decodes them; a malformed block from
     * Python is refused with INVALID_HEADERS and its next message still goes.
     */
    @Test
    void headersBetweenPythonAndJava() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            BusClient java = BusClient.connect(new ClientOptions().socket(socket)))
        {
            final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            java.subscribe("py.>", m -> seen.add(m.payloadAsString() + " " + m.headers()));
            java.sync(Duration.ofSeconds(10));
            final String script = String.join("\n",
                "import sys, seqbus",
                "c = seqbus.Client(sys.argv[1], name='py-headers', services=True)",
                "c.subscribe(1, 'java.>'); c.ping()",
                "c.publish('py.a', b'one', [('traceparent', '00-ab-01'), ('k', 'v1'), ('k', b'v2')])",
                "bad = bytearray(seqbus.encode_publish('py.a', b'refused', {'bad': 'x'}))",
                "bad[8 + 2 + 4 + 2 + 1] = ord('B')  # the key's first byte, upper case: the broker's check refuses it",
                "c._send(bytes(bad))",
                "c.publish('py.a', b'two')",
                "print('ready', flush=True)",
                "for f in c.receive():",
                "    if isinstance(f, seqbus.Error): print('error', f.code, f.fatal, flush=True)",
                "    elif isinstance(f, seqbus.Deliver):",
                "        print(f.payload.decode(), f.headers, flush=True); break");
            final ProcessBuilder builder = new ProcessBuilder(
                Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3", "-c", script, socket);
            builder.environment().put("PYTHONPATH", EXAMPLES.toString());
            final Process py = builder.start();
            final BufferedReader out = new BufferedReader(new InputStreamReader(py.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).as(() -> stderrQuietly(py)).isEqualTo("ready");
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
            assertThat(seen).containsExactly("one Headers{traceparent=00-ab-01, k=v1, k=v2}", "two Headers{}");
            assertThat(out.readLine()).isEqualTo("error 27 False");
            java.publish("java.x", "three", io.seqbus.client.Headers.of("content-type", "text/plain"));
            assertThat(out.readLine()).isEqualTo("three [('content-type', b'text/plain')]");
            assertThat(py.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(py.exitValue()).as(stderr(py)).isZero();
            assertThat(broker.counters().rejected(io.seqbus.wire.ErrorCode.INVALID_HEADERS)).isEqualTo(1);
        }
    }

    private static String stderrQuietly(final Process p)
    {
        try
        {
            return stderr(p);
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    private static ProcessBuilder python(final String script, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
        command.add(EXAMPLES.resolve(script).toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private static String lines(final int from, final int to)
    {
        return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    private static String stderr(final Process p) throws IOException
    {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}

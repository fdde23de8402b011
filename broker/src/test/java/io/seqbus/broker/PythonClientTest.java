package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    void specVectorsSelfCheckPasses() throws Exception
    {
        final Process check = python("test_vectors.py").start();
        assertThat(check.waitFor(20, TimeUnit.SECONDS)).isTrue();
        final String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as(out + stderr(check)).isZero();
        assertThat(out).containsPattern("\\d+ passed, 0 failed");
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

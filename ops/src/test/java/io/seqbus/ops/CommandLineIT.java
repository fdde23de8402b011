package io.seqbus.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The root {@code ./seqbus} launcher, as a person runs it, after {@code mvn package}.
 */
class CommandLineIT extends ProcessTestBase
{

    @TempDir
    Path dir;

    @Test
    void theDoneWhenOfTheIssue() throws Exception
    {
        final String socket = dir.resolve("t.sock").toString();
        final Process broker = start("broker", "--socket", socket);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(Path.of(socket)));

        final Process sub = start("sub", "--socket", socket, "demo.>", "--count", "1000");
        final CompletableFuture<String> subscribed = firstLine(sub);
        assertThat(subscribed.get(30, TimeUnit.SECONDS)).isEqualTo("seqbus: subscribed to demo.>");

        final Process pub = new ProcessBuilder("bash", "-c",
            "seq 1 1000 | " + LAUNCHER + " pub --socket " + socket + " demo.numbers").start();
        started.add(pub);
        assertThat(pub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(pub.exitValue()).as(stderr(pub)).isZero();

        assertThat(sub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.exitValue()).isZero();
        final String expected = IntStream.rangeClosed(1, 1000).mapToObj(Integer::toString)
            .collect(Collectors.joining("\n", "", "\n"));
        assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(expected);

        broker.destroy();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).as("SIGTERM is a clean stop").isZero();
        assertThat(Files.exists(Path.of(socket))).as("socket file removed").isFalse();
    }

    @Test
    void demoRunsOnDefaults() throws Exception
    {
        final Process demo = start("demo");
        assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String out = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(demo.exitValue()).as(out + stderr(demo)).isZero();
        assertThat(out).contains("ok: 5 published, 5 delivered");
    }

    @Test
    void noBrokerIsOneLineAndNonZero() throws Exception
    {
        final Process pub = start("pub", "--socket", dir.resolve("nobody.sock").toString(), "a.b", "x");
        assertThat(pub.waitFor(30, TimeUnit.SECONDS)).isTrue();
        final String err = stderr(pub).strip();
        assertThat(pub.exitValue()).isNotZero();
        assertThat(err).startsWith("seqbus: ").contains("nobody.sock").doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void everyCommandHasHelp() throws Exception
    {
        for (final String command : new String[]{"broker", "pub", "sub", "demo"})
        {
            final Process help = start(command, "--help");
            assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(help.exitValue()).isZero();
            assertThat(new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("Usage: seqbus " + command);
        }
    }

    @Test
    void badFlagValueStopsTheBrokerWithAClearMessage() throws Exception
    {
        final Process broker = start("broker", "--socket", dir.resolve("x.sock").toString(), "--max-payload", "999999999");
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isEqualTo(2);
        assertThat(stderr(broker)).contains("flag --max-payload: max_payload = 999999999 is out of range; allowed: " +
            "an integer in 0..max_datagram - 305 (130767)");
    }

    @Test
    void boundsThatDoNotFitTheJvmStopTheBrokerNamingBoth() throws Exception
    {
        // The shipped unit's direct memory fits the default bounds; 64 MiB cannot hold 256 MiB of queues.
        final ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "broker", "--socket",
            dir.resolve("x.sock").toString(), "--metrics", "off");
        builder.environment().put("SEQBUS_BROKER_JAVA_OPTS", "-Xmx512m -XX:MaxDirectMemorySize=64m");
        final Process broker = builder.start();
        started.add(broker);
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isEqualTo(2);
        assertThat(stderr(broker)).contains("max_total_queued_bytes=268435456 does not fit this JVM's direct memory",
            "-XX:MaxDirectMemorySize allows 64 MiB");
        assertThat(dir.resolve("x.sock")).doesNotExist();

        final ProcessBuilder heap = new ProcessBuilder(LAUNCHER.toString(), "broker", "--socket",
            dir.resolve("y.sock").toString(), "--metrics", "off", "--max-total-queued-bytes", "16777216",
            "--max-queue-bytes-limit", "16777216", "--max-queued-bytes-per-uid", "16777216");
        heap.environment().put("SEQBUS_BROKER_JAVA_OPTS", "-Xmx160m");
        final Process small = heap.start();
        started.add(small);
        assertThat(small.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(small.exitValue()).isEqualTo(2);
        assertThat(stderr(small)).contains("max_total_subscription_bytes=67108864 with max_connections=4096 and " +
            "max_closed_sessions=16384 does not fit this JVM's heap", "-Xmx allows");
    }

    private Process start(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).start();
        started.add(p);
        return p;
    }

    private static CompletableFuture<String> firstLine(final Process p)
    {
        return CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8)).readLine();
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
    }

    private static String stderr(final Process p) throws IOException
    {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code seqbus bench --json} as tools read it: one JSON object with the documented keys, and
 * counts that add up (nothing lost under the default policy).
 */
class BenchIT extends ProcessTestBase
{

    @Test
    void throughputRunPrintsOneJsonObjectWhoseCountsAddUp() throws Exception
    {
        final JsonNode r = bench("--embedded-broker", "--subs", "3", "--seconds", "1", "--warmup", "0.5", "--json");
        for (final String key : List.of("published_per_sec", "delivered_per_sec", "per_subscriber_min_per_sec", "lost",
            "broker_alloc_bytes_per_msg", "datagrams_per_delivery"))
        {
            assertThat(r.has(key)).as(key).isTrue();
        }
        assertThat(r.path("lost").asLong()).isZero();
        assertThat(r.path("gaps").asLong()).isZero();
        assertThat(r.path("published").asLong()).isPositive();
        assertThat(r.path("per_subscriber_min_per_sec").asDouble()).isPositive();
        assertThat(r.path("delivered_per_sec").asDouble())
            .isGreaterThanOrEqualTo(3 * r.path("per_subscriber_min_per_sec").asDouble() - 1e-3); // 4 decimals each
        assertThat(r.path("datagrams_per_delivery").isNumber()).isTrue();
        assertThat(r.has("latency_us")).isFalse();
        // The subscribers ran in the bench's process: one CPU figure covers them and the publisher.
        assertThat(r.path("subscriber_processes").asBoolean()).isFalse();
        assertSaneShare(r.path("cpu_pct").path("bench"));
        assertThat(r.path("cpu_pct").has("subscribers")).isFalse();
    }

    @Test
    void aShmRunSaysItsTransportAndLosesNothing() throws Exception
    {
        final JsonNode r = bench("--embedded-broker", "--transport", "shm", "--subs", "2", "--seconds", "1",
            "--warmup", "0.3", "--json");
        assertThat(r.path("transport").asText()).isEqualTo("shm");
        assertThat(r.path("lost").asLong()).isZero();
        assertThat(r.path("gaps").asLong()).isZero();
        assertThat(r.path("per_subscriber_min_per_sec").asDouble()).isPositive();
        final JsonNode socket = bench("--embedded-broker", "--transport", "socket", "--seconds", "0.5", "--warmup",
            "0.1", "--json");
        assertThat(socket.path("transport").asText()).isEqualTo("socket");
    }

    @Test
    void aTransportTheEnvironmentContradictsOrABadIdleSpinIsRefusedInOneLine() throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "bench", "--embedded-broker", "--transport",
            "shm", "--seconds", "0.1").redirectErrorStream(true);
        pb.environment().put("SEQBUS_SHARED_MEMORY", "off");
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        assertThat(out.lines().findFirst().orElse("")).isEqualTo("seqbus: --transport shm but SEQBUS_SHARED_MEMORY=off "
            + "overrides it for every client: unset it or set it to on");

        final Process bad = new ProcessBuilder(LAUNCHER.toString(), "bench", "--transport", "udp")
            .redirectErrorStream(true).start();
        final String badOut = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).as(badOut).isEqualTo(2);
        assertThat(badOut).contains("--transport", "udp", "shm", "socket");

        final Process badSpin = new ProcessBuilder(LAUNCHER.toString(), "bench", "--idle-spin", "-3")
            .redirectErrorStream(true).start();
        final String badSpinOut = new String(badSpin.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(badSpin.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(badSpin.exitValue()).as(badSpinOut).isEqualTo(2);
        assertThat(badSpinOut.strip()).isEqualTo("seqbus: --idle-spin must be between 0 and 1000000 µs, not -3");
    }

    @Test
    void pacedRunAddsLatencyPercentilesInOrder() throws Exception
    {
        final JsonNode r = bench("--embedded-broker", "--subs", "1", "--seconds", "1", "--warmup", "0.2",
            "--rate", "2000", "--json");
        final JsonNode l = r.path("latency_us");
        assertThat(l.path("p50").asDouble()).isPositive();
        assertThat(l.path("p50").asDouble()).isLessThanOrEqualTo(l.path("p90").asDouble());
        assertThat(l.path("p90").asDouble()).isLessThanOrEqualTo(l.path("p99").asDouble());
        assertThat(l.path("p99").asDouble()).isLessThanOrEqualTo(l.path("p999").asDouble());
        assertThat(l.path("p999").asDouble()).isLessThanOrEqualTo(l.path("max").asDouble());
        assertThat(r.path("lost").asLong()).isZero();
        assertThat(r.path("subscriber_wait").asText()).isEqualTo("idle spin 100 µs"); // the client's default
        // Paced at 2000/s for about a second: the count is the pacing's, not the machine's.
        assertThat(r.path("published").asLong()).isBetween(1000L, 3000L);
    }

    @Test
    void aMemfdPayloadCostsTheBrokerItsFramesOnlyAndTheCopyAlternativeEveryByte() throws Exception
    {
        final List<JsonNode> runs = benchRuns("--embedded-broker", "--subs", "2", "--seconds", "1", "--warmup", "0.3",
            "--rate", "100", "--size", "1MiB", "--copy-alternative", "--json");
        assertThat(runs).hasSize(2);
        final JsonNode memfd = runs.get(0);
        assertThat(memfd.path("mode").asText()).isEqualTo("memfd");
        assertThat(memfd.path("size").asLong()).isEqualTo(1 << 20);
        assertThat(memfd.path("lost").asLong()).isZero();
        assertThat(memfd.path("latency_us").path("p50").asDouble()).isPositive();
        // PUBLISH_FDS in, a DELIVER_FDS per subscriber out: tens of bytes, never the MiB.
        assertThat(memfd.path("broker_bytes_read_per_msg").asDouble()).isBetween(20.0, 100.0);
        assertThat(memfd.path("broker_bytes_written_per_msg").asDouble()).isBetween(2 * 62.0, 2 * 100.0);
        final JsonNode copy = runs.get(1);
        assertThat(copy.path("mode").asText()).isEqualTo("copy");
        assertThat(copy.path("lost").asLong()).isZero();
        // Every byte, in and out per subscriber (0.9: the window may start inside a message's pieces).
        assertThat(copy.path("broker_bytes_read_per_msg").asDouble()).isGreaterThan(0.9 * (1 << 20));
        assertThat(copy.path("broker_bytes_written_per_msg").asDouble()).isGreaterThan(0.9 * (2 << 20));
    }

    @Test
    void subscriberProcessesCountEverythingAndReportTheirCpu() throws Exception
    {
        final JsonNode r = bench("--embedded-broker", "--subs", "2", "--sub-procs", "--seconds", "1", "--warmup", "0.3",
            "--json");
        assertThat(r.path("subscriber_processes").asBoolean()).isTrue();
        assertThat(r.path("lost").asLong()).isZero();
        assertThat(r.path("gaps").asLong()).isZero();
        assertThat(r.path("per_subscriber_min_per_sec").asDouble()).isPositive();
        assertThat(r.has("latency_us")).isFalse();
        final JsonNode cpu = r.path("cpu_pct");
        assertSaneShare(cpu.path("bench"));
        // The broker runs inside the bench: its CPU is the bench's, not measured apart.
        assertThat(cpu.path("broker_pid_from").asText()).isEqualTo("embedded");
        assertThat(cpu.path("broker").isNull()).isTrue();
        final JsonNode subs = cpu.path("subscribers");
        assertThat(subs.path("each")).hasSize(2);
        subs.path("each").forEach(BenchIT::assertSaneShare);
        // Each subscriber process did the polling, so it used some CPU in the window.
        assertThat(subs.path("max").asDouble()).isPositive().isGreaterThanOrEqualTo(subs.path("mean").asDouble());
        assertThat(cpu.path("clk_tck").asLong()).isPositive();
    }

    @Test
    void aGroupOfMemberProcessesCountsAsOneSubscriberAndGetsEachMessageOnce() throws Exception
    {
        // Members that work a microsecond per message, as the consumers a group is for (the flag reaches them).
        final JsonNode r = bench("--embedded-broker", "--group", "3", "--sub-procs", "--work", "1000", "--seconds",
            "1", "--warmup", "0.3", "--json");
        assertThat(r.path("subscriber_processes").asBoolean()).isTrue();
        assertThat(r.path("mode").asText()).isEqualTo("inline+work1000ns+group");
        final JsonNode group = r.path("group");
        assertThat(group.path("members").asInt()).isEqualTo(3);
        assertThat(group.path("published").asLong()).isPositive();
        // Each message to exactly one member: the receipts add up to what was published, none twice, none lost.
        assertThat(group.path("received").asLong()).isEqualTo(group.path("published").asLong());
        assertThat(group.path("duplicates").asLong()).isZero();
        assertThat(r.path("lost").asLong()).isZero();
        assertThat(r.path("gaps").asLong()).isZero();
        // Three processes, each with its share of the measured window.
        assertThat(r.path("cpu_pct").path("subscribers").path("each")).hasSize(3);
        assertThat(r.path("per_subscriber_min_per_sec").asDouble()).isPositive();
    }

    @Test
    void pacedSubscriberProcessesMergeTheirLatencyAndTheBrokerCpuComesFromItsPid() throws Exception
    {
        final Path dir = Files.createTempDirectory("seqbus-bench-it");
        final Path socket = dir.resolve("b.sock");
        final Process broker = new ProcessBuilder(LAUNCHER.toString(), "broker", "--socket", socket.toString(),
            "--metrics", "off").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile())).start();
        started.add(broker);
        closeables.add(() ->
        {
            broker.destroy();
            broker.waitFor(30, TimeUnit.SECONDS);
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach((f) -> f.toFile().delete());
            }
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(socket));
        // Subscribers that sleep in poll(2) at once: the processes are told, or they refuse the argument.
        final JsonNode r = bench("--socket", socket.toString(), "--subs", "2", "--sub-procs", "--rate", "2000",
            "--seconds", "1", "--warmup", "0.3", "--idle-spin", "0", "--json");
        assertThat(r.path("subscriber_wait").asText()).isEqualTo("idle spin 0 µs");
        assertThat(r.path("lost").asLong()).isZero();
        // Paced at 2000/s for about a second, each of the 2 processes got every message of the window.
        assertThat(r.path("published").asLong()).isBetween(1000L, 3000L);
        assertThat(r.path("per_subscriber_min_per_sec").asDouble()).isPositive();
        // The window counts its own messages: warm-up records too (the same code runs in both), but apart. Each
        // process hears of the window's edges a moment after the publisher, hence the slack, well under the
        // warm-up's 600 per subscriber.
        final long published = r.path("published").asLong();
        assertThat(r.path("delivered").asLong()).isBetween(2 * published - published / 5, 2 * published + published / 5);
        final JsonNode l = r.path("latency_us");
        assertThat(l.path("p50").asDouble()).isPositive();
        assertThat(l.path("p50").asDouble()).isLessThanOrEqualTo(l.path("p99").asDouble());
        assertThat(l.path("p99").asDouble()).isLessThanOrEqualTo(l.path("p999").asDouble());
        assertThat(l.path("p999").asDouble()).isLessThanOrEqualTo(l.path("max").asDouble());
        final JsonNode cpu = r.path("cpu_pct");
        assertThat(cpu.path("broker_pid_from").asText()).isEqualTo("stat");
        assertThat(cpu.path("broker_pid").asLong()).isEqualTo(broker.pid()); // the launcher execs the JVM
        assertSaneShare(cpu.path("broker"));
        assertSaneShare(cpu.path("bench"));
        assertThat(cpu.path("subscribers").path("each")).hasSize(2);
        cpu.path("subscribers").path("each").forEach(BenchIT::assertSaneShare);
    }

    @Test
    void aSubscriberProcessThatDiesEndsTheRunWithAnErrorNamingIt() throws Exception
    {
        final Path errFile = Files.createTempFile("seqbus-bench", ".err");
        // A window far longer than the waits below: ending on time means the death was noticed, not waited out.
        final Process bench = new ProcessBuilder(LAUNCHER.toString(), "bench", "--embedded-broker", "--subs", "2",
            "--sub-procs", "--seconds", "600", "--warmup", "0.3").redirectError(errFile.toFile()).start();
        started.add(bench);
        final List<ProcessHandle> children = new java.util.ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() ->
        {
            children.clear();
            bench.descendants().filter((h) -> h.info().commandLine().orElse("").contains("SubscriberProcess"))
                .forEach(children::add);
            return children.size() == 2;
        });
        children.get(0).destroyForcibly();
        assertThat(bench.waitFor(60, TimeUnit.SECONDS)).as("the bench ends instead of hanging").isTrue();
        final String err = Files.readString(errFile);
        Files.delete(errFile);
        assertThat(bench.exitValue()).as(err).isEqualTo(1);
        assertThat(err).contains("seqbus: subscriber process ", "(pid " + children.get(0).pid() + ") exited");
        // Its sibling is not left behind.
        await().atMost(Duration.ofSeconds(30)).until(() -> !children.get(1).isAlive());
    }

    /** A share of one core that a process on this machine can have used: measured, not negative, at most all cores. */
    private static void assertSaneShare(final JsonNode pct)
    {
        assertThat(pct.isNumber()).as(pct.toString()).isTrue();
        assertThat(pct.asDouble()).isBetween(0.0, 100.0 * Runtime.getRuntime().availableProcessors() + 10);
    }

    private static JsonNode bench(final String... args) throws Exception
    {
        final List<JsonNode> runs = benchRuns(args);
        assertThat(runs).as("one line of JSON").hasSize(1);
        return runs.get(0);
    }

    private static List<JsonNode> benchRuns(final String... args) throws Exception
    {
        final List<String> command = new java.util.ArrayList<>(List.of(LAUNCHER.toString(), "bench"));
        command.addAll(List.of(args));
        final Path errFile = Files.createTempFile("seqbus-bench", ".err");
        final ProcessBuilder pb = new ProcessBuilder(command).redirectError(errFile.toFile());
        if (command.contains("--transport"))
        {
            pb.environment().remove("SEQBUS_SHARED_MEMORY"); // the run says its transport itself
        }
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String err = Files.readString(errFile);
        Files.delete(errFile);
        assertThat(p.exitValue()).as(out + err).isZero();
        // The run ends by stopping its own clients: that is no lost connection to warn about.
        assertThat(err).doesNotContain("lost the connection");
        final List<JsonNode> runs = new java.util.ArrayList<>();
        for (final String line : out.strip().split("\n"))
        {
            runs.add(new ObjectMapper().readTree(line));
        }
        return runs;
    }
}

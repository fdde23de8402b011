package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.config.Setting;
import io.seqbus.broker.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Configuring and watching the broker through the root {@code ./seqbus} launcher: config file,
 * {@code --check-config}, flags from the settings table, and {@code seqbus stat}.
 */
class OperateIT extends ProcessTestBase
{

    @TempDir
    Path dir;

    @Test
    void checkConfigSaysValidOrNamesEveryProblem() throws Exception
    {
        final Path good = dir.resolve("good.conf");
        Files.writeString(good, "max_payload = 1000\nlog_level = \"warn\"\n");
        final Process ok = start("broker", "--check-config", good.toString());
        assertThat(ok.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.exitValue()).isZero();
        assertThat(stderr(ok)).contains("configuration is valid");

        final Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "max_payload = 1000\nmax_conections = 3\nstall_timeout_ms = -1\n");
        final Process no = start("broker", "--check-config", bad.toString());
        assertThat(no.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(no.exitValue()).isEqualTo(2);
        assertThat(stderr(no))
            .contains("seqbus: " + bad + ":2: unknown key 'max_conections'")
            .contains("seqbus: " + bad + ":3: stall_timeout_ms = -1 is out of range; allowed: an integer in 1..")
            .contains("invalid configuration; nothing started")
            .doesNotContain("Exception");
    }

    @Test
    void helpListsEverySetting() throws Exception
    {
        final Process help = start("broker", "--help");
        assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
        final String out = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        for (final Setting<?> s : Settings.ALL)
        {
            assertThat(out).contains(s.flag(), s.env());
        }
        assertThat(out).contains("--config", "--check-config");
    }

    @Test
    void statShowsClientsTopicsAndTotalsOfABrokerStartedFromAConfigFile() throws Exception
    {
        final String socket = dir.resolve("s.sock").toString();
        final Path conf = dir.resolve("seqbus.conf");
        Files.writeString(conf, "socket = \"" + socket + "\"\nmetrics = \"127.0.0.1:0\"\nstat_top_topics = 5\n");
        final Path log = dir.resolve("broker.log");
        final Process broker = new ProcessBuilder(LAUNCHER.toString(), "broker", "--config", conf.toString(),
            "--node-name", "statnode").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(broker);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(Path.of(socket)));

        final Process pub = new ProcessBuilder("bash", "-c",
            "seq 1 400 | " + LAUNCHER + " pub --socket " + socket + " demo.numbers").start();
        started.add(pub);
        assertThat(pub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(pub.exitValue()).as(stderr(pub)).isZero();

        final Process json = start("stat", "--socket", socket, "--json");
        assertThat(json.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(json.exitValue()).as(stderr(json)).isZero();
        final JsonNode doc = new ObjectMapper().readTree(json.getInputStream().readAllBytes());
        assertThat(doc.path("broker").path("node").asText()).isEqualTo("statnode");
        assertThat(doc.path("totals").path("messages_published").asLong()).isEqualTo(400);
        assertThat(doc.path("clients")).hasSize(1);
        assertThat(doc.path("clients").get(0).path("name").asText()).isEqualTo("seqbus-stat");
        assertThat(doc.path("clients").get(0).path("pid").asLong()).isPositive();
        // Sampled one in 8: 400 publishes of one topic leave it in the table with near certainty.
        assertThat(doc.path("topics").get(0).path("topic").asText()).isEqualTo("demo.numbers");

        final Process table = start("stat", "--socket", socket);
        assertThat(table.waitFor(30, TimeUnit.SECONDS)).isTrue();
        final String out = new String(table.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(table.exitValue()).as(out + stderr(table)).isZero();
        assertThat(out).contains("broker statnode", "published 400", "seqbus-stat", "TOPIC", "demo.numbers");

        broker.destroy();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isZero();
        assertThat(Files.readString(log)).contains("INFO  metrics on http://127.0.0.1:");
    }

    @Test
    void aBrokerWhoseThreadRunsOutOfMemoryExitsWith70ForItsSupervisor() throws Exception
    {
        // A real failure, not a hook: a subscriber that stops reading, a queue limit above the JVM's
        // direct memory, and a publisher that fills it; the batch pool then cannot allocate.
        final String socket = dir.resolve("oom.sock").toString();
        final Path log = dir.resolve("broker.log");
        final ProcessBuilder brokerBuilder = new ProcessBuilder(LAUNCHER.toString(), "broker", "--socket", socket,
            "--metrics", "off", "--max-queue-bytes", Integer.toString(64 << 20))
            .redirectErrorStream(true).redirectOutput(log.toFile());
        // The start-time budget would refuse a queue bound above direct memory; only this test turns it off.
        brokerBuilder.environment().put("SEQBUS_BROKER_JAVA_OPTS",
            "-Xmx128m -XX:MaxDirectMemorySize=8m -Dseqbus.memory.budget=off");
        final Process broker = brokerBuilder.start();
        started.add(broker);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(Path.of(socket)));

        final Path subErr = dir.resolve("sub.err");
        final Process sub = new ProcessBuilder(LAUNCHER.toString(), "sub", "--socket", socket, "oom.>")
            .redirectError(subErr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(sub);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(subErr).contains("subscribed to oom.>"));
        assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(sub.pid())).start().waitFor()).isZero();
        final Process pub = new ProcessBuilder("bash", "-c",
            "seq 1 3000000 | " + LAUNCHER + " pub --socket " + socket + " oom.numbers").start();
        started.add(pub);

        assertThat(broker.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isEqualTo(70);
        assertThat(Files.readString(log)).contains("the broker's thread ran out of memory; exiting at once");
        assertThat(Path.of(socket)).doesNotExist();
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

    private static String stderr(final Process p) throws IOException
    {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code seqbus reload} against a real broker: it exits 0 with a one-line summary when the broker applied
 * the reload, and non-zero with the reason when the broker refused it (issue 13, defect 5: a refused
 * reload looked like a success to {@code systemctl reload}).
 */
class ReloadCommandIT extends ProcessTestBase
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aRefusedReloadExitsNonZeroWithTheReasonAndAnAppliedOneZero() throws Exception
    {
        final Path config = dir.resolve("seqbus.conf");
        Files.writeString(config, "log_level = \"info\"\n");
        final Path socket = dir.resolve("bus.sock");
        final Path log = dir.resolve("broker.log");
        final Process broker = new ProcessBuilder(CommandRun.seqbus("broker", "--config", config.toString(),
            "--socket", socket.toString(), "--metrics", "off"))
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(broker);
        await().atMost(WAIT).until(() -> Files.readString(log).contains("listening on " + socket));

        final CommandRun unchanged = reload("--socket", socket.toString()).succeeded();
        assertThat(unchanged.out()).isEqualTo("reload 1 applied: no change to apply\n");

        Files.writeString(config, "log_level = \"loud\"\n");
        final CommandRun refused = reload("--socket", socket.toString());
        assertThat(refused.exit()).as(refused.err()).isEqualTo(ReloadCommand.EXIT_REFUSED);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).startsWith("seqbus: reload 2 refused: ").contains("log_level", "\"loud\"")
            .endsWith("nothing changed\n");
        assertThat(refused.err().lines()).hasSize(1);
        assertThat(broker.isAlive()).as("a refused reload stops nothing").isTrue();

        Files.writeString(config, "log_level = \"debug\"\n");
        final CommandRun applied = reload("--pid", Long.toString(broker.pid()), "--socket", socket.toString())
            .succeeded();
        assertThat(applied.out()).isEqualTo("reload 3 applied: 1 applied (log_level)\n");

        final JsonNode reload = new ObjectMapper().readTree(CommandRun.run(Map.of(), CommandRun.seqbus(
            "stat", "--json", "--socket", socket.toString())).succeeded().out()).at("/broker/reload");
        assertThat(reload.path("generation").asLong()).isEqualTo(3);
        assertThat(reload.path("status").asText()).isEqualTo("applied");
        assertThat(Files.readString(log)).contains("reload 2 refused: ", "reload 3 applied: 1 applied (log_level)");
    }

    @Test
    void aBrokerStartedWithSighupIgnoredStillReloads() throws Exception
    {
        // As `nohup seqbus broker &` starts it: the JVM inherits SIGHUP ignored, and would keep it so.
        final Path socket = dir.resolve("bus.sock");
        final Path log = dir.resolve("broker.log");
        final String[] broker = CommandRun.seqbus("broker", "--socket", socket.toString(), "--metrics", "off");
        final java.util.List<String> command = new java.util.ArrayList<>(
            java.util.List.of("bash", "-c", "trap '' HUP; exec \"$@\"", "ignoring-hup"));
        command.addAll(java.util.List.of(broker));
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(process);
        await().atMost(WAIT).until(() -> Files.readString(log).contains("listening on " + socket));
        // The wrapper does what nohup does: what it execs starts with SIGHUP ignored (bit 0 of SigIgn).
        final CommandRun probe = CommandRun.run(Map.of(),
            new String[]{"bash", "-c", "trap '' HUP; exec grep SigIgn /proc/self/status"}).succeeded();
        assertThat(Long.parseUnsignedLong(probe.out().substring("SigIgn:".length()).trim(), 16) & 1).isEqualTo(1);

        final CommandRun applied = reload("--socket", socket.toString(), "--timeout", "10").succeeded();
        assertThat(applied.out()).isEqualTo("reload 1 applied: no change to apply\n");
        assertThat(process.isAlive()).isTrue();
    }

    @Test
    void withNoBrokerToAskThereIsNoOutcomeAndNoSignal() throws Exception
    {
        final CommandRun run = reload("--socket", dir.resolve("nobody.sock").toString());
        assertThat(run.exit()).isEqualTo(ReloadCommand.EXIT_NO_OUTCOME);
        assertThat(run.err()).startsWith("seqbus: reload: cannot ask the broker: ");
    }

    private static CommandRun reload(final String... args) throws Exception
    {
        final String[] command = new String[args.length + 1];
        command[0] = "reload";
        System.arraycopy(args, 0, command, 1, args.length);
        return CommandRun.run(Map.of(), CommandRun.seqbus(command));
    }
}

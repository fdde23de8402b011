package io.seqbus.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The first command after boot or install starts a socket-activated broker, and a JVM on a busy host can take
 * longer than the client jar's 5 s for WELCOME (DebPackageIT's first {@code seqbus sub} did, in CI). The commands
 * wait {@code --connect-timeout} (30 s) for a broker that took the connection; a shorter bound still fails
 * with the reason.
 */
class SocketActivationSlowStartIT extends ProcessTestBase
{
    // From the first connection to the broker's exec: more than the client jar's 5 s connect timeout.
    private static final int START_DELAY_S = 8;

    @TempDir
    Path dir;

    @Test
    void commandsWaitForABrokerThatIsStillStarting() throws Exception
    {
        final Path socket = dir.resolve("slow.sock");
        final List<String> command = new ArrayList<>(List.of(
            "systemd-socket-activate", "--seqpacket", "-l", socket.toString(), "-E", "PATH"));
        if (System.getenv("JAVA_HOME") != null)
        {
            command.addAll(List.of("-E", "JAVA_HOME"));
        }
        command.addAll(List.of("sh", "-c", "sleep " + START_DELAY_S + "; exec \"$0\" broker", LAUNCHER.toString()));
        started.add(new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("broker.log").toFile()).start());
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(socket));

        final long firstConnectNs = System.nanoTime();
        final CommandRun impatient = CommandRun.run(Map.of(), CommandRun.seqbus(
            "pub", "--socket", socket.toString(), "--connect-timeout", "1s", "slow.t", "early"));
        assertThat(impatient.exit()).as(impatient.err()).isEqualTo(ExitStatus.BROKER_GONE);
        assertThat(impatient.err()).contains("no WELCOME from the seqbus broker at " + socket + " within 1000 ms");

        final Process sub = new ProcessBuilder(CommandRun.seqbus("sub", "--socket", socket.toString(), "--count", "1",
            "slow.t")).start();
        started.add(sub);
        final BufferedReader subErr = new BufferedReader(new InputStreamReader(sub.getErrorStream(), StandardCharsets.UTF_8));
        final String subscribed = CompletableFuture.supplyAsync(() -> readLine(subErr)).get(60, TimeUnit.SECONDS);
        assertThat(subscribed).startsWith("seqbus: subscribed to slow.t");
        assertThat(System.nanoTime() - firstConnectNs).as("the sub waited out the broker's start")
            .isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(START_DELAY_S));

        CommandRun.run(Map.of(), CommandRun.seqbus("pub", "--socket", socket.toString(), "slow.t", "late")).succeeded();
        assertThat(sub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("late\n");
        assertThat(sub.exitValue()).isZero();
    }

    private static String readLine(final BufferedReader reader)
    {
        try
        {
            return reader.readLine();
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}

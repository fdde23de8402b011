package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
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
 * What the tests of {@code seqbus sub} and {@code seqbus pub} share: a real broker and the real commands as
 * child processes, their output in files of the test's folder.
 */
abstract class CliTestBase extends ProcessTestBase
{
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** A command started with its output in files. */
    record Cli(Process process, Path out, Path err)
    {
        String stderr() throws IOException
        {
            return Files.readString(err, StandardCharsets.UTF_8);
        }

        byte[] stdout() throws IOException
        {
            return Files.readAllBytes(out);
        }

        int exit() throws InterruptedException
        {
            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exited in time").isTrue();
            return process.exitValue();
        }

        void signal(final String signal) throws IOException, InterruptedException
        {
            assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor()).isZero();
        }
    }

    /**
     * @param socket where it listens.
     * @param config lines of seqbus.conf besides the socket (ACL, stall timeout), or "".
     * @return the broker, once its socket is there.
     */
    Cli broker(final String socket, final String config) throws IOException
    {
        final Path file = Files.createTempFile(dir, "seqbus", ".conf");
        Files.writeString(file, "socket = \"" + socket + "\"\nmetrics = \"off\"\nsocket_activation = \"false\"\n" +
            config);
        Files.deleteIfExists(Path.of(socket));
        final Cli broker = seqbus("broker", "--config", file.toString());
        await().atMost(WAIT).until(() -> Files.exists(Path.of(socket)) || !broker.process().isAlive());
        assertThat(broker.process().isAlive()).as("broker started: %s", broker.stderr()).isTrue();
        // The socket file appears at bind(2), a moment before listen(2): a first connection says it is ready.
        BusClient.connect(new ClientOptions().socket(socket).connectRetry(WAIT)).close();
        return broker;
    }

    /**
     * @param args the command line after {@code seqbus}.
     * @return the command, started, its standard input empty.
     */
    Cli seqbus(final String... args) throws IOException
    {
        return seqbusReading(null, args);
    }

    /**
     * @param stdin a file for standard input, or null for none.
     * @param args  the command line after {@code seqbus}.
     * @return the command, started.
     */
    Cli seqbusReading(final Path stdin, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        final Path out = Files.createTempFile(dir, args[0], ".out");
        final Path err = Files.createTempFile(dir, args[0], ".err");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()) :
            ProcessBuilder.Redirect.from(stdin.toFile()));
        final Process process = builder.start();
        started.add(process);
        return new Cli(process, out, err);
    }

    /**
     * @return {@code seqbus sub} on the pattern, once it said it is subscribed.
     */
    Cli subscribed(final String socket, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("sub", "--socket", socket));
        command.addAll(List.of(args));
        final Cli sub = seqbus(command.toArray(String[]::new));
        await().atMost(WAIT).until(() -> sub.stderr().contains("seqbus: subscribed to") || !sub.process().isAlive());
        assertThat(sub.stderr()).contains("seqbus: subscribed to");
        return sub;
    }

    /**
     * @return a Java client of the test's own, closed after the test.
     */
    BusClient client(final String socket, final ClientOptions options)
    {
        final BusClient client = BusClient.connect(options.socket(socket));
        closeables.add(client);
        return client;
    }
}

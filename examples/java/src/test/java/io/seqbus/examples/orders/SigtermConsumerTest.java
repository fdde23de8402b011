package io.seqbus.examples.orders;

import io.seqbus.broker.testing.SeqbusBroker;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The consumer as it runs in production: its own JVM, stopped with SIGTERM while orders are still
 * being worked on. It must finish every order it took, say so, and exit 0.
 */
class SigtermConsumerTest
{
    private static final int ORDERS = 30;

    @RegisterExtension
    final SeqbusBroker broker = new SeqbusBroker();

    @TempDir
    Path folder;

    private Process consumer;

    @AfterEach
    void killLeftover()
    {
        if (consumer != null && consumer.isAlive())
        {
            consumer.destroyForcibly();
        }
    }

    @Test
    void finishesItsInFlightWorkAndExitsZeroOnSigterm() throws Exception
    {
        // 100 ms an order on 2 workers: 30 orders take 1.5 s, so SIGTERM, sent after the first is done,
        // finds most of them taken but unfinished.
        // Its output goes to a file: a pipe read while the process exits can lose the last lines
        // (the JDK closes the pipe under a blocked reader).
        final Path output = folder.resolve("consumer.out");
        consumer = startConsumer(output, broker.socket(), "100", "2");
        await().atMost(Duration.ofSeconds(30)).until(() -> lines(output).contains("ready"));

        try (BusClient bus = BusClient.connect(new ClientOptions().socket(broker.socket())))
        {
            final OrderPublisher publisher = new OrderPublisher(bus);
            for (int i = 1; i <= ORDERS; i++)
            {
                publisher.created(new Order(i, "eu", "A", 1, 1));
            }
            publisher.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> lines(output).stream().anyMatch((l) -> l.startsWith("processed ")));

        final long doneBeforeSigterm = processedLines(lines(output));
        consumer.destroy();   // SIGTERM
        assertThat(consumer.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s").isTrue();
        final List<String> lines = lines(output);

        assertThat(consumer.exitValue()).as("exit status; output: %s", lines).isZero();
        final String last = lines.get(lines.size() - 1);
        assertThat(last).matches("stopped: processed (\\d+) of \\1");
        final long processed = processedLines(lines);
        assertThat(last).isEqualTo("stopped: processed " + processed + " of " + processed);
        // It was stopped mid-stream (the point of the test): orders taken before SIGTERM were finished after it.
        assertThat(processed).isGreaterThan(doneBeforeSigterm).isLessThanOrEqualTo(ORDERS);
    }

    private static Process startConsumer(final Path output, final String socket, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        // As in production: no JVM flags.
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(OrderConsumer.class.getName());
        command.add(socket);
        command.addAll(Arrays.asList(args));
        return new ProcessBuilder(command).redirectOutput(output.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static long processedLines(final List<String> lines)
    {
        return lines.stream().filter((l) -> l.startsWith("processed ")).count();
    }

    private static List<String> lines(final Path file)
    {
        try
        {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}

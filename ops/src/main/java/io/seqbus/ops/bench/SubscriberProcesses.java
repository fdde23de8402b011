package io.seqbus.ops.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The subscribers of {@code seqbus bench --sub-procs}: one {@link SubscriberProcess} each, a child JVM started with
 * this JVM's java, class path and the flags the launcher gives it that the client needs. Every wait on a child is
 * bounded and watches it: a child that exits or stops answering is an error naming it and quoting its stderr, never
 * a hang. Closing kills whatever is still running.
 */
final class SubscriberProcesses implements Subscribers
{
    /** A child's stdout ended: put on its queue after its last line. */
    private static final String EOF = "\u0000eof";
    private static final Duration READY_WAIT = Duration.ofSeconds(60);
    /** The child waits {@link SubscriberProcess#DRAIN_WAIT} for its messages, then reports: a little more here. */
    private static final Duration REPORT_WAIT = SubscriberProcess.DRAIN_WAIT.plusSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WATCH_MS = 50;

    private final List<Child> children = new ArrayList<>();
    /** The children are one queue group's members: each counts its share only. */
    private final boolean group;

    /**
     * Starts the N subscriber processes and waits until each has subscribed and synced.
     *
     * @param settings the run: its socket, topic, transport, --spin, --rate, --touch, --copy-alternative.
     * @throws IOException if a process cannot be started.
     */
    SubscriberProcesses(final Bench.Settings settings) throws IOException
    {
        group = settings.group != null;
        try
        {
            for (int i = 0; i < settings.subscribers; i++)
            {
                children.add(new Child(i, command(settings, i)));
            }
            for (final Child c : children)
            {
                c.next("subscribed", System.nanoTime() + READY_WAIT.toNanos()); // {"ready":PID}
            }
        }
        catch (final RuntimeException | IOException ex)
        {
            close();
            throw ex;
        }
    }

    /** @return the process ids, in subscriber order. */
    @Override
    public long[] pids()
    {
        return children.stream().mapToLong((c) -> c.process.pid()).toArray();
    }

    /**
     * Sleeps through the measured window, looking at the children every {@value #WATCH_MS} ms: one that exits ends
     * the run at once, not after the window and the drain.
     *
     * @param nanos how long.
     * @throws InterruptedException if interrupted.
     */
    @Override
    public void sleepWatching(final long nanos) throws InterruptedException
    {
        final long end = System.nanoTime() + nanos;
        long left;
        while ((left = end - System.nanoTime()) > 0)
        {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(WATCH_MS)));
            for (final Child c : children)
            {
                if (!c.process.isAlive())
                {
                    throw new IllegalStateException(c.name() + " exited with status " + c.process.exitValue() +
                        " while measuring" + c.lastWords());
                }
            }
        }
    }

    @Override
    public void phase(final int phase)
    {
        final String command = phase == SubscriberTally.MEASURING ? "measure" : "drain";
        children.forEach((c) -> c.send(command));
    }

    /** Each process waits for what it misses itself, and reports when it has it all. */
    @Override
    public List<Report> collect(final long expected)
    {
        final long deadline = System.nanoTime() + REPORT_WAIT.toNanos();
        if (group)
        {
            awaitGroupShares(expected, deadline);
        }
        // A group member reports at once: the bench has waited for the group as a whole.
        children.forEach((c) -> c.send("expect " + (group ? 0 : expected)));
        final List<Report> reports = new ArrayList<>();
        for (final Child c : children)
        {
            final JsonNode r = c.next("reported its counts", deadline);
            reports.add(new Report(r.path("received").asLong(), r.path("measured").asLong(), r.path("gaps").asLong(),
                SubscriberProcess.decode(r.path("latency_ns").asText())));
        }
        return reports;
    }

    /**
     * Asks the members for their counts until together they have everything published (each message goes to one
     * of them) or {@link SubscriberProcess#DRAIN_WAIT} passes; the loss, if any, is then what the reports lack.
     */
    private void awaitGroupShares(final long expected, final long reportDeadline)
    {
        final long drainDeadline = System.nanoTime() + SubscriberProcess.DRAIN_WAIT.toNanos();
        while (true)
        {
            children.forEach((c) -> c.send("count"));
            long sum = 0;
            for (final Child c : children)
            {
                sum += c.next("said its count", reportDeadline).path("count").asLong();
            }
            if (sum >= expected || System.nanoTime() - drainDeadline > 0)
            {
                return;
            }
            try
            {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for the group's members", ex);
            }
        }
    }

    @Override
    public void close()
    {
        for (final Child c : children)
        {
            c.process.destroyForcibly();
        }
        for (final Child c : children)
        {
            try
            {
                c.process.waitFor(10, TimeUnit.SECONDS);
                Files.deleteIfExists(c.stderr);
            }
            catch (final IOException | InterruptedException ex)
            {
                // the temp file stays; nothing else to do at the end of a run
            }
        }
    }

    /** The child JVM's command line: this JVM's java and class path, the flags the client needs. */
    private static List<String> command(final Bench.Settings s, final int index)
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
            Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (final String flag : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            // Aeron's jdk.internal.misc and junixsocket's native access (Java 22+), as the launcher gives them.
            if (flag.startsWith("--add-exports") || flag.startsWith("--add-opens") ||
                flag.startsWith("--enable-native-access"))
            {
                command.add(flag);
            }
        }
        // As the bench itself runs (the optimising compiler, no GC pauses to speak of); a subscriber needs little heap.
        command.addAll(List.of("-XX:+UseSerialGC", "-Xms32m", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
            SubscriberProcess.class.getName(), Integer.toString(index), s.socket, s.topic));
        if (s.rate > 0)
        {
            command.addAll(List.of("--rate", Long.toString(s.rate)));
        }
        if (s.sharedMemory)
        {
            command.add("--shm");
        }
        if (s.spin)
        {
            command.add("--spin");
        }
        if (s.idleSpinUs >= 0)
        {
            command.addAll(List.of("--idle-spin", Long.toString(s.idleSpinUs)));
        }
        if (s.touch)
        {
            command.add("--touch");
        }
        if (s.copyAlternative)
        {
            command.add("--copy-alternative");
        }
        if (s.group != null)
        {
            command.addAll(List.of("--group", s.group));
        }
        if (s.workNs > 0)
        {
            command.addAll(List.of("--work", Long.toString(s.workNs)));
        }
        return command;
    }

    /** One subscriber process: its stdin to command it, its stdout lines on a queue, its stderr in a file. */
    private static final class Child
    {
        final int index;
        final Process process;
        final Path stderr;
        final OutputStream stdin;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(final int index, final List<String> command) throws IOException
        {
            this.index = index;
            this.stderr = Files.createTempFile("seqbus-bench-sub-" + index + "-", ".err");
            this.process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            this.stdin = process.getOutputStream();
            final Thread reader = new Thread(this::readLines, "bench-sub-proc-" + index);
            reader.setDaemon(true);
            reader.start();
        }

        private void readLines()
        {
            try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = out.readLine()) != null)
                {
                    lines.add(line);
                }
            }
            catch (final IOException ex)
            {
                // the process is gone: same as the end of its output
            }
            lines.add(EOF);
        }

        void send(final String command)
        {
            try
            {
                stdin.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
            }
            catch (final IOException ex)
            {
                // A child that exited: the next wait on it says so, with its exit code and stderr.
            }
        }

        /** The child's next line as JSON, or an error naming the child once it exits or the deadline passes. */
        JsonNode next(final String what, final long deadline)
        {
            try
            {
                String line;
                do
                {
                    // Only JSON objects are the child's words: a library's line on stdout is skipped.
                    final long left = deadline - System.nanoTime();
                    line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : lines.poll();
                }
                while (line != null && !line.startsWith("{") && !line.equals(EOF));
                if (line == null)
                {
                    throw new IllegalStateException(name() + " has not " + what + " in time (still running: " +
                        process.isAlive() + ")" + lastWords());
                }
                if (line.equals(EOF))
                {
                    process.waitFor(5, TimeUnit.SECONDS);
                    throw new IllegalStateException(name() + " exited" +
                        (process.isAlive() ? "" : " with status " + process.exitValue()) + " before it " + what +
                        lastWords());
                }
                return JSON.readTree(line);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + name(), ex);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(name() + " printed what is not JSON", ex);
            }
        }

        private String name()
        {
            return "subscriber process " + index + " (pid " + process.pid() + ")";
        }

        /** The last line the child wrote on stderr, if any. */
        private String lastWords()
        {
            try
            {
                final List<String> err = Files.readAllLines(stderr, StandardCharsets.UTF_8);
                return err.isEmpty() ? "" : "; its stderr ends: " + err.get(err.size() - 1).strip();
            }
            catch (final IOException ex)
            {
                return "";
            }
        }
    }
}

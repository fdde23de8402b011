package io.seqbus.ops;

import io.seqbus.wire.BusSocket;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.PingFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker's log as journald reads it. When standard error is the stream {@code $JOURNAL_STREAM} names
 * (its device and inode), every line starts with its sd-daemon priority, so that {@code journalctl -p
 * warning} finds what went wrong; otherwise the lines are as they always were. Connects and disconnects are
 * logged at info, at most 20 lines a second, the rest counted.
 */
class JournalLogIT extends ProcessTestBase
{
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern SUPPRESSED = Pattern.compile("(\\d+) connect and disconnect lines not logged");

    @TempDir
    Path dir;

    @Test
    void whenStderrIsTheJournalEveryLineCarriesItsPriority() throws Exception
    {
        final Path stderr = Files.createFile(dir.resolve("journal-stream"));
        final Path socket = dir.resolve("bus.sock");
        final Process broker = start(socket, stderr, deviceAndInode(stderr));

        try (AFUNIXDatagramChannel quiet = BusSocket.open())
        {
            quiet.connect(BusSocket.address(socket.toString()));
        }
        await().atMost(WAIT).until(() -> Files.readString(stderr).contains("closed client#1"));
        misbehave(socket);
        await().atMost(WAIT).until(() -> Files.readString(stderr).contains("HELLO_REQUIRED"));
        stop(broker);

        final List<String> lines = Files.readAllLines(stderr);
        assertThat(lines).as("every line has a priority").allMatch((l) -> l.matches("<[3-7]>.*"));
        assertThat(lines).anyMatch((l) -> l.startsWith("<6>INFO  broker " + System.getProperty("seqbus.version") + " (revision "));
        assertThat(lines).anyMatch((l) -> l.matches("<6>INFO  accepted client#1 pid=\\d+ uid=\\d+"));
        assertThat(lines).anyMatch((l) -> l.matches("<6>INFO  closed client#1 .*: peer closed"));
        assertThat(lines).as("what journalctl -p warning shows")
            .anyMatch((l) -> l.startsWith("<4>WARN  closing client#2 ") && l.contains("HELLO_REQUIRED"));
        assertThat(lines).contains("<6>INFO  broker stopped");
    }

    @Test
    void whenStderrIsAnythingElseTheLinesHaveNoPrefix() throws Exception
    {
        // JOURNAL_STREAM inherited, but stderr redirected since: not the journal.
        final Path other = Files.createFile(dir.resolve("other"));
        final Path stderr = Files.createFile(dir.resolve("plain"));
        final Path socket = dir.resolve("bus.sock");
        final Process broker = start(socket, stderr, deviceAndInode(other));
        misbehave(socket);
        await().atMost(WAIT).until(() -> Files.readString(stderr).contains("HELLO_REQUIRED"));
        stop(broker);

        final List<String> lines = Files.readAllLines(stderr);
        assertThat(lines).noneMatch((l) -> l.startsWith("<"));
        assertThat(lines).anyMatch((l) -> l.startsWith("WARN  closing client#1 "));
        assertThat(lines).anyMatch((l) -> l.startsWith("INFO  accepted client#1 "));
    }

    @Test
    void connectionChurnLogsAtMost20LinesASecondAndCountsTheRest() throws Exception
    {
        final Path stderr = Files.createFile(dir.resolve("churn"));
        final Path socket = dir.resolve("bus.sock");
        final Process broker = start(socket, stderr, null);
        final int clients = 500;
        final long startNs = System.nanoTime();
        for (int i = 0; i < clients; i++)
        {
            try (AFUNIXDatagramChannel c = BusSocket.open())
            {
                c.connect(BusSocket.address(socket.toString()));
            }
        }
        // Every accept and every close is either printed or counted, once the counts are out.
        await().atMost(WAIT).until(() -> printed(stderr) + suppressed(stderr) == 2L * clients);
        final long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs) + 1;
        stop(broker);

        System.out.println("connection churn: " + clients + " clients in about " + seconds + " s; " + printed(stderr) +
            " lines printed, " + suppressed(stderr) + " counted");
        assertThat(suppressed(stderr)).isPositive();
        // At most 20 a second, in every one-second window since the first connect (plus the window it began in).
        assertThat(printed(stderr)).isLessThanOrEqualTo(20 * (seconds + 1));
    }

    private Process start(final Path socket, final Path stderr, final String journalStream) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(CommandRun.seqbus("broker", "--socket", socket.toString(),
            "--metrics", "off")).redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
        builder.environment().remove("JOURNAL_STREAM");
        if (journalStream != null)
        {
            builder.environment().put("JOURNAL_STREAM", journalStream);
        }
        final Process broker = builder.start();
        started.add(broker);
        await().atMost(WAIT).until(() -> Files.readString(stderr).contains("listening on " + socket));
        return broker;
    }

    /** A client that sends a PING before its HELLO: the broker closes it with a warning. */
    private static void misbehave(final Path socket) throws Exception
    {
        try (AFUNIXDatagramChannel c = BusSocket.open())
        {
            c.connect(BusSocket.address(socket.toString()));
            final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
            final int length = PingFrame.encode(frame, 0, FrameType.PING, 1);
            final ByteBuffer out = ByteBuffer.allocate(length);
            frame.getBytes(0, out, length);
            out.flip();
            c.write(out);
            final ByteBuffer in = ByteBuffer.allocate(65536);
            c.read(in); // the ERROR; then the broker closes
        }
    }

    private static void stop(final Process broker) throws Exception
    {
        broker.destroy();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).isZero();
    }

    private static String deviceAndInode(final Path file) throws Exception
    {
        return Long.toUnsignedString(((Number)Files.getAttribute(file, "unix:dev")).longValue()) + ":" +
            Long.toUnsignedString(((Number)Files.getAttribute(file, "unix:ino")).longValue());
    }

    private static long printed(final Path log) throws Exception
    {
        return Files.readAllLines(log).stream()
            .filter((l) -> l.startsWith("INFO  accepted client#") || l.startsWith("INFO  closed client#")).count();
    }

    private static long suppressed(final Path log) throws Exception
    {
        long total = 0;
        final Matcher m = SUPPRESSED.matcher(Files.readString(log));
        while (m.find())
        {
            total += Long.parseLong(m.group(1));
        }
        return total;
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.DefaultSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code seqbus stat --watch} and {@code seqbus top} as an operator runs them, child processes of the root
 * launcher against a real broker with a known subscriber and publisher: the rows, counts and patterns they
 * print, one table per interval when stdout is not a terminal, the terminal's screen handling under a real
 * pseudo-terminal ({@code script}, util-linux), q to quit, and another user's patterns hidden. Bounded waits;
 * rates are checked for presence, never for their value.
 */
class StatLiveViewIT extends ProcessTestBase
{
    private static final int MESSAGES = 300;
    private static final int OTHER_UID = 61013;

    @TempDir
    Path dir;
    private String socket;

    @BeforeEach
    void brokerWithTraffic() throws Exception
    {
        // Another uid must reach the socket (anotherUserSeesCountsButNotPatterns); @TempDir makes 0700 folders.
        Files.setAttribute(dir, "unix:mode", 0755);
        socket = dir.resolve("stat.sock").toString();
        start("broker", "--socket", socket, "--socket-mode", "0777", "--metrics", "off");
        // The file appears at bind, a moment before the broker listens: wait for an answer.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> StatClient.request(socket, 0) != null);
        final AtomicLong received = new AtomicLong();
        final BusClient sub = BusClient.connect(new ClientOptions().socket(socket).clientName("watched-sub"));
        closeables.add(sub);
        sub.subscribe("orders.*.created", (m) -> received.incrementAndGet(),
            new SubscriptionOptions().policy(SlowConsumerPolicy.DROP_OLDEST));
        sub.sync(Duration.ofSeconds(10));
        try (BusClient pub = BusClient.connect(new ClientOptions().socket(socket).clientName("one-off-pub")
            .threadMode(ThreadMode.POLL)))
        {
            for (int i = 0; i < MESSAGES; i++)
            {
                pub.publish("orders.eu.created", "order " + i);
            }
            pub.sync(Duration.ofSeconds(10));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == MESSAGES);
    }

    @Test
    void statWatchPrintsOneTablePerIntervalWithCountsRatesAndPatterns() throws Exception
    {
        final Process watch = start("stat", "--socket", socket, "--watch", "1", "--patterns");
        final StringBuffer out = collect(watch.getInputStream());
        // Two tables: the first has totals only, the second rates as well; a blank line and the broker line
        // start each table after the first.
        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, "\n\nbroker ") >= 2);
        watch.destroy();
        final String[] tables = out.toString().split("\n\n(?=broker )");
        assertThat(tables[0]).contains("ID  NAME").doesNotContain("DELIV/S");
        final String second = tables[1];
        assertThat(second).contains("DELIV/S", "DROP/S", "PUB/S")
            .containsPattern("published " + MESSAGES + " \\([0-9.]+ [KMi]*B, [0-9.]+/s\\)");
        // The subscriber's row: 1 subscription, every message delivered, none dropped, no GAP, nothing published.
        assertThat(second).containsPattern(Pattern.compile(
            "^\\d+ +watched-sub +\\d+ +0 +(shm|socket) +1 +[0-9.]+ [KMi]*B +" + MESSAGES + " +[0-9.]+ +0 +[0-9.]+ +0 +0 +[0-9.]+$",
            Pattern.MULTILINE));
        assertThat(second).containsPattern(Pattern.compile(
            "^\\d+ +watched-sub +1 +drop-oldest +4\\.0 MiB +orders\\.\\*\\.created$", Pattern.MULTILINE));
        assertThat(second).as("its own connection is not a row").doesNotContain("seqbus-stat");
    }

    @Test
    void statWatchSaysWhenTheBrokerIsGoneAndGoesOnWhenItIsBack() throws Exception
    {
        final Process watch = start("stat", "--socket", socket, "--watch", "0.5", "--no-topics");
        final StringBuffer out = collect(watch.getInputStream());
        final StringBuffer err = collect(watch.getErrorStream());
        await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().contains("watched-sub"));
        final Process broker = started.get(0);
        broker.destroy();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> err.toString().contains(
            "seqbus: the broker at " + socket + " did not answer ("));
        assertThat(watch.isAlive()).isTrue();

        final int before = out.length();
        start("broker", "--socket", socket, "--metrics", "off", "--node-name", "second");
        await().atMost(Duration.ofSeconds(30)).until(() -> out.substring(before).contains("broker second  socket"));
        assertThat(watch.isAlive()).isTrue();
    }

    @Test
    void topWithoutATerminalPrintsSnapshotsBusiestFirstAndEnds() throws Exception
    {
        final Process top = start("top", "--socket", socket, "--delay", "1", "--iterations", "2");
        final StringBuffer out = collect(top.getInputStream());
        assertThat(top.waitFor(60, TimeUnit.SECONDS)).as("--iterations 2 ends it").isTrue();
        assertThat(top.exitValue()).as(stderr(top)).isZero();
        final String[] frames = out.toString().split("\n\n(?=seqbus top )");
        assertThat(frames).hasSize(2);
        assertThat(frames[0]).startsWith("seqbus top  node ").doesNotContain("q quits")
            .contains("msg/s  published -  delivered -  dropped -");
        assertThat(frames[1]).containsPattern("msg/s  published [0-9.]+  delivered [0-9.]+  dropped [0-9.]+");
        // One client left (the publisher closed): the subscriber, first, with its totals.
        assertThat(frames[1]).containsPattern(Pattern.compile(
            "^ID +NAME +PID +UID +TRANSPORT +PUB/S +DELIV/S +DROP/S +QUEUED +SUBS +PUBLISHED +DELIVERED +DROPPED\n" +
                "\\d+ +watched-sub +\\d+ +0 +(shm|socket) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ [KMi]*B +1 +0 +" + MESSAGES + " +0$",
            Pattern.MULTILINE));
        assertThat(frames[1]).containsPattern(Pattern.compile("^orders\\.eu\\.created +[0-9.]+ +~\\d+$",
            Pattern.MULTILINE));
    }

    @Test
    void topQuitsOnQFromStdin() throws Exception
    {
        final Process top = start("top", "--socket", socket, "--delay", "0.2");
        final StringBuffer out = collect(top.getInputStream());
        await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().contains("watched-sub"));
        try (OutputStream keys = top.getOutputStream())
        {
            keys.write('q');
        }
        assertThat(top.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(top.exitValue()).isZero();
    }

    @Test
    void onATerminalTopUsesTheAlternateScreenAndQuitsOnQWithoutEnter() throws Exception
    {
        // script(1) runs it on a pseudo-terminal: stdout and stdin are a terminal, keys come as typed.
        final Process top = startRaw("script", "-qfec", LAUNCHER + " top --socket " + socket + " --delay 0.5",
            "/dev/null");
        final StringBuffer out = collect(top.getInputStream());
        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, Terminal.CLEAR) >= 2);
        try (OutputStream keys = top.getOutputStream())
        {
            keys.write('q');
            keys.flush();
            assertThat(top.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(top.exitValue()).isZero();
        final String screen = out.toString();
        assertThat(screen).startsWith(Terminal.ENTER_ALTERNATE).endsWith(Terminal.LEAVE_ALTERNATE)
            .contains("(q quits)", "watched-sub");
    }

    @Test
    void anotherUserSeesCountsButNotPatterns() throws Exception
    {
        assertThat(DefaultSocket.uid()).as("this test runs stat as another uid (setpriv): run it as root").isZero();
        final Process stat = startRaw("setpriv", "--reuid=" + OTHER_UID, "--regid=" + OTHER_UID, "--clear-groups",
            LAUNCHER.toString(), "stat", "--socket", socket, "--patterns", "--no-topics");
        // All of its output, read to the end: a reader thread may not have appended the last of it when waitFor
        // returns (this test once saw "" from a stat that exited 0).
        final CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(stat.getInputStream()));
        assertThat(stat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(stat.exitValue()).as(stderr(stat)).isZero();
        assertThat(out.get(30, TimeUnit.SECONDS))
            .containsPattern(Pattern.compile("^\\d+ +watched-sub +.* " + MESSAGES + " +0 +0 +0$", Pattern.MULTILINE))
            .containsPattern(Pattern.compile("^\\d+ +watched-sub +- +- +- +\\(another user's: hidden\\)$",
                Pattern.MULTILINE))
            .doesNotContain("orders.*.created");
    }

    @Test
    void statWatchJsonIsOneDocumentPerLine() throws Exception
    {
        final Process watch = start("stat", "--socket", socket, "--watch", "0.2", "--json");
        final StringBuffer out = collect(watch.getInputStream());
        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, "\n") >= 3);
        watch.destroy();
        final String[] lines = out.toString().split("\n");
        for (int i = 0; i < 3; i++)
        {
            final JsonNode doc = new ObjectMapper().readTree(lines[i]);
            assertThat(doc.path("totals").path("messages_published").asLong()).isEqualTo(MESSAGES);
        }
    }

    @Test
    void aBadIntervalIsOneLineAndExit2() throws Exception
    {
        final Process stat = start("stat", "--socket", socket, "--watch", "0");
        assertThat(stat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(stat.exitValue()).isEqualTo(2);
        assertThat(stderr(stat)).startsWith("--watch 0.0: the interval must be from 0.1 to 86400 seconds\n");
    }

    private Process start(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        return startRaw(command.toArray(new String[0]));
    }

    private Process startRaw(final String... command) throws IOException
    {
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("SEQBUS_SOCKET");
        final Process p = builder.start();
        started.add(p);
        return p;
    }

    /** Everything the stream gives, as it comes, on a thread of its own. */
    private static String readAll(final InputStream in)
    {
        try
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static StringBuffer collect(final InputStream in)
    {
        final StringBuffer text = new StringBuffer();
        final Thread reader = new Thread(() ->
        {
            final byte[] buffer = new byte[8192];
            try
            {
                int n;
                while ((n = in.read(buffer)) > 0)
                {
                    text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            }
            catch (final IOException ignore)
            {
                // the process ended
            }
        }, "stat-live-view-reader");
        reader.setDaemon(true);
        reader.start();
        return text;
    }

    private static int count(final StringBuffer text, final String what)
    {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length()))
        {
            n++;
        }
        return n;
    }

    private static String stderr(final Process p) throws IOException
    {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}

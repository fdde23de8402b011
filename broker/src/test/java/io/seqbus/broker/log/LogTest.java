package io.seqbus.broker.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Log lines with and without the journal's priority prefixes, which stream is the journal, and the rate
 * limit on connection lines.
 */
class LogTest
{
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @AfterEach
    void restore()
    {
        Log.redirect(System.err);
        Log.journal(false);
        Log.level(Log.Level.INFO);
    }

    private String capture(final boolean journal, final Runnable logging)
    {
        Log.redirect(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Log.journal(journal);
        Log.level(Log.Level.DEBUG);
        logging.run();
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void inTheJournalEveryLineCarriesItsPriority()
    {
        final String out = capture(true, () ->
        {
            Log.debug("d");
            Log.info("i");
            Log.warn("w");
            Log.error("e\nsecond line");
        });
        assertThat(out.split("\n")).containsExactly(
            "<7>DEBUG d", "<6>INFO  i", "<4>WARN  w", "<3>ERROR e", "<3>second line");
    }

    @Test
    void elsewhereLinesAreAsBefore()
    {
        final String out = capture(false, () ->
        {
            Log.info("i");
            Log.warn("w");
        });
        assertThat(out.split("\n")).containsExactly("INFO  i", "WARN  w");
    }

    @Test
    void theJournalIsTheStreamWhoseDeviceAndInodeJournalStreamNames() throws Exception
    {
        final Path stream = Files.createFile(dir.resolve("stderr"));
        final Path other = Files.createFile(dir.resolve("other"));
        final long dev = ((Number)Files.getAttribute(stream, "unix:dev")).longValue();
        final long ino = ((Number)Files.getAttribute(stream, "unix:ino")).longValue();
        final String named = Long.toUnsignedString(dev) + ":" + Long.toUnsignedString(ino);

        assertThat(JournalStream.is(named, stream)).isTrue();
        assertThat(JournalStream.is(named, other)).as("stderr redirected since").isFalse();
        assertThat(JournalStream.is(null, stream)).isFalse();
        assertThat(JournalStream.is("", stream)).isFalse();
        assertThat(JournalStream.is("x:y", stream)).isFalse();
        assertThat(JournalStream.is(named, dir.resolve("missing"))).isFalse();
    }

    @Test
    void connectionLinesAreLimitedPerSecondAndTheRestCountedInOneLine()
    {
        final long start = 1_000;
        final long second = TimeUnit.SECONDS.toNanos(1);
        final LogRateLimit limit = new LogRateLimit("connection lines", 3, start);
        final String out = capture(false, () ->
        {
            int printed = 0;
            for (int i = 0; i < 1_000; i++)
            {
                if (limit.allow(Log.Level.INFO, start + i))
                {
                    printed++;
                    Log.info("line " + i);
                }
            }
            assertThat(printed).isEqualTo(3);
            assertThat(limit.suppressed()).isEqualTo(997);
            limit.poll(start + second / 2);
            assertThat(limit.suppressed()).as("not before the second is over").isEqualTo(997);
            limit.poll(start + second);
            assertThat(limit.suppressed()).isZero();
            assertThat(limit.allow(Log.Level.INFO, start + second + 1)).as("a new second").isTrue();
        });
        assertThat(out.split("\n")).containsExactly("INFO  line 0", "INFO  line 1", "INFO  line 2",
            "INFO  997 connection lines not logged (over 3 a second)");
    }

    @Test
    void aLevelNotPrintedIsNotCounted()
    {
        Log.level(Log.Level.WARN);
        final LogRateLimit limit = new LogRateLimit("connection lines", 3, 0);
        assertThat(limit.allow(Log.Level.INFO, 1)).isFalse();
        assertThat(limit.suppressed()).isZero();
    }
}

package io.seqbus.ops;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code seqbus soak} in miniature (the real run is 10 minutes and not part of the build): it
 * starts its own broker, samples it before, under load and after, and gives a verdict.
 * Whether a few seconds stay flat is not asserted: a young JVM's RSS still grows.
 */
class SoakCommandIT extends ProcessTestBase
{

    @Test
    void aShortSoakPrintsEverySampleAndAVerdict() throws Exception
    {
        final Process soak = new ProcessBuilder(LAUNCHER.toString(), "soak", "--clients", "40", "--threads", "2",
            "--minutes", "0.05", "--warmup", "1", "--samples", "2", "--rate", "200", "--churn", "10")
            .redirectErrorStream(true).start();
        final String out = new String(soak.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(soak.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("soak: child broker pid").contains("40 clients on 2 threads")
            .containsPattern("(?m)^before .*rss=[0-9.]+MiB fds=[0-9]+ gc=[0-9]+ .*heap-after-gc=[0-9.]+MiB")
            // A client being replaced at the instant of a sample is not counted.
            .containsPattern("(?m)^start .*clients=[34][0-9] ").containsPattern("(?m)^end .*clients=[34][0-9] ")
            .containsPattern("(?m)^after .*clients=0 ").contains("totals: published=")
            .containsPattern("(?m)^verdict: (FLAT|NOT FLAT)");
        assertThat(out).as(out).doesNotContain("errors=1").contains(" gaps=0 ")
            // The forced collections are left out by their cause, not subtracted as they are forced: a sample that
            // came before the JVM's GC notification once printed gc=-1.
            .doesNotContain("gc=-");
        assertThat(soak.exitValue()).as(out).isIn(0, 1);
    }
}

package io.seqbus.sys;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real signal: a spinning thread that shares its one CPU with a CPU-bound thread waits on the run queue, reads
 * that in its own schedstat, and stops spinning. A child JVM under {@code taskset -c 0} (util-linux; a missing
 * taskset fails the test) runs {@link SpinBesideCpuHogProbe}.
 */
class AdaptiveSpinContentionTest
{
    @Test
    void aSpinnerSharingItsCpuWithACpuBoundThreadStopsSpinning() throws Exception
    {
        final String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        final Process probe = new ProcessBuilder(List.of("taskset", "-c", "0", java, "-Xmx64m",
            "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
            SpinBesideCpuHogProbe.class.getName()))
            .redirectErrorStream(true).start();
        assertThat(probe.waitFor(60, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        final String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.exitValue()).as(output).isZero();
        assertThat(output).contains("stopped spinning");
    }
}

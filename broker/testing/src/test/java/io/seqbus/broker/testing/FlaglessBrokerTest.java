package io.seqbus.broker.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
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
 * A service's test JVM with no flags at all (no --add-exports, no --enable-native-access), on Java 17 and 25:
 * the extension runs the broker in a child JVM, which serves and stops, and dies with its test JVM even when
 * that is killed.
 */
class FlaglessBrokerTest
{
    /** The JDKs to run on: {@code -Dseqbus.test.java17=DIR}, {@code -Dseqbus.test.java25=DIR}. */
    private static final String JAVA_17 = System.getProperty("seqbus.test.java17", "/usr/lib/jvm/java-17-openjdk-amd64");
    private static final String JAVA_25 = System.getProperty("seqbus.test.java25", "/usr/lib/jvm/temurin-25-jdk-amd64");

    @ParameterizedTest
    @ValueSource(strings = {"17", "25"})
    void aTestJvmWithoutFlagsGetsABrokerInAChildJvm(final String feature) throws Exception
    {
        final Process service = flagless(feature.equals("17") ? JAVA_17 : JAVA_25).redirectErrorStream(true).start();
        final String out = new String(service.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(service.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.println("Java " + feature + ", no flags:\n" + out);

        assertThat(service.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("child true pid \\d+").contains("delivered hello", "stopped, running false");
        assertThat(out).doesNotContain("IllegalAccessError", "jdk.internal.misc");
        // The broker's JVM allows junixsocket's native access itself: on Java 25 it warns of nothing before it is
        // ready. (The client in the flagless JVM does warn, once, on 22+; --enable-native-access silences it.)
        assertThat(out.substring(0, out.indexOf("started in"))).doesNotContain("restricted method");
    }

    @Test
    void theBrokerJvmDiesWithAKilledTestJvm() throws Exception
    {
        final ProcessBuilder builder = flagless(JAVA_17).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.command().add("hang");
        final Process running = builder.start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(running.getInputStream(), StandardCharsets.UTF_8));
        long brokerPid = -1;
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            if (line.startsWith("child true pid "))
            {
                brokerPid = Long.parseLong(line.substring("child true pid ".length()));
            }
            if (line.startsWith("delivered"))
            {
                break;
            }
        }
        assertThat(brokerPid).as("the service printed its broker's pid").isPositive();
        final ProcessHandle broker = ProcessHandle.of(brokerPid).orElseThrow();

        running.destroyForcibly();   // SIGKILL: no shutdown hook runs
        assertThat(running.waitFor(10, TimeUnit.SECONDS)).isTrue();

        await().atMost(Duration.ofSeconds(15)).until(() -> !broker.isAlive());
    }

    private static ProcessBuilder flagless(final String javaHome)
    {
        final Path java = Path.of(javaHome, "bin", "java");
        assertThat(Files.isExecutable(java))
            .as("this test needs the JDK at %s (-Dseqbus.test.java17 / -Dseqbus.test.java25 say where)", javaHome)
            .isTrue();
        final List<String> command = new ArrayList<>(List.of(java.toString(), "-cp",
            System.getProperty("java.class.path"), FlaglessServiceMain.class.getName()));
        return new ProcessBuilder(command);
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.Flyweight;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service's JVM needs no flags: {@code io.seqbus.client.PlainJvmClientMain} (the client's test jar) runs the
 * client's whole path, in both thread modes and through a broker restart, in a JVM started with {@code java -cp}
 * and nothing else, on Java 17 and on Java 25, against a broker in this JVM. The class path is the client's:
 * the client, wire-format, Agrona and junixsocket, nothing of the broker's; without JNA and seqbus-sys the client
 * connects without descriptors and refuses a payload over max_payload as before; with them (the client jar's own
 * dependencies) memfd payloads and a loan travel through the broker in a JVM without flags.
 */
class PlainJvmClientTest extends InProcessBrokerTest
{
    /** The JDKs to run the client on: {@code -Dseqbus.test.java17=DIR}, {@code -Dseqbus.test.java25=DIR}. */
    static final Path JAVA_17 = Path.of(System.getProperty("seqbus.test.java17", "/usr/lib/jvm/java-17-openjdk-amd64"));
    static final Path JAVA_25 = Path.of(System.getProperty("seqbus.test.java25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
    private static final String MAIN = "io.seqbus.client.PlainJvmClientMain";

    @Test
    void clientRunsWithNoFlagsOnJava17() throws Exception
    {
        runWithNoFlags(JAVA_17);
    }

    /** With JNA and seqbus-sys on the class path the client passes descriptors, still with no flags. */
    @Test
    void clientPassesDescriptorsWithNoFlagsOnJava17() throws Exception
    {
        runWithNoFlags(JAVA_17, true);
    }

    /** Java 22+ warns that junixsocket loads a native library unless --enable-native-access says it may: a warning. */
    @Test
    void clientRunsWithNoFlagsOnJava25() throws Exception
    {
        final String stderr = runWithNoFlags(JAVA_25);
        System.out.println("Java 25 without --enable-native-access, the child's stderr:\n" + stderr);
    }

    /** @return the child's stderr. */
    private String runWithNoFlags(final Path javaHome) throws Exception
    {
        return runWithNoFlags(javaHome, false);
    }

    /** @return the child's stderr. */
    private String runWithNoFlags(final Path javaHome, final boolean descriptors) throws Exception
    {
        final Path java = javaHome.resolve("bin/java");
        assertThat(Files.isExecutable(java))
            .as("this test needs the JDK at %s (-Dseqbus.test.java17 / -Dseqbus.test.java25 say where)", javaHome)
            .isTrue();
        start(context());
        final Path stderrFile = dir.resolve("child-stderr.txt");
        final String classPath = descriptors ? clientClassPathWithDescriptors() : clientClassPath();
        assertThat(classPath.contains("jna")).as("JNA on the class path %s", classPath).isEqualTo(descriptors);
        final List<String> command = List.of(java.toString(), "-cp", classPath, MAIN, socket,
            descriptors ? "descriptors" : "no-descriptors");
        final Process child = new ProcessBuilder(command)
            .redirectError(stderrFile.toFile())
            .start();
        final List<String> lines = new ArrayList<>();
        try
        {
            final CompletableFuture<Void> driven = CompletableFuture.runAsync(() -> drive(child, lines));
            final boolean exited = child.waitFor(180, TimeUnit.SECONDS);
            if (!exited)
            {
                child.destroyForcibly().waitFor();
            }
            driven.get(10, TimeUnit.SECONDS);
            final String stderr = Files.readString(stderrFile);
            assertThat(exited).as("the child ran too long; stdout %s, stderr:%n%s", lines, stderr).isTrue();
            assertThat(child.exitValue()).as("%s%nstdout %s, stderr:%n%s", command, lines, stderr).isZero();
            final List<String> expected = new ArrayList<>();
            for (final ThreadMode mode : ThreadMode.values())
            {
                expected.add("RESTART " + mode);
            }
            expected.add(descriptors ? "DESCRIPTORS on" : "DESCRIPTORS off");
            expected.add("DONE");
            assertThat(lines).isEqualTo(expected);
            assertThat(stderr).doesNotContain("IllegalAccessError");
            return stderr;
        }
        finally
        {
            child.destroyForcibly();
        }
    }

    /** 512 held descriptor messages: the defaults need RLIMIT_NOFILE above 45,000, and this machine allows 20,000. */
    private static BrokerContext context()
    {
        return new BrokerContext().maxDescriptorMessagesHeld(512);
    }

    /** Reads the child's stdout; on each RESTART line restarts the broker and tells the child so. */
    private void drive(final Process child, final List<String> lines)
    {
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            OutputStream in = child.getOutputStream())
        {
            String line;
            while ((line = out.readLine()) != null)
            {
                lines.add(line);
                if (line.startsWith("RESTART"))
                {
                    broker.close();
                    broker = Broker.launch(context().socket(socket));
                    in.write('\n');
                    in.flush();
                }
            }
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /** Where the client's classes and its dependencies' come from in this JVM; the broker's are left out. */
    static String clientClassPath() throws ClassNotFoundException, URISyntaxException
    {
        final Set<String> entries = new LinkedHashSet<>();
        for (final Class<?> type : new Class<?>[] {
            Class.forName(MAIN), BusClient.class, Flyweight.class, DirectBuffer.class, AFUNIXSocketAddress.class})
        {
            entries.add(codeSource(type));
        }
        // junixsocket's native library is in a jar of its own, with no class to find it by.
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            if (Path.of(entry).getFileName().toString().startsWith("junixsocket-native"))
            {
                entries.add(entry);
            }
        }
        assertThat(entries).doesNotContain(codeSource(Broker.class));
        return String.join(File.pathSeparator, entries);
    }

    /** The client's class path with its descriptor dependencies: seqbus-sys and JNA. */
    static String clientClassPathWithDescriptors() throws ClassNotFoundException, URISyntaxException
    {
        return clientClassPath() + File.pathSeparator + codeSource(Class.forName("io.seqbus.sys.LibC")) +
            File.pathSeparator + codeSource(Class.forName("com.sun.jna.Native"));
    }

    private static String codeSource(final Class<?> type) throws URISyntaxException
    {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}

package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service without Micrometer on its class path connects, publishes and closes: nothing but the optional
 * binder refers to Micrometer. The client runs in a child JVM whose class path is this one's minus
 * Micrometer's jars.
 */
class NoMicrometerTest
{
    @TempDir
    Path dir;

    @Test
    void theClientWorksWithMicrometerAbsent() throws Exception
    {
        final String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !entry.contains("micrometer"))
            .collect(Collectors.joining(File.pathSeparator));
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The same module flags as this JVM (whatever the build passes today), nothing else.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(argument -> argument.startsWith("--add-") || argument.startsWith("--enable-native-access"))
            .forEach(command::add);
        command.addAll(List.of("-cp", classPath, NoMicrometerService.class.getName()));
        try (ScriptedBroker broker = new ScriptedBroker(dir.resolve("bus.sock")))
        {
            command.add(broker.socket());
            final Process service = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("service.out").toFile()).start();
            try (Peer peer = broker.accept())
            {
                peer.next(FrameType.HELLO);
                peer.welcome(65536, 131072, 1).send();
                peer.next(FrameType.PUBLISH);
                assertThat(service.waitFor(ScriptedBroker.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            }
            finally
            {
                service.destroyForcibly();
            }
            final String output = java.nio.file.Files.readString(dir.resolve("service.out"), StandardCharsets.UTF_8);
            assertThat(output).contains("micrometer absent", "published");
            assertThat(service.exitValue()).as(output).isZero();
        }
    }
}

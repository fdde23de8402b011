package io.seqbus.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archive {@code mvn package} builds: unpacked and installed into a scratch root
 * ({@code DESTDIR}), every file lands where systemd and operators look, and the installed
 * {@code seqbus} runs through its {@code /usr/bin} symlink.
 */
class DistributionIT
{
    private static final Path ARCHIVE = Path.of("target", "seqbus-" + System.getProperty("seqbus.version",
        "0.1.0-SNAPSHOT") + ".tar.gz").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void installsIntoDestdirWhereSystemdAndOperatorsLook() throws Exception
    {
        assertThat(ARCHIVE).exists();
        run(Map.of(), dir, "tar", "xzf", ARCHIVE.toString());
        final Path unpacked = dir.resolve(ARCHIVE.getFileName().toString().replace(".tar.gz", ""));
        assertThat(unpacked.resolve("bin/seqbus")).isExecutable();
        assertThat(unpacked.resolve("lib/seqbus-ops.jar")).exists();

        final Path root = dir.resolve("root");
        final String said = run(Map.of("DESTDIR", root.toString()), unpacked, "./install.sh");
        assertThat(said).contains("seqbus installed into " + root);

        assertThat(root.resolve("usr/lib/systemd/system/seqbus.service")).hasSameTextualContentAs(
            Path.of("..", "systemd", "seqbus.service"));
        assertThat(root.resolve("usr/lib/systemd/system/seqbus.socket")).hasSameTextualContentAs(
            Path.of("..", "systemd", "seqbus.socket"));
        assertThat(root.resolve("usr/lib/systemd/system/seqbus-metrics.socket")).hasSameTextualContentAs(
            Path.of("..", "systemd", "seqbus-metrics.socket"));
        assertThat(root.resolve("usr/lib/sysusers.d/seqbus.conf")).hasSameTextualContentAs(
            Path.of("..", "systemd", "seqbus.sysusers"));
        assertThat(root.resolve("usr/lib/tmpfiles.d/seqbus.conf")).hasSameTextualContentAs(
            Path.of("..", "systemd", "seqbus.tmpfiles"));
        assertThat(root.resolve("etc/seqbus")).isDirectory();
        final Path launcher = root.resolve("usr/lib/seqbus/bin/seqbus");
        assertThat(Files.getPosixFilePermissions(launcher)).contains(PosixFilePermission.OTHERS_EXECUTE);
        assertThat(Files.readSymbolicLink(root.resolve("usr/bin/seqbus")).toString())
            .as("relative, so it resolves in DESTDIR and in /").isEqualTo("../lib/seqbus/bin/seqbus");
        try (Stream<Path> jars = Files.list(root.resolve("usr/lib/seqbus/lib")))
        {
            assertThat(jars.map((p) -> p.getFileName().toString()).collect(Collectors.toList()))
                .contains("seqbus-ops.jar")
                .anyMatch((name) -> name.startsWith("seqbus-broker-"))
                .anyMatch((name) -> name.startsWith("junixsocket-native-common-"))
                .allMatch((name) -> name.endsWith(".jar"));
        }

        final String help = run(Map.of(), dir, root.resolve("usr/bin/seqbus").toString(), "--help");
        assertThat(help).contains("Usage: seqbus").contains("broker");
        assertThat(run(Map.of(), dir, root.resolve("usr/bin/seqbus").toString(), "broker", "--help"))
            .contains("Usage: seqbus broker");
    }

    @Test
    void reinstallingKeepsTheOperatorsConfig() throws Exception
    {
        run(Map.of(), dir, "tar", "xzf", ARCHIVE.toString());
        final Path unpacked = dir.resolve(ARCHIVE.getFileName().toString().replace(".tar.gz", ""));
        // Whatever example config the archive ships (or this stand-in), an existing one stays.
        final Path example = unpacked.resolve("systemd/seqbus.conf.example");
        if (!Files.exists(example))
        {
            Files.writeString(example, "# example\n");
        }
        final Path root = dir.resolve("root");
        run(Map.of("DESTDIR", root.toString()), unpacked, "./install.sh");
        final Path conf = root.resolve("etc/seqbus/seqbus.conf");
        assertThat(conf).hasSameTextualContentAs(example);

        Files.writeString(conf, "# edited by the operator\n");
        final String said = run(Map.of("DESTDIR", root.toString()), unpacked, "./install.sh");
        assertThat(conf).hasContent("# edited by the operator");
        assertThat(said).contains("keeping existing /etc/seqbus/seqbus.conf");
    }

    private static String run(final Map<String, String> env, final Path cwd, final String... command)
        throws IOException, InterruptedException
    {
        final ProcessBuilder builder = new ProcessBuilder(List.of(command)).directory(cwd.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        final Process p = builder.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which build runs: the version and git revision the build put in the jars' manifests, printed by
 * {@code seqbus --version}, on the broker's start line, in {@code seqbus_build_info} and in STAT (issue 13,
 * defect 7: {@code --version} printed "development build"); and a build without {@code .git} (a source
 * tarball) still builds and says its revision is unknown.
 */
class BuildInfoIT extends ProcessTestBase
{
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String VERSION = System.getProperty("seqbus.version");

    @TempDir
    Path dir;

    @Test
    void versionNamesTheVersionAndTheGitRevision() throws Exception
    {
        assertThat(VERSION).as("failsafe passes the project's version").isNotBlank();
        final CommandRun version = CommandRun.run(Map.of(), CommandRun.seqbus("--version")).succeeded();
        assertThat(version.out()).isEqualTo("seqbus " + VERSION + " (revision " + revision() + ")\n");
    }

    @Test
    void theBrokerSaysItsBuildOnItsStartLineInItsMetricsAndInStat() throws Exception
    {
        final String revision = revision();
        final Path socket = dir.resolve("bus.sock");
        final Path log = dir.resolve("broker.log");
        final Process broker = new ProcessBuilder(CommandRun.seqbus("broker", "--socket", socket.toString(),
            "--metrics", "127.0.0.1:0")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(broker);
        await().atMost(WAIT).until(() -> CommandRun.metricsBase(log) != null && Files.readString(log).contains("listening on"));

        assertThat(Files.readString(log)).contains("INFO  broker " + VERSION + " (revision " + revision + ") node=");
        assertThat(CommandRun.get(CommandRun.metricsBase(log) + "/metrics").body())
            .contains("seqbus_build_info{revision=\"" + revision + "\",version=\"" + VERSION + "\"} 1");
        final JsonNode stat = new ObjectMapper().readTree(CommandRun.run(Map.of(), CommandRun.seqbus(
            "stat", "--json", "--socket", socket.toString())).succeeded().out()).path("broker");
        assertThat(stat.path("version").asText()).isEqualTo(VERSION);
        assertThat(stat.path("revision").asText()).isEqualTo(revision);
        assertThat(stat.path("pid").asLong()).isEqualTo(broker.pid());
    }

    /**
     * The sources without {@code .git}: every pom, {@code .mvn} and one module's sources (a whole build would cost
     * minutes, and each module's jar is made alike), built offline from what the real build fetched.
     */
    @Test
    void aBuildWithoutGitBuildsAndSaysItsRevisionIsUnknown() throws Exception
    {
        final Path copy = Files.createDirectories(dir.resolve("seqbus-src"));
        try (Stream<Path> poms = Files.walk(ROOT, 3))
        {
            for (final Path pom : poms.filter((p) -> p.getFileName().toString().equals("pom.xml") &&
                !ROOT.relativize(p).toString().contains("target")).toList())
            {
                final Path to = copy.resolve(ROOT.relativize(pom).toString());
                Files.createDirectories(to.getParent());
                Files.copy(pom, to);
            }
        }
        assertThat(CommandRun.run(Map.of(), "cp", "-r", ROOT.resolve("wire-format/src").toString(),
            copy.resolve("wire-format").toString()).exit()).isZero();
        // Maven's JVM options (.mvn/jvm.config) travel with the sources, as in a tarball of the tree.
        assertThat(CommandRun.run(Map.of(), "cp", "-r", ROOT.resolve(".mvn").toString(), copy.toString()).exit()).isZero();
        assertThat(copy.resolve(".git")).doesNotExist();

        final CommandRun build = CommandRun.run(Map.of(), "mvn", "-B", "-q", "-o", "-f", copy.resolve("pom.xml").toString(),
            "package", "-pl", "wire-format", "-DskipTests", "-Dmaven.javadoc.skip=true", "-Dmaven.source.skip=true");
        assertThat(build.exit()).as(build.out() + build.err()).isZero();
        final Path jar = copy.resolve("wire-format/target/seqbus-wire-format-" + VERSION + ".jar");
        try (JarFile built = new JarFile(jar.toFile()))
        {
            final Attributes main = built.getManifest().getMainAttributes();
            assertThat(main.getValue("Implementation-Version")).isEqualTo(VERSION);
            assertThat(main.getValue("SCM-Revision")).isEqualTo("unknown");
        }
    }

    private static String revision() throws Exception
    {
        final CommandRun git = CommandRun.run(Map.of(), "git", "-C", ROOT.toString(), "rev-parse", "--short=12", "HEAD")
            .succeeded();
        return git.out().strip();
    }
}

package io.seqbus.ops.lan;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README's LAN benchmark command, {@code ops/bench/lan-bench.sh}, run as README shows it (from the
 * checkout's root; a short run) in a fresh copy of this checkout, against a local Maven repository
 * that has everything but seqbus's own artifacts, as on a machine where nobody ran
 * {@code mvn install}. The command it replaces ({@code mvn -pl ops} without {@code -am}) fails
 * there: it looks for the sibling modules in that repository. Needs root, iproute2 and nftables.
 */
class LanBenchScriptIT
{
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path M2 = Path.of(System.getProperty("user.home"), ".m2", "repository");

    @TempDir
    Path dir;

    @Test
    void readmesLanBenchmarkRunsOnAFreshClone() throws Exception
    {
        assertThat(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(),
            StandardCharsets.UTF_8).strip()).as("needs root: network namespaces").isEqualTo("0");
        assertThat(Files.readString(ROOT.resolve("README.md"))).contains("ops/bench/lan-bench.sh");

        // What a clone would hold: the tracked files and new ones not ignored, no target/.
        final Path clone = Files.createDirectories(dir.resolve("clone"));
        assertThat(bash(ROOT, "git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - "
            + "| tar -xf - -C '" + clone + "'")).isZero();
        final Path repo = freshLocalRepository();

        final Path out = dir.resolve("bench.out");
        final ProcessBuilder withRepo = new ProcessBuilder("ops/bench/lan-bench.sh", "2000", "500", "1000", "2")
            .directory(clone.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        withRepo.environment().put("MAVEN_ARGS", "-Dmaven.repo.local=" + repo);
        final Process run = withRepo.start();
        assertThat(run.waitFor(15, TimeUnit.MINUTES)).isTrue();
        final String printed = Files.readString(out);
        System.out.println(printed);
        assertThat(run.exitValue()).as(printed).isZero();
        // (Maven's quiet output may leave colour codes before the first line.)
        final List<String> results = printed.lines().filter((l) -> l.contains("msgs/s; one-hop latency us p50")).toList();
        assertThat(results).as(printed).hasSize(4);
        assertThat(results.get(0)).contains("flat out, clean link: 2000 msgs in");
        assertThat(results.get(1)).startsWith("1000 msgs/s, clean link: 500 msgs in");
        assertThat(results.get(2)).startsWith("flat out, 5% loss, 1% dup, 10% reorder: 2000 msgs in");
        assertThat(results.get(3)).startsWith("1000 msgs/s, 5% loss, 1% dup, 10% reorder: 500 msgs in");
    }

    @AfterEach
    void unlinkRepository() throws IOException
    {
        // The links only: JUnit would otherwise warn about each one pointing outside its folder.
        for (final Path parent : List.of(dir.resolve("m2"), dir.resolve("m2").resolve("io")))
        {
            if (Files.isDirectory(parent))
            {
                try (Stream<Path> entries = Files.list(parent))
                {
                    for (final Path link : (Iterable<Path>)entries::iterator)
                    {
                        if (Files.isSymbolicLink(link))
                        {
                            Files.delete(link);
                        }
                    }
                }
            }
        }
    }

    /** ~/.m2/repository seen through links, without io/seqbus: every library, none of ours. */
    private Path freshLocalRepository() throws IOException
    {
        final Path repo = Files.createDirectories(dir.resolve("m2"));
        try (Stream<Path> top = Files.list(M2))
        {
            for (final Path entry : (Iterable<Path>)top::iterator)
            {
                if (!entry.getFileName().toString().equals("io"))
                {
                    Files.createSymbolicLink(repo.resolve(entry.getFileName()), entry);
                }
            }
        }
        final Path io = Files.createDirectories(repo.resolve("io"));
        if (Files.isDirectory(M2.resolve("io")))
        {
            try (Stream<Path> groups = Files.list(M2.resolve("io")))
            {
                for (final Path group : (Iterable<Path>)groups::iterator)
                {
                    if (!group.getFileName().toString().equals("seqbus"))
                    {
                        Files.createSymbolicLink(io.resolve(group.getFileName()), group);
                    }
                }
            }
        }
        return repo;
    }

    private static int bash(final Path cwd, final String script) throws Exception
    {
        final Process p = new ProcessBuilder("bash", "-c", script).directory(cwd.toFile()).inheritIO().start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return p.exitValue();
    }
}

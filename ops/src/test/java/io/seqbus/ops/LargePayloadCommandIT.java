package io.seqbus.ops;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code seqbus pub --file} of any size and {@code seqbus sub --save-dir}: a file over the broker's max_payload goes
 * as a sealed memfd and is saved byte for byte, smaller payloads print as before, and every refusal exits with its
 * documented status and one line saying why. The real broker and the real commands, as child processes.
 */
class LargePayloadCommandIT extends CliTestBase
{
    @Test
    void aFileOverMaxPayloadGoesAsAMemfdAndSubSavesItWhileInlinePayloadsPrint() throws Exception
    {
        final String socket = dir.resolve("large.sock").toString();
        broker(socket, "");
        final Path saved = Files.createDirectory(dir.resolve("saved"));
        final Path big = file("big.bin", 3 << 20);
        final Path tiny = file("tiny.bin", 100);
        final Cli sub = subscribed(socket, "--save-dir", saved.toString(), "--count", "3", "files.>");

        assertThat(seqbus("pub", "--socket", socket, "--file", big.toString(), "files.big").exit()).isZero();
        assertThat(seqbus("pub", "--socket", socket, "files.small", "inline").exit()).isZero();
        // A topic may hold '/', a file name may not.
        assertThat(seqbus("pub", "--socket", socket, "--memfd", "--file", tiny.toString(), "files.a/b").exit()).isZero();

        assertThat(sub.exit()).as(sub.stderr()).isZero();
        final String[] lines = new String(sub.stdout(), StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).matches(saved.resolve("files.big.") + "\\d+\\.1");
        assertThat(Files.mismatch(Path.of(lines[0]), big)).isEqualTo(-1L);
        assertThat(lines[1]).isEqualTo("inline");
        assertThat(lines[2]).matches(saved.resolve("files.a%2Fb.") + "\\d+\\.1");
        assertThat(Files.mismatch(Path.of(lines[2]), tiny)).isEqualTo(-1L);
        try (var names = Files.list(saved))
        {
            assertThat(names.map((p) -> p.getFileName().toString())).as("no partial file left")
                .noneMatch((n) -> n.endsWith(".part"));
        }
    }

    @Test
    void aFileOverMaxMemfdSizeExitsTwoNamingTheLimit() throws Exception
    {
        final String socket = dir.resolve("limit.sock").toString();
        broker(socket, "max_memfd_size = 1048576\n");

        final Cli pub = seqbus("pub", "--socket", socket, "--file", file("over.bin", (1 << 20) + 1).toString(), "f.x");

        assertThat(pub.exit()).as(pub.stderr()).isEqualTo(2);
        assertThat(pub.stderr()).contains("is 1048577 bytes", "takes at most 1048576 in a memfd (its max_memfd_size)");
    }

    @Test
    void aPayloadThatCannotBeSavedExitsEightWithTheReason() throws Exception
    {
        final String socket = dir.resolve("save.sock").toString();
        broker(socket, "");
        final Path saved = Files.createDirectory(dir.resolve("saved"));
        final Cli sub = subscribed(socket, "--save-dir", saved.toString(), "long.>");
        // 250 bytes of topic, then the publisher and the sequence: longer than a file name may be (255).
        final String topic = "long." + "t".repeat(245);

        assertThat(seqbus("pub", "--socket", socket, "--memfd", "--file", file("p.bin", 10).toString(), topic).exit())
            .isZero();

        assertThat(sub.exit()).as(sub.stderr()).isEqualTo(8);
        assertThat(sub.stderr()).contains("seqbus: cannot save the payload of " + topic + " sequence 1 (10 bytes)",
            "File name too long");
    }

    @Test
    void aSaveDirThatIsNoDirectoryIsBadUsage() throws Exception
    {
        final Cli sub = seqbus("sub", "--socket", dir.resolve("none.sock").toString(), "--save-dir",
            file("plain", 1).toString(), "x.>");

        assertThat(sub.exit()).isEqualTo(2);
        assertThat(sub.stderr()).contains("--save-dir " + dir.resolve("plain") + " is not a directory");
    }

    private Path file(final String name, final int size) throws Exception
    {
        final byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }
}

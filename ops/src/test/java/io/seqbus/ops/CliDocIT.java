package io.seqbus.ops;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/cli.md's "Try it" runs as written (its temporary files moved to the test's folder) and prints what it
 * says; the page's other commands run in {@link SubCommandIT} and {@link PubCommandIT}.
 */
class CliDocIT extends CliTestBase
{
    @Test
    void tryItRunsAsWritten() throws Exception
    {
        final String page = Files.readString(ROOT.resolve("docs/cli.md"));
        final int start = page.indexOf("```sh\n", page.indexOf("## Try it")) + "```sh\n".length();
        final String script = page.substring(start, page.indexOf("```\n", start))
            .replace("/tmp/cli-demo", dir.resolve("demo").toString());
        final Process bash = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).directory(ROOT.toFile())
            .redirectError(dir.resolve("err").toFile()).start();
        started.add(bash);

        assertThat(bash.waitFor(WAIT.toSeconds() * 2, TimeUnit.SECONDS)).as("finished").isTrue();
        final String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.exitValue()).as(out + Files.readString(dir.resolve("err"))).isZero();
        assertThat(out).startsWith("orders.eu.created {\"id\":1}\norders.eu.lines a\norders.eu.lines b\n{\"topic\":" +
            "\"orders.blob\",").contains("\"encoding\":\"base64\"");
        // The 64 MiB file went as a memfd: sub --save-dir printed the file it wrote, which cmp found equal.
        assertThat(out).containsPattern("\n" + Pattern.quote(dir.resolve("demo") + ".d/files.big.") + "\\d+\\.1\n");
    }
}

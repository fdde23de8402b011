package io.seqbus.examples.orders;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * This project names the seqbus version itself, as a service would, and so does README's snippet:
 * both must follow the version of the tree they sit in (surefire runs in examples/java).
 */
class VersionsAgreeTest
{
    private static final Path ROOT = Path.of("../..");

    @Test
    void exampleAndReadmeUseTheTreesVersion() throws IOException
    {
        final String root = Files.readString(ROOT.resolve("pom.xml"));
        final Matcher rootVersion = Pattern.compile(
            "<artifactId>seqbus-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(root);
        assertThat(rootVersion.find()).as("the root pom's version").isTrue();
        final String version = rootVersion.group(1);

        final String example = Files.readString(Path.of("pom.xml"));
        assertThat(example).contains("<seqbus.version>" + version + "</seqbus.version>");

        final Matcher snippet = Pattern.compile(
            "<artifactId>(seqbus-[a-z-]+)</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(Files.readString(ROOT.resolve("README.md")));
        final List<String> versions = new ArrayList<>();
        while (snippet.find())
        {
            versions.add(snippet.group(1) + ":" + snippet.group(2));
        }
        assertThat(versions).containsExactly(
            "seqbus-client:" + version, "seqbus-broker-testing:" + version);
    }
}

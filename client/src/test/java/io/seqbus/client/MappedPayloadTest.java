package io.seqbus.client;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memfd payloads a subscriber let go of stay mapped (as zeros) until the Cleaner finds their buffers unreachable, which
 * takes a GC: a subscriber that takes them without filling its heap must not pile up mappings until
 * vm.max_map_count, where every mmap of the process fails (DescriptorChurnIT's JVM died so, ~60,000 payloads in).
 */
class MappedPayloadTest
{
    @Test
    void payloadsLetGoOfAreUnmappedBeforeTheirMappingsPileUpEvenWhenNoGcComesByItself() throws Exception
    {
        final int payloads = MappedPayload.MAPPINGS_BEFORE_GC + 4 * 1_024;
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // A young generation of 1 GiB: the run allocates a few MB, so no GC comes unless asked for.
        final Process child = new ProcessBuilder(List.of(java.toString(), "-Xms1500m", "-Xmx1500m", "-Xmn1g",
            "-cp", classPath(), MappedPayloadsMain.class.getName(), Integer.toString(payloads)))
            .redirectErrorStream(true).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(child.exitValue()).as(out).isZero();
        assertThat(Integer.parseInt(out)).as("mappings left of %d payloads let go", payloads)
            .isLessThanOrEqualTo(MappedPayload.MAPPINGS_BEFORE_GC);
    }

    private static String classPath() throws Exception
    {
        final Set<String> entries = new LinkedHashSet<>();
        for (final String name : new String[]{MappedPayloadsMain.class.getName(), MappedPayload.class.getName(),
            "io.seqbus.sys.LibC", "io.seqbus.wire.SafeBuffer", "com.sun.jna.Native", "org.agrona.DirectBuffer"})
        {
            entries.add(codeSource(Class.forName(name)));
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String codeSource(final Class<?> type) throws URISyntaxException
    {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}

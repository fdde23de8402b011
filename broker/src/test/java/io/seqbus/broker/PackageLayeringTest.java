package io.seqbus.broker;

import io.seqbus.broker.fanout.FanOut;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker's sub-packages depend one way. Read from the compiled classes (a class file names every class it
 * uses), so an import, a fully qualified name and a lambda all count; constants the compiler inlines do not.
 * The layering of the core, lowest first:
 * <pre>
 *   route (topic index)           depends on nothing of the broker
 *   quota (per-uid accounts)      depends on nothing of the broker
 *   acl   (access rules)          route
 *   fanout (subscriber endpoint)  route, quota
 *   net   (sockets, connections)  fanout, acl, quota
 *   the agent (root package)      everything above
 * </pre>
 * The root package's own classes that sub-packages still use (Broker.Context, Configuration, Log,
 * BrokerCounters) are not checked here: they are moving out of it.
 */
class PackageLayeringTest
{
    private static final Pattern REFERENCE = Pattern.compile("io/seqbus/broker/([a-z]+)/");

    private static final Map<String, Set<String>> ALLOWED = Map.of(
        "route", Set.of(),
        "quota", Set.of(),
        "acl", Set.of("route"),
        "fanout", Set.of("route", "quota"),
        "net", Set.of("fanout", "acl", "quota"));

    @Test
    void theCorePackagesDependOnlyDownward() throws Exception
    {
        final Map<String, Set<String>> uses = subPackageDependencies();
        for (final Map.Entry<String, Set<String>> layer : ALLOWED.entrySet())
        {
            assertThat(uses.getOrDefault(layer.getKey(), Set.of()))
                .as("broker packages that '%s' uses", layer.getKey())
                .isSubsetOf(layer.getValue());
        }
    }

    @Test
    void noCycleAmongSubPackages() throws Exception
    {
        final Map<String, Set<String>> uses = subPackageDependencies();
        assertThat(uses).as("dependencies found").containsKeys("fanout", "net", "route");
        final List<String> cycle = findCycle(uses);
        assertThat(cycle).as("a cycle among the broker's sub-packages").isEmpty();
    }

    @Test
    void aCycleIsFound()
    {
        // The check itself must be able to fail.
        final Map<String, Set<String>> uses = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"));
        assertThat(findCycle(uses)).containsExactly("a", "b", "c", "a");
    }

    private static Map<String, Set<String>> subPackageDependencies() throws IOException, URISyntaxException
    {
        final Path root = Path.of(FanOut.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("io/seqbus/broker");
        final Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> classes = Files.walk(root))
        {
            for (final Path file : (Iterable<Path>)classes.filter(p -> p.toString().endsWith(".class"))::iterator)
            {
                final Path relative = root.relativize(file);
                if (relative.getNameCount() < 2)
                {
                    continue;
                }
                final String from = relative.getName(0).toString();
                final Matcher m = REFERENCE.matcher(
                    new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
                final Set<String> to = uses.computeIfAbsent(from, k -> new TreeSet<>());
                while (m.find())
                {
                    if (!m.group(1).equals(from))
                    {
                        to.add(m.group(1));
                    }
                }
            }
        }
        return uses;
    }

    private static List<String> findCycle(final Map<String, Set<String>> uses)
    {
        for (final String start : new TreeSet<>(uses.keySet()))
        {
            final List<String> path = new ArrayList<>();
            path.add(start);
            final List<String> cycle = walk(uses, start, path);
            if (!cycle.isEmpty())
            {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> walk(final Map<String, Set<String>> uses, final String at, final List<String> path)
    {
        for (final String next : new TreeSet<>(uses.getOrDefault(at, Set.of())))
        {
            if (next.equals(path.get(0)))
            {
                final List<String> cycle = new ArrayList<>(path);
                cycle.add(next);
                return cycle;
            }
            if (!path.contains(next))
            {
                path.add(next);
                final List<String> cycle = walk(uses, next, path);
                if (!cycle.isEmpty())
                {
                    return cycle;
                }
                path.remove(path.size() - 1);
            }
        }
        return List.of();
    }
}

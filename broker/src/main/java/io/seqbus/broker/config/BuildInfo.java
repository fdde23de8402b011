package io.seqbus.broker.config;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Which build this is: the version and the git revision the build wrote into each jar's manifest
 * ({@code Implementation-Version}, {@code SCM-Revision}; see the parent pom). A class run from a
 * folder of classes (an IDE, a module's own tests) has no manifest: both read {@value #UNKNOWN}, as the
 * revision does for a build from a source tarball without {@code .git}.
 *
 * @param version  the Maven version, e.g. 0.1.0.
 * @param revision the abbreviated git commit built (HEAD, as {@code git rev-parse --short=12} says it).
 */
public record BuildInfo(String version, String revision)
{
    /** What a missing version or revision reads. */
    public static final String UNKNOWN = "unknown";
    /** The manifest attribute holding the git revision. */
    public static final String REVISION_ATTRIBUTE = "SCM-Revision";

    /** The broker's own build, read once. */
    public static final BuildInfo BROKER = of(BuildInfo.class);

    /**
     * @param type a class whose jar's manifest to read.
     * @return that jar's version and revision; {@value #UNKNOWN} for what it does not say.
     */
    public static BuildInfo of(final Class<?> type)
    {
        final Manifest manifest = manifestOf(type);
        if (manifest == null)
        {
            return new BuildInfo(UNKNOWN, UNKNOWN);
        }
        final Attributes main = manifest.getMainAttributes();
        return new BuildInfo(known(main.getValue(Attributes.Name.IMPLEMENTATION_VERSION)),
            known(main.getValue(REVISION_ATTRIBUTE)));
    }

    /** @return e.g. {@code 0.1.0 (revision 4683022)}: for --version and the start line. */
    public String describe()
    {
        return version + " (revision " + revision + ")";
    }

    private static String known(final String value)
    {
        // A build without git leaves the property unexpanded or empty: say so plainly.
        return value == null || value.isBlank() || value.startsWith("${") ? UNKNOWN : value.trim();
    }

    private static Manifest manifestOf(final Class<?> type)
    {
        try
        {
            final CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null)
            {
                return null;
            }
            final Path location = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(location))
            {
                return null;
            }
            try (JarFile jar = new JarFile(location.toFile()))
            {
                return jar.getManifest();
            }
        }
        catch (final IOException | URISyntaxException | RuntimeException ex)
        {
            return null; // an unreadable manifest is an unknown build, not a reason to fail
        }
    }
}

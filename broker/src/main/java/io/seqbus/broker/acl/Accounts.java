package io.seqbus.broker.acl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Resolves user and group names to numbers when the rules are loaded, never per connection:
 * through {@code getent} (so NSS sources such as LDAP count), else from {@code /etc/passwd} and
 * {@code /etc/group}. A name that resolves later (a user added after start) needs a reload.
 */
public final class Accounts
{
    private Accounts()
    {
    }

    /**
     * @param name a user name.
     * @return its uid, or -1 when there is no such user.
     */
    public static int uidOf(final String name)
    {
        return lookup("passwd", name, Path.of("/etc/passwd"));
    }

    /**
     * @param name a group name.
     * @return its gid, or -1 when there is no such group.
     */
    public static int gidOf(final String name)
    {
        return lookup("group", name, Path.of("/etc/group"));
    }

    private static int lookup(final String database, final String name, final Path file)
    {
        if (name.isEmpty() || name.contains(":") || name.contains("\n"))
        {
            return -1;
        }
        final String line = getent(database, name);
        if (line != null)
        {
            return idField(line, name);
        }
        try
        {
            for (final String entry : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                final int id = idField(entry, name);
                if (id >= 0)
                {
                    return id;
                }
            }
        }
        catch (final IOException ex)
        {
            return -1;
        }
        return -1;
    }

    /** The third field of a passwd or group line ({@code name:x:id:...}) when the first is the name. */
    private static int idField(final String line, final String name)
    {
        final String[] fields = line.split(":", -1);
        if (fields.length < 3 || !fields[0].equals(name))
        {
            return -1;
        }
        try
        {
            return Integer.parseInt(fields[2].trim());
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** @return getent's line for the name, "" when getent ran and found nothing, null when it could not run. */
    private static String getent(final String database, final String name)
    {
        try
        {
            final Process p = new ProcessBuilder("getent", database, name)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
            p.getOutputStream().close();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                return null;
            }
            // getent: 0 found, 2 not found; anything else means it could not answer.
            return p.exitValue() == 0 ? out : p.exitValue() == 2 ? "" : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}

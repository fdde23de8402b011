package io.seqbus.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a process holds of shared-memory rings, read from /proc: memfds mapped, memfd and eventfd
 * descriptors open, open descriptors in all, and RSS. The leak checks of the shared-memory tests.
 */
final class ShmProcess
{
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");
    private static final Pattern RSS_SHMEM = Pattern.compile("(?m)^RssShmem:\\s+(\\d+) kB");

    private ShmProcess()
    {
    }

    /** @return distinct memfds (by inode) mapped into the process. */
    static int mappedMemfds(final long pid) throws IOException
    {
        return (int) Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps")).stream()
            .filter((line) -> line.contains("/memfd:"))
            .map((line) -> line.trim().split("\\s+")[4])
            .distinct().count();
    }

    /** @return open descriptors whose link starts with PREFIX, such as {@code /memfd:} or {@code anon_inode:[eventfd]}. */
    static int fds(final long pid, final String prefix) throws IOException
    {
        return (int) links(pid).stream().filter((l) -> l.startsWith(prefix)).count();
    }

    /** @return all open descriptors. */
    static int fds(final long pid) throws IOException
    {
        return links(pid).size();
    }

    static int eventfds(final long pid) throws IOException
    {
        return fds(pid, "anon_inode:[eventfd]");
    }

    static int memfds(final long pid) throws IOException
    {
        return fds(pid, "/memfd:");
    }

    /** @return resident set size in bytes. */
    static long rss(final long pid) throws IOException
    {
        final Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        if (!m.find())
        {
            throw new IOException("no VmRSS for " + pid);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** @return resident shared memory in bytes: the pages of mapped memfds (the rings) the process touched. */
    static long rssShmem(final long pid) throws IOException
    {
        final Matcher m = RSS_SHMEM.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        if (!m.find())
        {
            throw new IOException("no RssShmem for " + pid);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** @return a one-line account, for messages. */
    static String describe(final long pid) throws IOException
    {
        return fds(pid) + " fds (" + memfds(pid) + " memfd, " + eventfds(pid) + " eventfd), " + mappedMemfds(pid)
            + " memfds mapped, RSS " + rss(pid) / 1024 + " KiB";
    }

    private static List<String> links(final long pid) throws IOException
    {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return s.map((p) ->
            {
                try
                {
                    return Files.readSymbolicLink(p).toString();
                }
                catch (final IOException ex)
                {
                    return ""; // closed between the listing and the read
                }
            }).toList();
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause();
        }
    }
}

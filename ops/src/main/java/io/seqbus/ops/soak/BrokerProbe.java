package io.seqbus.ops.soak;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reads a broker process's figures from outside: resident memory and open descriptors from
 * /proc, collections and heap from its Prometheus endpoint. The heap figure is taken right
 * after a full collection forced with {@code jcmd PID GC.run}, so it is the live data, which is
 * what grows when something leaks; the forced collections are left out of the GC count and time.
 */
public final class BrokerProbe
{
    private final long pid;
    private final String metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // The forced collections, by the cause Micrometer tags them with. Counting them as they are forced raced
    // with the JVM's asynchronous GC notification: a sample could see one forced but not yet counted (gc=-1).
    private static final String FORCED = "cause=\"Diagnostic Command\"";

    /**
     * @param pid     the broker's process id.
     * @param metrics HOST:PORT of its metrics endpoint, or null for none.
     */
    public BrokerProbe(final long pid, final String metrics)
    {
        this.pid = pid;
        this.metrics = metrics;
    }

    /**
     * @return the figures now; fields that could not be read are -1.
     */
    public Sample sample()
    {
        final Sample s = new Sample();
        s.rssKib = rssKib();
        s.fds = fds();
        if (metrics != null)
        {
            final String before = scrape();
            if (before != null)
            {
                s.gcCount = (long)sum(before, "jvm_gc_pause_seconds_count", FORCED);
                s.gcSeconds = sum(before, "jvm_gc_pause_seconds_sum", FORCED);
            }
            if (forceFullGc())
            {
                final String after = scrape();
                if (after != null)
                {
                    s.heapAfterGcBytes = (long)sum(after, "jvm_memory_used_bytes{area=\"heap\"", null);
                }
            }
        }
        return s;
    }

    private long rssKib()
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status")))
        {
            return lines.filter((l) -> l.startsWith("VmRSS:"))
                .mapToLong((l) -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                .findFirst().orElse(-1);
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private long fds()
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return fds.count();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    /**
     * @return the soft limit on open files of the process, or -1.
     */
    public long maxOpenFiles()
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "limits")))
        {
            return lines.filter((l) -> l.startsWith("Max open files"))
                .mapToLong((l) -> Long.parseLong(l.substring("Max open files".length()).trim().split("\\s+")[0]))
                .findFirst().orElse(-1);
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
    }

    private boolean forceFullGc()
    {
        try
        {
            final Process jcmd = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), "GC.run")
                .redirectErrorStream(true).start();
            try (InputStream out = jcmd.getInputStream())
            {
                out.readAllBytes();
            }
            return jcmd.waitFor(30, TimeUnit.SECONDS) && jcmd.exitValue() == 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String scrape()
    {
        final String first = scrapeOnce();
        return first != null ? first : scrapeOnce();
    }

    private String scrapeOnce()
    {
        try
        {
            final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://" + metrics + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
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

    /** Sum of every series whose line starts with the prefix (all labels of one metric). */
    /** The sum of the series named by {@code prefix}, leaving out those whose line contains {@code except}. */
    private static double sum(final String exposition, final String prefix, final String except)
    {
        double total = 0;
        for (final String line : exposition.split("\n"))
        {
            if (line.startsWith(prefix) && line.length() > prefix.length() &&
                "{} ,".indexOf(line.charAt(prefix.length())) >= 0 && (except == null || !line.contains(except)))
            {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    /**
     * One set of figures.
     */
    public static final class Sample
    {
        long rssKib = -1;
        long fds = -1;
        long gcCount = -1;
        double gcSeconds = -1;
        long heapAfterGcBytes = -1;

        @Override
        public String toString()
        {
            return String.format("rss=%.1fMiB fds=%d gc=%d (%.3fs) heap-after-gc=%s",
                rssKib / 1024.0, fds, gcCount, gcSeconds,
                heapAfterGcBytes < 0 ? "n/a" : String.format("%.1fMiB", heapAfterGcBytes / 1048576.0));
        }
    }
}

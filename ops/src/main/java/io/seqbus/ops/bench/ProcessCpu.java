package io.seqbus.ops.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * CPU a process used, from {@code /proc/PID/stat}: user + system time, all its threads, in clock ticks. Read at the
 * start and the end of the measured window, the difference over the window's wall time is the share of one core
 * the process took (100 = one core busy all the time; on 2 cores at most 200).
 */
public final class ProcessCpu
{
    private static final long ASKED = askGetconf();
    /** Clock ticks per second, as {@code getconf CLK_TCK} says; 100 when it cannot be asked (Linux's USER_HZ). */
    public static final long CLK_TCK = ASKED > 0 ? ASKED : 100;
    /** True when {@link #CLK_TCK} is the assumed 100, not what getconf said. */
    public static final boolean CLK_TCK_ASSUMED = ASKED <= 0;

    private ProcessCpu()
    {
    }

    /**
     * @param pid a process id.
     * @return its user + system CPU time so far in clock ticks, or -1 if it is gone or unreadable.
     */
    public static long ticks(final long pid)
    {
        try
        {
            return parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII));
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /**
     * @param stat a {@code /proc/PID/stat} line.
     * @return utime + stime in clock ticks.
     */
    static long parse(final String stat)
    {
        // The command name (field 2) is in parentheses and may hold spaces and ')': count fields after the last ')'.
        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
    }

    /**
     * @param ticksBefore  {@link #ticks} at the window's start.
     * @param ticksAfter   {@link #ticks} at its end.
     * @param windowNanos  the window's wall time.
     * @return percent of one core, or NaN if either reading failed.
     */
    public static double percentOfCore(final long ticksBefore, final long ticksAfter, final long windowNanos)
    {
        if (ticksBefore < 0 || ticksAfter < 0 || windowNanos <= 0)
        {
            return Double.NaN;
        }
        return 100.0 * (ticksAfter - ticksBefore) / CLK_TCK / (windowNanos / 1e9);
    }

    private static long askGetconf()
    {
        try
        {
            final Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? Long.parseLong(out) : -1;
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}

package io.seqbus.ops;

import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The signal calls the JDK lacks: kill(2) to another process ({@code seqbus reload}), and signal(2) to take back a
 * signal its parent made the broker ignore. The JVM leaves a signal that was ignored at its start ignored, and
 * {@code sun.misc.Signal.handle} then succeeds without installing anything: a broker started under {@code nohup}
 * (or by anything that ignores SIGHUP) would never see a reload, and {@code seqbus reload} would wait in vain.
 */
final class Signals
{
    static final int SIGHUP = 1;
    private static final long SIG_DFL = 0;

    static
    {
        Native.register(Signals.class, Platform.C_LIBRARY_NAME);
    }

    private Signals()
    {
    }

    /**
     * Puts a signal that is ignored back to its default action, so that a handler can be installed for it; leaves
     * one that is not ignored as it is. Call it just before {@code Signal.handle}.
     *
     * @param signal a signal number.
     * @return true when it was ignored.
     * @throws IOException when /proc/self/status cannot be read.
     */
    static boolean unignore(final int signal) throws IOException
    {
        if (!ignored(signal))
        {
            return false;
        }
        signal(signal, SIG_DFL);
        return true;
    }

    /** @return true when this process ignores the signal: its bit in the SigIgn mask of /proc/self/status. */
    static boolean ignored(final int signal) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("SigIgn:"))
            {
                final long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (mask & (1L << (signal - 1))) != 0;
            }
        }
        return false;
    }

    /** kill(2). */
    static native int kill(int pid, int signal);

    /** strerror(3). */
    static native String strerror(int errnum);

    // sighandler_t signal(int, sighandler_t): a handler is a pointer, as wide as a long on the 64-bit Linux we run on.
    private static native long signal(int signal, long handler);
}

package io.seqbus.broker;

import java.io.PrintStream;

/**
 * One line per event, with a level, on standard error: what journald and a terminal both read
 * well. Not on the hot path: the agent logs connection events and failures, never messages.
 */
public final class Log
{
    private static volatile PrintStream out = System.err;
    private static volatile boolean debug = Boolean.getBoolean("seqbus.debug");

    private Log()
    {
    }

    /**
     * @param stream where log lines go from now on.
     */
    public static void redirect(final PrintStream stream)
    {
        out = stream;
    }

    /**
     * @param enabled whether {@link #debug(String)} lines are printed.
     */
    public static void debugEnabled(final boolean enabled)
    {
        debug = enabled;
    }

    /** @param message an event worth knowing while debugging. */
    public static void debug(final String message)
    {
        if (debug)
        {
            out.println("DEBUG " + message);
        }
    }

    /** @param message a normal event. */
    public static void info(final String message)
    {
        out.println("INFO  " + message);
    }

    /** @param message something went wrong with one client or input; the broker goes on. */
    public static void warn(final String message)
    {
        out.println("WARN  " + message);
    }

    /** @param message the broker itself failed. */
    public static void error(final String message)
    {
        out.println("ERROR " + message);
    }
}

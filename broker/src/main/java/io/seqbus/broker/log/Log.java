package io.seqbus.broker.log;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One line per event, with a level, on standard error: what journald and a terminal both read
 * well. Not on the hot path: the agent logs connection events and failures, never messages.
 */
public final class Log
{
    /** Severity of a line; lines below the threshold are not printed. */
    public enum Level
    {
        /** Per-connection detail. */
        DEBUG,
        /** Normal events. */
        INFO,
        /** A client or input went wrong; the broker goes on. */
        WARN,
        /** The broker itself failed. */
        ERROR;

        /**
         * @param name debug, info, warn or error, any case.
         * @return the level, or null when the name is none of those.
         */
        public static Level of(final String name)
        {
            for (final Level level : values())
            {
                if (level.name().equalsIgnoreCase(name == null ? "" : name.trim()))
                {
                    return level;
                }
            }
            return null;
        }

        /** @return the level's name as configured: lower case. */
        public String label()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static volatile PrintStream out = System.err;
    private static volatile Level threshold = Boolean.getBoolean("seqbus.debug") ? Level.DEBUG : Level.INFO;

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
        threshold = enabled ? Level.DEBUG : Level.INFO;
    }

    /**
     * @param level least severe level printed from now on; safe from any thread.
     */
    public static void level(final Level level)
    {
        threshold = level;
    }

    /** @return least severe level printed. */
    public static Level level()
    {
        return threshold;
    }

    /** @param message an event worth knowing while debugging. */
    public static void debug(final String message)
    {
        if (threshold == Level.DEBUG)
        {
            out.println("DEBUG " + message);
        }
    }

    /** @param message a normal event. */
    public static void info(final String message)
    {
        if (threshold.compareTo(Level.INFO) <= 0)
        {
            out.println("INFO  " + message);
        }
    }

    /** @param message something went wrong with one client or input; the broker goes on. */
    public static void warn(final String message)
    {
        if (threshold.compareTo(Level.WARN) <= 0)
        {
            out.println("WARN  " + message);
        }
    }

    /** @param message the broker itself failed. */
    public static void error(final String message)
    {
        out.println("ERROR " + message);
    }
}

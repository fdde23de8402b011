package io.seqbus.broker.log;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One line per event, with a level, on standard error: what journald and a terminal both read
 * well. When standard error is the journal ({@link JournalStream}), each line also starts with its
 * sd-daemon priority ({@code <3>} error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug), so
 * {@code journalctl -p warning} finds what went wrong. Not on the hot path: the agent logs connection
 * events (rate-limited, {@link LogRateLimit}) and failures, never messages.
 */
public final class Log
{
    /** Severity of a line; lines below the threshold are not printed. */
    public enum Level
    {
        /** Per-connection detail. */
        DEBUG("DEBUG ", 7),
        /** Normal events. */
        INFO("INFO  ", 6),
        /** A client or input went wrong; the broker goes on. */
        WARN("WARN  ", 4),
        /** The broker itself failed. */
        ERROR("ERROR ", 3);

        private final String tag;
        private final String priority;

        Level(final String tag, final int priority)
        {
            this.tag = tag;
            this.priority = "<" + priority + ">";
        }

        /** @return the sd-daemon(3) prefix of this level: {@code <3>} for errors ... {@code <7>} for debug. */
        public String priority()
        {
            return priority;
        }

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
    private static volatile boolean journal =
        JournalStream.is(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd/2"));
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
     * @param prefixed whether lines carry their sd-daemon priority prefix, as they do when standard error
     *                 is the journal.
     */
    public static void journal(final boolean prefixed)
    {
        journal = prefixed;
    }

    /**
     * @param level a level.
     * @return whether lines of that level are printed: check before building a costly line.
     */
    public static boolean enabled(final Level level)
    {
        return threshold.compareTo(level) <= 0;
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
        print(Level.DEBUG, message);
    }

    /** @param message a normal event. */
    public static void info(final String message)
    {
        print(Level.INFO, message);
    }

    /** @param message something went wrong with one client or input; the broker goes on. */
    public static void warn(final String message)
    {
        print(Level.WARN, message);
    }

    /** @param message the broker itself failed; printed whatever the level. */
    public static void error(final String message)
    {
        print(Level.ERROR, message);
    }

    private static void print(final Level level, final String message)
    {
        if (level != Level.ERROR && !enabled(level))
        {
            return;
        }
        if (!journal)
        {
            out.println(level.tag + message);
            return;
        }
        // The journal reads a priority per line: a line without one would be logged as info.
        out.println(level.priority + level.tag +
            (message.indexOf('\n') < 0 ? message : message.replace("\n", "\n" + level.priority)));
    }
}

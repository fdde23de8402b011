package io.seqbus.ops;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the live views need of a terminal, with ANSI escapes and {@code stty} rather than a terminal library:
 * whether stdout or stdin is one, its size, clearing it, and keys without Enter (raw-ish mode, restored on every
 * exit, Ctrl-C included). Everything the views need fits in a handful of escapes every terminal of the last
 * forty years knows, so a library (JLine, Lanterna) would add a dependency and native code for nothing.
 * Linux only, as seqbus is: a descriptor is a terminal when /proc says it points at one.
 */
final class Terminal
{
    /** Home the cursor and clear the screen. */
    static final String CLEAR = "\033[H\033[2J";
    /** The alternate screen, as top and less use: the shell's screen comes back on exit. */
    static final String ENTER_ALTERNATE = "\033[?1049h\033[?25l";
    /** Back to the normal screen, cursor shown again. */
    static final String LEAVE_ALTERNATE = "\033[?25h\033[?1049l";

    private static final File TTY = new File("/dev/tty");

    private String savedMode;

    /**
     * @param fd 0, 1 or 2.
     * @return true when that descriptor of this process is a terminal.
     */
    static boolean isTerminal(final int fd)
    {
        try
        {
            final String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return false;
        }
    }

    /** @return rows of the controlling terminal, 0 when unknown. */
    static int rows()
    {
        final String env = System.getenv("LINES");
        if (env != null && env.matches("[0-9]+"))
        {
            return Integer.parseInt(env);
        }
        final String size = stty("size");
        if (size != null && size.matches("[0-9]+ [0-9]+"))
        {
            return Integer.parseInt(size.substring(0, size.indexOf(' ')));
        }
        return 0;
    }

    /**
     * Keys arrive one by one without Enter and are not echoed; Ctrl-C still interrupts. Restored by
     * {@link #restore()}, which a shutdown hook also runs.
     *
     * @return true when the mode was changed.
     */
    boolean keysWithoutEnter()
    {
        savedMode = stty("-g");
        if (savedMode == null || stty("-icanon", "-echo", "min", "1") == null)
        {
            savedMode = null;
            return false;
        }
        return true;
    }

    /** Puts the terminal's mode back as it was, if it was changed. */
    synchronized void restore()
    {
        if (savedMode != null)
        {
            stty(savedMode);
            savedMode = null;
        }
    }

    /** Runs stty on the controlling terminal; returns its output, or null when it failed. */
    private static String stty(final String... args)
    {
        if (!TTY.canRead())
        {
            return null;
        }
        final List<String> command = new ArrayList<>();
        command.add("stty");
        command.addAll(List.of(args));
        try
        {
            final Process p = new ProcessBuilder(command).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
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

package io.seqbus.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * The refresh loop of {@code seqbus stat --watch} and {@code seqbus top}: ask the broker on one connection,
 * draw, wait, again. On a terminal each frame replaces the last (clear screen; top on the alternate screen, as
 * top(1) does) and {@code q} quits; otherwise (a pipe, a file, a test) each frame is printed after the last,
 * a blank line between, so it can be read as a log. A broker that goes away is reported and asked again each
 * interval; only the first request must succeed, so a wrong socket is one line and exit 1.
 */
final class LiveView
{
    /** Draws one frame from a snapshot. */
    @FunctionalInterface
    interface Renderer
    {
        /**
         * @param s    the latest snapshot, with rates against the one before.
         * @param rows the terminal's height; 0 on a terminal of unknown size, -1 when not on a terminal.
         * @return the frame, lines ending in a newline.
         */
        String render(StatSnapshot s, int rows);
    }

    private static final long KEY_POLL_MS = 50;

    private final String socket;
    private final int statFlags;
    private final long intervalNs;
    private final long iterations;
    private final boolean alternateScreen;
    private final String separator;
    private final Renderer renderer;
    private boolean keysClosed;

    /**
     * @param socket          the broker's socket.
     * @param statFlags       for each STAT_REQUEST.
     * @param intervalSeconds between two requests.
     * @param iterations      frames to draw before exiting, 0 for no end.
     * @param alternateScreen whether a terminal's frames go to the alternate screen (top) or the normal one.
     * @param separator       between two frames when not on a terminal: a blank line, or nothing (JSON lines).
     * @param renderer        draws a frame.
     */
    LiveView(final String socket, final int statFlags, final double intervalSeconds, final long iterations,
        final boolean alternateScreen, final String separator, final Renderer renderer)
    {
        this.separator = separator;
        this.socket = socket;
        this.statFlags = statFlags;
        this.intervalNs = (long)(intervalSeconds * 1e9);
        this.iterations = iterations;
        this.alternateScreen = alternateScreen;
        this.renderer = renderer;
    }

    /**
     * @param out where frames go (stdout).
     * @param err where a lost broker is reported when {@code out} is not a terminal.
     * @param keys where {@code q} may come from (stdin), or null.
     * @return the exit code: 0 after {@code q}, the last iteration, or a closed stdout.
     * @throws IOException when the first request fails.
     */
    int run(final PrintStream out, final PrintStream err, final InputStream keys) throws IOException
    {
        final boolean tty = Terminal.isTerminal(1);
        final Terminal terminal = new Terminal();
        final Thread restore = new Thread(() -> leave(terminal, out, tty), "seqbus-terminal-restore");
        StatClient client = StatClient.connect(socket);
        StatSnapshot last = StatSnapshot.parse(client.request(statFlags), System.nanoTime(), null);
        if (tty)
        {
            Runtime.getRuntime().addShutdownHook(restore);
            if (Terminal.isTerminal(0))
            {
                terminal.keysWithoutEnter();
            }
            if (alternateScreen)
            {
                out.print(Terminal.ENTER_ALTERNATE);
            }
        }
        try
        {
            long drawn = 0;
            String problem = null;
            while (true)
            {
                final String frame = problem != null ? problem + "\n" :
                    renderer.render(last, tty ? Terminal.rows() : -1);
                if (tty)
                {
                    out.print(Terminal.CLEAR + frame);
                }
                else if (problem != null)
                {
                    err.print(frame);
                }
                else
                {
                    out.print((drawn > 0 ? separator : "") + frame);
                }
                out.flush();
                if (out.checkError())
                {
                    return 0; // the reader went away (`| head`): done, as watch(1) is
                }
                if (problem == null && ++drawn == iterations)
                {
                    return 0;
                }
                if (waitForQuit(keys))
                {
                    return 0;
                }
                try
                {
                    if (client == null)
                    {
                        client = StatClient.connect(socket);
                    }
                    last = StatSnapshot.parse(client.request(statFlags), System.nanoTime(), last);
                    problem = null;
                }
                catch (final IOException ex)
                {
                    closeQuietly(client);
                    client = null;
                    problem = "seqbus: the broker at " + socket + " did not answer (" + ex.getMessage() +
                        "); asking again every " + intervalNs / 1e9 + " s";
                }
            }
        }
        finally
        {
            closeQuietly(client);
            if (tty)
            {
                leave(terminal, out, true);
                try
                {
                    Runtime.getRuntime().removeShutdownHook(restore);
                }
                catch (final IllegalStateException ex)
                {
                    // already shutting down (Ctrl-C): the hook restores the terminal
                }
            }
        }
    }

    /** Waits one interval; true when {@code q} (or Ctrl-C as a byte) came meanwhile. */
    private boolean waitForQuit(final InputStream keys) throws IOException
    {
        final long deadline = System.nanoTime() + intervalNs;
        long left;
        while ((left = deadline - System.nanoTime()) > 0)
        {
            if (keys != null && !keysClosed)
            {
                try
                {
                    while (keys.available() > 0)
                    {
                        final int key = keys.read();
                        if (key < 0)
                        {
                            keysClosed = true;
                            break;
                        }
                        if (key == 'q' || key == 'Q' || key == 3)
                        {
                            return true;
                        }
                    }
                }
                catch (final IOException ex)
                {
                    keysClosed = true; // stdin not readable: no keys, only the interval and Ctrl-C
                }
            }
            sleep(Math.min(KEY_POLL_MS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
        }
        return false;
    }

    private void leave(final Terminal terminal, final PrintStream out, final boolean tty)
    {
        terminal.restore();
        if (tty && alternateScreen)
        {
            out.print(Terminal.LEAVE_ALTERNATE);
            out.flush();
        }
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(final StatClient client)
    {
        if (client != null)
        {
            try
            {
                client.close();
            }
            catch (final IOException ignore)
            {
                // closing a connection to a broker that is gone
            }
        }
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Native;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.StatRequestFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code seqbus reload}: asks the running broker to reload its settings (SIGHUP) and reports how that
 * ended, so that {@code systemctl reload} fails when the broker refused. The broker counts its reloads
 * and keeps the latest outcome in its STAT document: this command reads the count, sends the signal,
 * and waits for the count to move.
 */
@Command(
    name = "reload",
    mixinStandardHelpOptions = true,
    description = {"Ask the running broker to reload its settings (as SIGHUP does) and say whether it applied "
        + "or refused them. Under systemd: ExecReload=seqbus reload --pid $MAINPID."},
    footer = {"", "Exit code 0: applied (one line on standard output); 1: refused, the reason on standard error; "
        + "3: no outcome: the broker cannot be reached, cannot be signalled, or did not answer within --timeout."})
final class ReloadCommand implements Callable<Integer>
{
    /** The broker refused the reload: its settings are as they were. */
    static final int EXIT_REFUSED = 1;
    /** Nothing is known of the reload's outcome. */
    static final int EXIT_NO_OUTCOME = 3;

    private static final long POLL_MS = 50;

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    @Option(names = "--pid", paramLabel = "PID",
        description = "The broker's process id (systemd: $MAINPID); default: the pid the broker reports.")
    Long pid;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "How long to wait for the broker's outcome (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Override
    public Integer call()
    {
        final String address;
        final JsonNode before;
        try
        {
            address = socket != null ? socket : DefaultSocket.resolveChecked();
            before = reloadState(address);
        }
        catch (final IOException ex)
        {
            return noOutcome("cannot ask the broker: " + ex.getMessage());
        }
        final long generation = before.path("reload").path("generation").asLong(-1);
        final long target = pid != null ? pid : before.path("pid").asLong(0);
        if (generation < 0 || target <= 0)
        {
            return noOutcome("this broker does not report its reloads (an older version?); nothing sent");
        }
        if (Signals.kill((int)target, Signals.SIGHUP) != 0)
        {
            return noOutcome("cannot signal pid " + target + ": " + Signals.strerror(Native.getLastError()));
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        String lastFailure = "no answer";
        while (System.nanoTime() - deadline < 0)
        {
            try
            {
                final JsonNode reload = reloadState(address).path("reload");
                if (reload.path("generation").asLong() > generation)
                {
                    return report(reload);
                }
            }
            catch (final IOException ex)
            {
                lastFailure = ex.getMessage(); // a busy or restarting broker: ask again
            }
            sleep();
        }
        return noOutcome("the broker did not report the reload within " + timeoutSeconds + " s (" + lastFailure + ")");
    }

    private Integer report(final JsonNode reload)
    {
        final String line = "reload " + reload.path("generation").asLong() + " " + reload.path("status").asText() +
            ": " + reload.path("message").asText();
        if ("applied".equals(reload.path("status").asText()))
        {
            spec.commandLine().getOut().println(line);
            spec.commandLine().getOut().flush();
            return 0;
        }
        spec.commandLine().getErr().println("seqbus: " + line);
        return EXIT_REFUSED;
    }

    private Integer noOutcome(final String why)
    {
        spec.commandLine().getErr().println("seqbus: reload: " + why);
        return EXIT_NO_OUTCOME;
    }

    private static JsonNode reloadState(final String address) throws IOException
    {
        final String document = StatClient.request(address, StatRequestFrame.NO_CLIENTS | StatRequestFrame.NO_TOPICS);
        return new ObjectMapper().readTree(document).path("broker");
    }

    private static void sleep()
    {
        try
        {
            Thread.sleep(POLL_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}

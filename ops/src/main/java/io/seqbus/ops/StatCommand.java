package io.seqbus.ops;

import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.StatRequestFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code seqbus stat}: what a running broker is doing, as a table or as JSON, once or refreshed
 * ({@code --watch}, with rates between two documents).
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = "Ask the running broker for its clients, busiest topics and totals, and print them.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done (with --watch: q, or stdout closed)",
        "1:the broker could not be reached or refused",
        "2:bad usage"})
final class StatCommand implements Callable<Integer>
{
    /** Refresh interval of {@code --watch} without a value, seconds. */
    static final String DEFAULT_INTERVAL = "2";

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    @Option(names = "--json", description = "Print the broker's JSON document as it came.")
    boolean json;

    @Option(names = "--no-clients", description = "Leave the client list out.")
    boolean noClients;

    @Option(names = "--no-topics", description = "Leave the topic list out.")
    boolean noTopics;

    @Option(names = "--patterns",
        description = "Add each client's subscriptions: id, policy, queue bound and pattern (another user's are " +
            "hidden unless you are root or the broker's user).")
    boolean patterns;

    @Option(names = {"-w", "--watch"}, arity = "0..1", paramLabel = "SECONDS", fallbackValue = DEFAULT_INTERVAL,
        description = "Ask again every SECONDS (default " + DEFAULT_INTERVAL + ") and show rates per second " +
            "beside the totals: on a terminal the table is redrawn in place (q quits); otherwise one table per " +
            "interval, a blank line between. With --json, one document per line.")
    Double watchSeconds;

    @Override
    public Integer call() throws Exception
    {
        final int flags = (noClients ? StatRequestFrame.NO_CLIENTS : 0) | (noTopics ? StatRequestFrame.NO_TOPICS : 0);
        final String path = socket != null ? socket : DefaultSocket.resolveChecked();
        if (watchSeconds != null)
        {
            final double seconds = checkedInterval(spec, "--watch", watchSeconds);
            final LiveView.Renderer renderer = json ?
                (s, rows) -> s.doc().toString() + "\n" :
                (s, rows) -> StatTables.render(s, patterns, true);
            return new LiveView(path, flags, seconds, 0, false, json ? "" : "\n", renderer).run(System.out, System.err, System.in);
        }
        final String document = StatClient.request(path, flags);
        if (json)
        {
            System.out.println(document);
            return 0;
        }
        System.out.print(StatTables.render(StatSnapshot.parse(document, System.nanoTime(), null), patterns, false));
        return 0;
    }

    /**
     * @return the interval, when it is a number of seconds from 0.1 to a day.
     * @throws ParameterException naming the option and what is allowed (exit 2).
     */
    static double checkedInterval(final CommandSpec spec, final String option, final double seconds)
    {
        if (!(seconds >= 0.1 && seconds <= 86_400))
        {
            throw new ParameterException(spec.commandLine(),
                option + " " + seconds + ": the interval must be from 0.1 to 86400 seconds");
        }
        return seconds;
    }
}

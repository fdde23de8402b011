package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.seqbus.wire.DefaultSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code seqbus top}: the busiest clients and topics of a running broker, refreshed, as top(1) shows
 * processes. Clients are ranked by their rate of messages (published, delivered and dropped per second, from
 * two STAT documents); topics as the broker ranks them. On a terminal it fills the screen and quits on q or
 * Ctrl-C; otherwise it prints one snapshot per interval (as {@code top -b}), which is how scripts and tests
 * read it.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = "Show the busiest clients and topics of the running broker, refreshed (q or Ctrl-C quits).",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:q, the last of --iterations, or stdout closed",
        "1:the broker could not be reached or refused",
        "2:bad usage"})
final class TopCommand implements Callable<Integer>
{
    /** Lines of a frame that are not client or topic rows. */
    private static final int FIXED_LINES = 9;

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    @Option(names = {"-d", "--delay"}, paramLabel = "SECONDS", defaultValue = StatCommand.DEFAULT_INTERVAL,
        description = "Seconds between two refreshes (default: ${DEFAULT-VALUE}).")
    double delaySeconds;

    @Option(names = {"-n", "--iterations"}, paramLabel = "N", defaultValue = "0",
        description = "Exit after N refreshes (default: 0, never).")
    long iterations;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "20",
        description = "Busiest clients shown at most (default: ${DEFAULT-VALUE}; fewer when the terminal is short).")
    int maxClients;

    @Option(names = "--topics", paramLabel = "N", defaultValue = "10",
        description = "Busiest topics shown at most (default: ${DEFAULT-VALUE}; fewer when the terminal is short).")
    int maxTopics;

    @Override
    public Integer call() throws Exception
    {
        final double seconds = StatCommand.checkedInterval(spec, "--delay", delaySeconds);
        if (iterations < 0 || maxClients < 0 || maxTopics < 0)
        {
            throw new ParameterException(spec.commandLine(),
                "--iterations, --clients and --topics must be 0 or more");
        }
        final String path = socket != null ? socket : DefaultSocket.resolveChecked();
        return new LiveView(path, 0, seconds, iterations, true, "\n", (s, rows) -> render(s, rows, seconds))
            .run(System.out, System.err, System.in);
    }

    private String render(final StatSnapshot s, final int rows, final double seconds)
    {
        final JsonNode doc = s.doc();
        final JsonNode broker = doc.path("broker");
        final JsonNode totals = doc.path("totals");
        final StringBuilder out = new StringBuilder(4096);
        StatTables.line(out, String.format(Locale.ROOT, "seqbus top  node %s  socket %s  up %s  every %s s%s",
            StatTables.text(broker.path("node").asText()), StatTables.text(broker.path("socket").asText()),
            StatTables.duration(broker.path("uptime_seconds").asLong()), StatTables.rate(seconds),
            rows >= 0 ? "  (q quits)" : ""));
        StatTables.line(out, String.format(Locale.ROOT,
            "clients %d  subscriptions %d  queued %s  evictions %d  frames rejected %d  publisher stalls %d",
            totals.path("clients").asLong(), totals.path("subscriptions").asLong(),
            StatTables.bytes(totals.path("queued_bytes").asLong()), totals.path("evictions").asLong(),
            totals.path("frames_rejected").asLong(), totals.path("publisher_stalls").asLong()));
        StatTables.line(out, String.format(Locale.ROOT, "msg/s  published %s  delivered %s  dropped %s",
            StatTables.rate(s.totalRate("messages_published")), StatTables.rate(s.totalRate("messages_delivered")),
            StatTables.rate(s.totalRate("dropped_oldest") + s.totalRate("dropped_newest"))));

        final List<JsonNode> clients = busiestFirst(s, StatTables.clients(doc, true));
        final int topicsListed = doc.path("topics").size();
        int clientRows = Math.min(maxClients, clients.size());
        int topicRows = Math.min(maxTopics, topicsListed);
        if (rows > 0)
        {
            final int room = Math.max(2, rows - FIXED_LINES);
            topicRows = Math.min(topicRows, room / 3);
            clientRows = Math.min(clientRows, Math.max(1, room - topicRows));
        }
        out.append('\n');
        final List<String[]> table = new ArrayList<>();
        table.add(new String[]{"ID", "NAME", "PID", "UID", "TRANSPORT", "PUB/S", "DELIV/S", "DROP/S", "QUEUED", "SUBS",
            "PUBLISHED", "DELIVERED", "DROPPED"});
        for (final JsonNode c : clients.subList(0, clientRows))
        {
            table.add(new String[]{c.path("id").asText(), StatTables.name(c), c.path("pid").asText(),
                c.path("uid").asText(), StatTables.transport(c), StatTables.rate(s.clientRate(c, "messages_published")),
                StatTables.rate(s.clientRate(c, "messages_delivered")),
                StatTables.rate(s.clientRate(c, "dropped_oldest", "dropped_newest")),
                StatTables.bytes(c.path("queued_bytes").asLong()), c.path("subscriptions").asText(),
                StatTables.count(c, "messages_published"), StatTables.count(c, "messages_delivered"),
                StatTables.dropped(c)});
        }
        StatTables.table(out, table);
        if (clientRows < clients.size())
        {
            StatTables.line(out, "(" + (clients.size() - clientRows) + " more clients)");
        }
        if (doc.has("topics"))
        {
            out.append('\n');
            StatTables.table(out, StatTables.topicRows(doc, topicRows));
        }
        return out.toString();
    }

    /**
     * @return the clients by their rate of messages, highest first (by their totals while there are no
     *         rates yet), then by id.
     */
    private static List<JsonNode> busiestFirst(final StatSnapshot s, final List<JsonNode> clients)
    {
        final List<JsonNode> sorted = new ArrayList<>(clients);
        final Comparator<JsonNode> byLoad = Comparator.comparingDouble((JsonNode c) -> s.hasRates() ?
            s.clientRate(c, "messages_published", "messages_delivered", "dropped_oldest", "dropped_newest") :
            c.path("messages_published").asDouble() + c.path("messages_delivered").asDouble() +
                c.path("dropped_oldest").asDouble() + c.path("dropped_newest").asDouble());
        sorted.sort(byLoad.reversed().thenComparingLong((JsonNode c) -> c.path("id").asLong()));
        return sorted;
    }
}

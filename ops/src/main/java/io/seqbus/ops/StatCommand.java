package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.StatRequestFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code seqbus stat}: what a running broker is doing, as a table or as JSON.
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = "Ask the running broker for its clients, busiest topics and totals, and print them.")
final class StatCommand implements Callable<Integer>
{
    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    @Option(names = "--json", description = "Print the broker's JSON document as it came.")
    boolean json;

    @Option(names = "--no-clients", description = "Leave the client list out.")
    boolean noClients;

    @Option(names = "--no-topics", description = "Leave the topic list out.")
    boolean noTopics;

    @Override
    public Integer call() throws Exception
    {
        final int flags = (noClients ? StatRequestFrame.NO_CLIENTS : 0) | (noTopics ? StatRequestFrame.NO_TOPICS : 0);
        final String document = StatClient.request(socket != null ? socket : DefaultSocket.resolveChecked(), flags);
        if (json)
        {
            System.out.println(document);
            return 0;
        }
        print(new ObjectMapper().readTree(document), System.out);
        return 0;
    }

    static void print(final JsonNode doc, final PrintStream out)
    {
        final JsonNode broker = doc.path("broker");
        final JsonNode totals = doc.path("totals");
        out.printf("broker %s  socket %s  up %s%n", broker.path("node").asText(), broker.path("socket").asText(),
            duration(broker.path("uptime_seconds").asLong()));
        out.printf("clients %d  subscriptions %d  published %d (%s)  delivered %d (%s)  queued %s%n",
            totals.path("clients").asLong(), totals.path("subscriptions").asLong(),
            totals.path("messages_published").asLong(), bytes(totals.path("bytes_published").asLong()),
            totals.path("messages_delivered").asLong(), bytes(totals.path("bytes_delivered").asLong()),
            bytes(totals.path("queued_bytes").asLong()));
        out.printf("evictions %d  frames rejected %d  publisher stalls %d  connections refused %d%n",
            totals.path("evictions").asLong(), totals.path("frames_rejected").asLong(),
            totals.path("publisher_stalls").asLong(), totals.path("connections_refused").asLong());
        if (doc.has("clients"))
        {
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{"ID", "NAME", "PID", "UID", "SUBS", "QUEUED", "PUBLISHED"});
            for (final JsonNode c : doc.path("clients"))
            {
                rows.add(new String[]{c.path("id").asText(), c.path("name").asText().isEmpty() ? "-" :
                    c.path("name").asText(), c.path("pid").asText(), c.path("uid").asText(),
                    c.path("subscriptions").asText(), bytes(c.path("queued_bytes").asLong()),
                    c.path("published").asText()});
            }
            out.println();
            table(rows, out);
        }
        if (doc.has("lan"))
        {
            final JsonNode lan = doc.path("lan");
            out.println();
            out.printf("LAN  out %d (%s)  in %d (%s)  lost %d  gaps %d  nodes lost %d  NAKs sent %d  retransmits %d%n",
                lan.path("messages_out").asLong(), bytes(lan.path("bytes_out").asLong()),
                lan.path("messages_in").asLong(), bytes(lan.path("bytes_in").asLong()),
                lan.path("messages_lost").asLong(), lan.path("gaps").asLong(), lan.path("nodes_lost").asLong(),
                lan.path("naks_sent").asLong(), lan.path("retransmits_sent").asLong());
            final long invalid = lan.path("invalid_datagrams").asLong();
            final long unauthenticated = lan.path("unauthenticated_datagrams").asLong();
            if (invalid != 0 || unauthenticated != 0)
            {
                out.printf("LAN  datagrams dropped: invalid %d  unauthenticated %d%n", invalid, unauthenticated);
            }
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{"NODE", "STATE", "LAST HEARD", "MESSAGES IN", "BYTES IN", "LOST"});
            for (final JsonNode p : lan.path("peers"))
            {
                rows.add(new String[]{p.path("node").asText(), p.path("state").asText(),
                    p.path("last_heard_ms_ago").asLong() + " ms ago", p.path("messages_in").asText(),
                    bytes(p.path("bytes_in").asLong()), p.path("messages_lost").asText()});
            }
            table(rows, out);
        }
        if (doc.has("topics"))
        {
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{"TOPIC", "MSG/S", "MESSAGES"});
            for (final JsonNode t : doc.path("topics"))
            {
                rows.add(new String[]{t.path("topic").asText(), String.format("%.1f", t.path("rate_per_second").asDouble()),
                    "~" + t.path("messages").asText()});
            }
            out.println();
            table(rows, out);
            out.printf("(top %d topics, estimated from one publish in %d)%n",
                broker.path("stat_top_topics").asInt(), broker.path("topics_sampled_one_in").asInt());
        }
    }

    private static void table(final List<String[]> rows, final PrintStream out)
    {
        final int[] widths = new int[rows.get(0).length];
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (final String[] row : rows)
        {
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++)
            {
                sb.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", row[i]));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    private static String bytes(final long n)
    {
        if (n < 1024)
        {
            return n + " B";
        }
        if (n < 1024 * 1024)
        {
            return String.format("%.1f KiB", n / 1024.0);
        }
        return String.format("%.1f MiB", n / (1024.0 * 1024.0));
    }

    private static String duration(final long seconds)
    {
        return seconds < 3600 ? (seconds / 60) + "m" + (seconds % 60) + "s" :
            (seconds / 3600) + "h" + (seconds % 3600 / 60) + "m";
    }
}

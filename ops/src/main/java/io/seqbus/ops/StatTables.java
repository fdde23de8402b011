package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.seqbus.wire.Printable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tables of {@code seqbus stat} (once or {@code --watch}) and the pieces {@code seqbus top} shares:
 * columns sized to their widest cell, byte counts and rates in a few characters, and every text a client
 * chose (names, patterns, topics) with its control characters shown as {@code \xNN}, so nothing in the
 * document can move the cursor or clear the operator's screen.
 */
final class StatTables
{
    private StatTables()
    {
    }

    /**
     * @param s        the snapshot, with rates when it has a previous one.
     * @param patterns whether to add each client's subscriptions.
     * @param hideSelf whether to leave out the asking connection itself (a live view's own row).
     * @return the report, lines ending in a newline.
     */
    static String render(final StatSnapshot s, final boolean patterns, final boolean hideSelf)
    {
        final StringBuilder out = new StringBuilder(4096);
        final JsonNode doc = s.doc();
        final JsonNode broker = doc.path("broker");
        final JsonNode totals = doc.path("totals");
        line(out, String.format(Locale.ROOT, "broker %s  socket %s  up %s", text(broker.path("node").asText()),
            text(broker.path("socket").asText()), duration(broker.path("uptime_seconds").asLong())));
        line(out, String.format(Locale.ROOT, "clients %d  subscriptions %d  published %d (%s%s)  " +
            "delivered %d (%s%s)  queued %s",
            totals.path("clients").asLong(), totals.path("subscriptions").asLong(),
            totals.path("messages_published").asLong(), bytes(totals.path("bytes_published").asLong()),
            perSecond(s.totalRate("messages_published")),
            totals.path("messages_delivered").asLong(), bytes(totals.path("bytes_delivered").asLong()),
            perSecond(s.totalRate("messages_delivered")), bytes(totals.path("queued_bytes").asLong())));
        final long oldest = totals.path("dropped_oldest").asLong();
        final long newest = totals.path("dropped_newest").asLong();
        line(out, String.format(Locale.ROOT, "dropped %d (oldest %d, newest %d%s)  evictions %d  " +
            "frames rejected %d  publisher stalls %d  connections refused %d",
            oldest + newest, oldest, newest, perSecond(s.totalRate("dropped_oldest") + s.totalRate("dropped_newest")),
            totals.path("evictions").asLong(), totals.path("frames_rejected").asLong(),
            totals.path("publisher_stalls").asLong(), totals.path("connections_refused").asLong()));
        groups(out, totals);
        if (doc.has("clients"))
        {
            final List<JsonNode> clients = clients(doc, hideSelf);
            out.append('\n');
            table(out, clientRows(s, clients));
            if (patterns)
            {
                out.append('\n');
                table(out, patternRows(clients));
            }
        }
        if (doc.has("lan"))
        {
            lan(out, doc.path("lan"));
        }
        if (doc.has("topics"))
        {
            out.append('\n');
            table(out, topicRows(doc, Integer.MAX_VALUE));
            line(out, String.format(Locale.ROOT, "(top %d topics, estimated from one publish in %d)",
                broker.path("stat_top_topics").asInt(), broker.path("topics_sampled_one_in").asInt()));
        }
        return out.toString();
    }

    /**
     * @param doc      the document.
     * @param hideSelf whether to leave out this process's own connection.
     * @return its clients, in the broker's order (by id).
     */
    static List<JsonNode> clients(final JsonNode doc, final boolean hideSelf)
    {
        final long self = ProcessHandle.current().pid();
        final List<JsonNode> clients = new ArrayList<>();
        for (final JsonNode c : doc.path("clients"))
        {
            if (!(hideSelf && c.path("pid").asLong() == self && StatClient.CLIENT_NAME.equals(c.path("name").asText())))
            {
                clients.add(c);
            }
        }
        return clients;
    }

    private static List<String[]> clientRows(final StatSnapshot s, final List<JsonNode> clients)
    {
        final boolean rates = s.hasRates();
        final List<String[]> rows = new ArrayList<>();
        rows.add(rates ?
            new String[]{"ID", "NAME", "PID", "UID", "TRANSPORT", "SUBS", "QUEUED", "DELIVERED", "DELIV/S", "DROPPED",
                "DROP/S", "GAPS", "PUBLISHED", "PUB/S"} :
            new String[]{"ID", "NAME", "PID", "UID", "TRANSPORT", "SUBS", "QUEUED", "DELIVERED", "DROPPED", "GAPS",
                "PUBLISHED"});
        for (final JsonNode c : clients)
        {
            final List<String> row = new ArrayList<>(List.of(c.path("id").asText(), name(c), c.path("pid").asText(),
                c.path("uid").asText(), transport(c), c.path("subscriptions").asText(),
                bytes(c.path("queued_bytes").asLong()),
                count(c, "messages_delivered")));
            if (rates)
            {
                row.add(rate(s.clientRate(c, "messages_delivered")));
            }
            row.add(dropped(c));
            if (rates)
            {
                row.add(rate(s.clientRate(c, "dropped_oldest", "dropped_newest")));
            }
            row.add(count(c, "gaps_sent"));
            // Older brokers have only `published` (the last sequence); newer ones count accepted PUBLISHes.
            row.add(c.has("messages_published") ? count(c, "messages_published") : c.path("published").asText());
            if (rates)
            {
                row.add(rate(s.clientRate(c, "messages_published")));
            }
            rows.add(row.toArray(new String[0]));
        }
        return rows;
    }

    /**
     * @param c a client of the document.
     * @return how it is reached: shm or socket (brokers before issue 15 have sockets only).
     */
    static String transport(final JsonNode c)
    {
        return c.path("transport").asText("socket");
    }

    // Issue 19: a queue group's member shows its group and what its departure would discard now.
    private static String patternCell(final JsonNode p)
    {
        final String pattern = text(p.path("pattern").asText());
        return p.has("group") ? pattern + "  (group " + text(p.path("group").asText()) + ", " +
            p.path("group_queued").asLong() + " queued)" : pattern;
    }

    // Issue 19: queue group totals, when the broker has seen any.
    private static void groups(final StringBuilder out, final JsonNode totals)
    {
        final long deliveries = totals.path("group_deliveries").asLong();
        final long discarded = totals.path("group_discarded").asLong();
        if (deliveries == 0 && discarded == 0)
        {
            return;
        }
        final StringBuilder byGroup = new StringBuilder();
        totals.path("group_discarded_by_group").fields().forEachRemaining((e) -> byGroup.append(byGroup.length() == 0 ?
            " (" : ", ").append(text(e.getKey())).append(' ').append(e.getValue().asLong()));
        line(out, String.format(Locale.ROOT, "group deliveries %d  group discarded %d%s", deliveries, discarded,
            byGroup.length() == 0 ? "" : byGroup + ")"));
    }

    private static List<String[]> patternRows(final List<JsonNode> clients)
    {
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"CLIENT", "NAME", "SUB", "POLICY", "QUEUE", "PATTERN"});
        for (final JsonNode c : clients)
        {
            if (c.path("patterns_hidden").asBoolean())
            {
                rows.add(new String[]{c.path("id").asText(), name(c), "-", "-", "-", "(another user's: hidden)"});
                continue;
            }
            for (final JsonNode p : c.path("patterns"))
            {
                rows.add(new String[]{c.path("id").asText(), name(c), p.path("id").asText(),
                    p.path("policy").asText(), bytes(p.path("queue_bytes").asLong()), patternCell(p)});
            }
        }
        return rows;
    }

    /**
     * @param doc the document.
     * @param max rows at most.
     * @return the busiest topics as the broker ranked them, with a header row.
     */
    static List<String[]> topicRows(final JsonNode doc, final int max)
    {
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"TOPIC", "MSG/S", "MESSAGES"});
        for (final JsonNode t : doc.path("topics"))
        {
            if (rows.size() > max)
            {
                break;
            }
            rows.add(new String[]{text(t.path("topic").asText()),
                String.format(Locale.ROOT, "%.1f", t.path("rate_per_second").asDouble()), "~" + t.path("messages").asText()});
        }
        return rows;
    }

    private static void lan(final StringBuilder out, final JsonNode lan)
    {
        out.append('\n');
        line(out, String.format(Locale.ROOT, "LAN  out %d (%s)  in %d (%s)  lost %d  gaps %d  nodes lost %d  NAKs sent %d  " +
            "retransmits %d",
            lan.path("messages_out").asLong(), bytes(lan.path("bytes_out").asLong()),
            lan.path("messages_in").asLong(), bytes(lan.path("bytes_in").asLong()),
            lan.path("messages_lost").asLong(), lan.path("gaps").asLong(), lan.path("nodes_lost").asLong(),
            lan.path("naks_sent").asLong(), lan.path("retransmits_sent").asLong()));
        final long invalid = lan.path("invalid_datagrams").asLong();
        final long unauthenticated = lan.path("unauthenticated_datagrams").asLong();
        if (invalid != 0 || unauthenticated != 0)
        {
            line(out, String.format(Locale.ROOT, "LAN  datagrams dropped: invalid %d  unauthenticated %d", invalid, unauthenticated));
        }
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"NODE", "STATE", "LAST HEARD", "MESSAGES IN", "BYTES IN", "LOST"});
        for (final JsonNode p : lan.path("peers"))
        {
            rows.add(new String[]{text(p.path("node").asText()), p.path("state").asText(),
                p.path("last_heard_ms_ago").asLong() + " ms ago", p.path("messages_in").asText(),
                bytes(p.path("bytes_in").asLong()), p.path("messages_lost").asText()});
        }
        table(out, rows);
    }

    /** Rows under a header, each column as wide as its widest cell, two spaces apart. */
    static void table(final StringBuilder out, final List<String[]> rows)
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
                sb.append(i == 0 ? "" : "  ").append(String.format(Locale.ROOT, "%-" + widths[i] + "s", row[i]));
            }
            line(out, sb.toString().stripTrailing());
        }
    }

    static void line(final StringBuilder out, final String line)
    {
        out.append(line).append('\n');
    }

    /** @return a client's name as shown, {@code -} when it gave none. */
    static String name(final JsonNode c)
    {
        final String name = c.path("name").asText();
        return name.isEmpty() ? "-" : text(name);
    }

    /** @return a client's drops under both policies, {@code -} from a broker that does not count them. */
    static String dropped(final JsonNode c)
    {
        return c.has("dropped_oldest") ?
            Long.toString(c.path("dropped_oldest").asLong() + c.path("dropped_newest").asLong()) : "-";
    }

    /** @return the counter, {@code -} from a broker that does not have it. */
    static String count(final JsonNode c, final String field)
    {
        return c.has(field) ? c.path(field).asText() : "-";
    }

    /** @return text a client chose, safe to print on a terminal. */
    static String text(final String s)
    {
        return Printable.of(s);
    }

    /** @return a rate per second in a few characters, {@code -} when unknown. */
    static String rate(final double perSecond)
    {
        if (Double.isNaN(perSecond))
        {
            return "-";
        }
        return perSecond < 100 ? String.format(Locale.ROOT, "%.1f", perSecond) : String.format(Locale.ROOT, "%.0f", perSecond);
    }

    private static String perSecond(final double rate)
    {
        return Double.isNaN(rate) ? "" : ", " + rate(rate) + "/s";
    }

    static String bytes(final long n)
    {
        if (n < 1024)
        {
            return n + " B";
        }
        if (n < 1024 * 1024)
        {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024.0));
    }

    static String duration(final long seconds)
    {
        return seconds < 3600 ? (seconds / 60) + "m" + (seconds % 60) + "s" :
            (seconds / 3600) + "h" + (seconds % 3600 / 60) + "m";
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * One STAT document and when it came, and the rates between it and the one before: per second, from the
 * difference of the counters over the time between the two (the live views' rates; the broker itself only
 * estimates topic rates).
 */
final class StatSnapshot
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode doc;
    private final long atNs;
    private final StatSnapshot previous;
    private final Map<Long, JsonNode> previousClients = new HashMap<>();

    private StatSnapshot(final JsonNode doc, final long atNs, final StatSnapshot previous)
    {
        this.doc = doc;
        this.atNs = atNs;
        this.previous = previous;
        if (previous != null)
        {
            for (final JsonNode c : previous.doc.path("clients"))
            {
                previousClients.put(c.path("id").asLong(), c);
            }
        }
    }

    /**
     * @param document the broker's JSON.
     * @param atNs     {@link System#nanoTime()} when it came.
     * @param previous the snapshot before, or null for the first.
     * @return the snapshot, with rates against the previous one.
     * @throws IOException when the document is not JSON.
     */
    static StatSnapshot parse(final String document, final long atNs, final StatSnapshot previous) throws IOException
    {
        // Only the last one is kept for rates: a live view must not keep a chain of every document.
        final StatSnapshot last = previous == null ? null : new StatSnapshot(previous.doc, previous.atNs, null);
        return new StatSnapshot(JSON.readTree(document), atNs, last);
    }

    /** @return the document. */
    JsonNode doc()
    {
        return doc;
    }

    /** @return true once there is a document before this one, so rates are known. */
    boolean hasRates()
    {
        return previous != null && atNs > previous.atNs;
    }

    /**
     * @param field a counter of {@code totals}.
     * @return its rate per second since the previous document, NaN when unknown.
     */
    double totalRate(final String field)
    {
        if (!hasRates())
        {
            return Double.NaN;
        }
        return perSecond(doc.path("totals").path(field).asLong() - previous.doc.path("totals").path(field).asLong());
    }

    /**
     * @param client a client of this document.
     * @param fields counters of the client, summed (as {@code dropped_oldest} and {@code dropped_newest}).
     * @return their rate per second since the previous document, NaN when unknown. A client that was not in
     *         the previous document connected since, so its whole count is recent.
     */
    double clientRate(final JsonNode client, final String... fields)
    {
        if (!hasRates() || !client.has(fields[0]))
        {
            return Double.NaN;
        }
        final JsonNode before = previousClients.get(client.path("id").asLong());
        long delta = 0;
        for (final String f : fields)
        {
            delta += client.path(f).asLong() - (before == null ? 0 : before.path(f).asLong());
        }
        return perSecond(delta);
    }

    private double perSecond(final long delta)
    {
        // A counter never goes back within one broker; a restarted broker starts again from 0.
        return Math.max(0, delta) * 1e9 / (atNs - previous.atNs);
    }
}

package io.seqbus.ops;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live views' arithmetic and drawing, from documents written here: rates are the difference of two
 * documents over the time between them (a client new since the last one counts from 0, a restarted broker's
 * smaller counters give 0, not a negative rate), and text a client chose cannot act on the terminal.
 */
class StatTablesTest
{
    private static final long SECOND = 1_000_000_000L;

    private static String doc(final long published, final String clients)
    {
        return "{\"broker\":{\"node\":\"n\",\"socket\":\"/s\",\"uptime_seconds\":61},\"totals\":{\"clients\":1," +
            "\"messages_published\":" + published + ",\"messages_delivered\":" + 2 * published + "}," +
            "\"clients\":[" + clients + "]}";
    }

    private static String client(final int id, final String name, final long delivered, final long dropped)
    {
        return "{\"id\":" + id + ",\"name\":\"" + name + "\",\"pid\":7,\"uid\":1000,\"subscriptions\":1," +
            "\"queued_bytes\":0,\"messages_delivered\":" + delivered + ",\"dropped_oldest\":" + dropped +
            ",\"dropped_newest\":1,\"gaps_sent\":2,\"messages_published\":0,\"published\":0," +
            "\"patterns\":[{\"id\":3,\"pattern\":\"a.>\",\"policy\":\"drop-oldest\",\"queue_bytes\":65536}]}";
    }

    @Test
    void ratesAreTheDifferenceOverTheTimeBetweenTwoDocuments() throws Exception
    {
        final StatSnapshot first = StatSnapshot.parse(doc(100, client(1, "a", 10, 0)), 5 * SECOND, null);
        assertThat(first.hasRates()).isFalse();
        assertThat(first.totalRate("messages_published")).isNaN();

        final StatSnapshot second = StatSnapshot.parse(
            doc(400, client(1, "a", 40, 6) + "," + client(2, "b", 50, 0)), 7 * SECOND, first);
        assertThat(second.totalRate("messages_published")).isEqualTo(150.0);
        assertThat(second.totalRate("messages_delivered")).isEqualTo(300.0);
        assertThat(second.clientRate(second.doc().path("clients").get(0), "messages_delivered")).isEqualTo(15.0);
        assertThat(second.clientRate(second.doc().path("clients").get(0), "dropped_oldest", "dropped_newest"))
            .isEqualTo(3.0);
        assertThat(second.clientRate(second.doc().path("clients").get(1), "messages_delivered"))
            .as("connected since the first document").isEqualTo(25.0);

        final StatSnapshot restarted = StatSnapshot.parse(doc(3, client(1, "a", 1, 0)), 8 * SECOND, second);
        assertThat(restarted.totalRate("messages_published")).isZero();

        final String table = StatTables.render(second, true, false);
        assertThat(table).contains("published 400 (0 B, 150/s)")
            .containsPattern("(?m)^ID +NAME +PID +UID +TRANSPORT +SUBS +QUEUED +DELIVERED +DELIV/S +DROPPED +DROP/S +GAPS " +
                "+PUBLISHED +PUB/S$")
            .containsPattern("(?m)^1 +a +7 +1000 +socket +1 +0 B +40 +15\\.0 +7 +3\\.0 +2 +0 +0\\.0$")
            .containsPattern("(?m)^2 +b +7 +1000 +socket +1 +0 B +50 +25\\.0 +1 +0\\.5 +2 +0 +0\\.0$")
            .containsPattern("(?m)^1 +a +3 +drop-oldest +64\\.0 KiB +a\\.>$");
    }

    @Test
    void namesCannotMoveTheCursorOrClearTheScreen() throws Exception
    {
        final StatSnapshot s = StatSnapshot.parse(doc(1, client(1, "evil\\u001b[2J\\u0085", 0, 0)), SECOND, null);
        final String table = StatTables.render(s, false, false);
        assertThat(table).doesNotContain("\u001b").doesNotContain("\u0085").contains("evil\\x1b[2J\\x85");
    }

    @Test
    void anotherUsersPatternsShowAsHidden() throws Exception
    {
        final String hidden = "{\"id\":4,\"name\":\"other\",\"pid\":8,\"uid\":1001,\"subscriptions\":2," +
            "\"queued_bytes\":0,\"messages_delivered\":0,\"dropped_oldest\":0,\"dropped_newest\":0,\"gaps_sent\":0," +
            "\"messages_published\":0,\"patterns_hidden\":true}";
        final String table = StatTables.render(StatSnapshot.parse(doc(1, hidden), SECOND, null), true, false);
        assertThat(table).containsPattern("(?m)^4 +other +- +- +- +\\(another user's: hidden\\)$");
    }
}

package io.seqbus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Queue groups end to end (issue 19, SPEC.md "Queue groups"): a real broker and three {@code seqbus sub --group
 * workers --json} processes. 30,000 messages go to exactly one member each (no duplicate, no loss, by the
 * publisher's sequence numbers), about a third each. Then one member is stopped (SIGSTOP) while the publisher goes
 * on, so messages pile up for it at the broker, and is killed with {@code kill -9}: what the broker had queued for
 * it, as STAT said just before, is exactly what {@code group_discarded} counts; every message is accounted for by
 * the broker (the survivors' lines plus what was delivered to the dead member equal what was sent); and the two
 * left take everything published after.
 */
class QueueGroupIT extends CliTestBase
{
    private static final int FIRST = 30_000;
    private static final int WHILE_STOPPED = 15_000;
    private static final int AFTER = 3_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eachMessageGoesToExactlyOneMemberAndADeadMembersQueueIsCountedExactly() throws Exception
    {
        final String socket = dir.resolve("groups.sock").toString();
        // The smallest rings: a stopped member's messages pile up at the broker, where they are counted.
        broker(socket, "shm_ring_bytes = 524288\n");
        final List<Cli> members = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            members.add(subscribed(socket, "--group", "workers", "--json", "jobs.>"));
        }
        final Cli plain = subscribed(socket, "--json", "jobs.>");
        final BusClient publisher = client(socket, new ClientOptions());

        publish(publisher, FIRST, "m");
        await().atMost(WAIT).until(() -> lines(members).size() == FIRST);
        final Set<Long> first = distinct(lines(members));
        assertThat(first).as("no duplicate, no loss").hasSize(FIRST);
        assertThat(first).allSatisfy((s) -> assertThat(s).isBetween(1L, (long)FIRST));
        for (final Cli m : members)
        {
            assertThat(sequences(m).size()).as("each member within 20%% of a third")
                .isBetween(FIRST / 3 * 8 / 10, FIRST / 3 * 12 / 10);
            assertThat(m.stdout()).asString(StandardCharsets.UTF_8).contains("\"group\":\"workers\"");
        }
        await().atMost(WAIT).until(() -> sequences(plain).size() == FIRST);

        // One member stops reading; the publisher goes on with larger messages, which fill its ring and then
        // queue at the broker.
        final Cli dead = members.get(0);
        final List<Cli> survivors = members.subList(1, 3);
        dead.signal("STOP");
        publish(publisher, WHILE_STOPPED, "x".repeat(300));
        final long sent = FIRST + WHILE_STOPPED;
        await().atMost(WAIT).until(() -> lines(survivors).size() + deliveredTo(stat(socket), dead) == sent);
        final JsonNode before = stat(socket);
        final long queued = groupQueued(before, dead);
        final long deliveredToDead = deliveredTo(before, dead);
        assertThat(queued).as("messages waiting at the broker for the stopped member").isPositive();
        assertThat(groupQueued(stat(socket), dead)).as("nothing moves while it is stopped").isEqualTo(queued);

        dead.signal("KILL");
        await().atMost(WAIT).until(() -> stat(socket).path("totals").path("group_discarded").asLong() > 0);
        final JsonNode after = stat(socket);
        assertThat(after.path("totals").path("group_discarded").asLong())
            .as("the dead member's queue, discarded and counted").isEqualTo(queued);
        assertThat(after.path("totals").path("group_discarded_by_group").path("workers").asLong()).isEqualTo(queued);

        // The others go on: everything published now reaches one of the two.
        publish(publisher, AFTER, "after");
        final long total = sent + AFTER;
        await().atMost(WAIT).until(() -> lines(survivors).size() == total - deliveredToDead);
        final List<Long> survived = lines(survivors);
        final List<Long> deadPrinted = sequences(dead);
        final Set<Long> all = new HashSet<>(survived);
        assertThat(all).as("no duplicate among the survivors").hasSize(survived.size());
        for (final long s : deadPrinted)
        {
            assertThat(all.add(s)).as("sequence %d printed by two members", s).isTrue();
        }
        assertThat(deadPrinted.size()).as("the dead member printed at most what it was given less what waited")
            .isLessThanOrEqualTo((int)(deliveredToDead - queued));
        assertThat(survived).as("everything after the kill reached a survivor")
            .containsAll(range(sent + 1, total));
        assertThat(after.path("totals").path("group_deliveries").asLong()).isEqualTo(sent);
        await().atMost(WAIT).until(() -> sequences(plain).size() == total);
    }

    private static void publish(final BusClient publisher, final int count, final String payload)
    {
        for (int i = 0; i < count; i++)
        {
            publisher.publish("jobs.work", payload);
        }
        publisher.sync(WAIT);
    }

    private JsonNode stat(final String socket) throws Exception
    {
        final Cli stat = seqbus("stat", "--json", "--no-topics", "--socket", socket);
        assertThat(stat.exit()).as(stat.stderr()).isZero();
        return JSON.readTree(stat.stdout());
    }

    private static JsonNode client(final JsonNode stat, final Cli member)
    {
        for (final JsonNode c : stat.path("clients"))
        {
            if (c.path("pid").asLong() == member.process().pid())
            {
                return c;
            }
        }
        throw new AssertionError("no client with pid " + member.process().pid() + " in " + stat);
    }

    private static long deliveredTo(final JsonNode stat, final Cli member)
    {
        return client(stat, member).path("messages_delivered").asLong();
    }

    private static long groupQueued(final JsonNode stat, final Cli member)
    {
        return client(stat, member).path("patterns").get(0).path("group_queued").asLong();
    }

    private static List<Long> lines(final List<Cli> members) throws IOException
    {
        final List<Long> all = new ArrayList<>();
        for (final Cli m : members)
        {
            all.addAll(sequences(m));
        }
        return all;
    }

    private static Set<Long> distinct(final List<Long> sequences)
    {
        return new HashSet<>(sequences);
    }

    /** The sequence of each whole line the member printed (a line being written is left for the next look). */
    private static List<Long> sequences(final Cli member) throws IOException
    {
        final String out = Files.readString(member.out(), StandardCharsets.UTF_8);
        final List<Long> sequences = new ArrayList<>();
        int from = 0;
        for (int end = out.indexOf('\n'); end >= 0; from = end + 1, end = out.indexOf('\n', from))
        {
            sequences.add(JSON.readTree(out.substring(from, end)).path("sequence").asLong());
        }
        return sequences;
    }

    private static List<Long> range(final long from, final long to)
    {
        final List<Long> r = new ArrayList<>();
        for (long s = from; s <= to; s++)
        {
            r.add(s);
        }
        return r;
    }
}

package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kill -9 of shared-memory clients mid-stream (issue 15): {@code seqbus pub} processes publishing flat out and
 * {@code seqbus sub} processes of every topic, all on shared memory, are killed while the broker writes their rings
 * and reads theirs; a good shm pair in this JVM runs throughout and loses nothing. Two rounds: the first warms the
 * broker up (JIT, heap, the first rings' pages), the second is measured against it. After each round the broker
 * holds exactly the descriptors, memfds, eventfds and ring mappings it held before (no tolerance); at the end,
 * every client gone, the rings of before any client came, no more descriptors, and as much resident shared memory
 * (RssShmem, the rings' pages: none); and after the second round its RSS is within {@value #RSS_TOLERANCE_MIB} MiB
 * of what it was after the first (its heap's first touch of the young generation shows there; the rings, 2 MiB per
 * killed client, are counted by the mappings and RssShmem). About 15 s.
 */
class ShmCrashIT extends ProcessTestBase
{
    private static final int VICTIM_PUBLISHERS = 2;
    private static final int VICTIM_SUBSCRIBERS = 2;
    /** The broker's heap grows into its 160 MiB young generation as it allocates: RSS creeps up with any work. */
    private static final long RSS_TOLERANCE_MIB = 24;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void killedShmClientsLeaveNothingBehindAndCostOthersNothing() throws Exception
    {
        final HostileUsersIT.Child broker = HostileUsersIT.Child.start(this, dir, SharedMemoryIT.unitOptions(),
            SharedMemoryIT.SHM_ON + "stall_timeout_ms = 2000\n");
        final long pid = broker.process.pid();
        final Held idle = Held.of(pid);
        final HostileUsersIT.GoodPair pair = HostileUsersIT.GoodPair.connect(this, broker, true);
        final Held withPair = Held.of(pid);
        assertThat(withPair.mapped - idle.mapped).as("the good pair's rings mapped in the broker").isEqualTo(2);
        pair.publish(4_000);

        round(broker, withPair, 1);
        final long rssAfterFirst = ShmProcess.rss(pid);
        round(broker, withPair, 2);
        final long rssAfterSecond = ShmProcess.rss(pid);
        System.out.println("shm-crash: broker RSS after round 1 " + rssAfterFirst / 1024 + " KiB, after round 2 "
            + rssAfterSecond / 1024 + " KiB; idle " + idle.rss / 1024 + " KiB");

        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        pair.close();
        final Held[] last = {null};
        try
        {
            // Descriptors: at most as many as before (that count may hold a connection of the health check's).
            await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> (last[0] = Held.of(pid))
                .sameRings(idle) && last[0].fds <= idle.fds && last[0].rssShmem == idle.rssShmem);
        }
        catch (final org.awaitility.core.ConditionTimeoutException ex)
        {
            throw new AssertionError("the broker holds " + last[0] + " after every shm client went; before any: "
                + idle, ex);
        }
        assertThat(rssAfterSecond).as("broker RSS after the second round of kills, against the first's + "
            + RSS_TOLERANCE_MIB + " MiB").isLessThanOrEqualTo(rssAfterFirst + RSS_TOLERANCE_MIB * 1024 * 1024);
    }

    /** Starts the victims, waits until all are attached and traffic flows, kills them, waits for the broker. */
    private void round(final HostileUsersIT.Child broker, final Held before, final int round) throws Exception
    {
        final long pid = broker.process.pid();
        final List<Process> victims = new ArrayList<>();
        for (int i = 0; i < VICTIM_SUBSCRIBERS; i++)
        {
            victims.add(victim(round + "-sub-" + i, "sub", "--socket", broker.socket, "--no-reconnect", ">"));
        }
        for (int i = 0; i < VICTIM_PUBLISHERS; i++)
        {
            victims.add(victim(round + "-pub-" + i, "pub", "--socket", broker.socket, "--count", "1000000000",
                "victim.x", "a victim's message of some length, " + i));
        }
        await("round " + round + ": all victims on shared memory").atMost(WAIT).pollInterval(Duration.ofMillis(100))
            .until(() ->
            {
                victims.forEach((v) -> assertThat(v.isAlive()).as("victim alive").isTrue());
                return ShmProcess.mappedMemfds(pid) == before.mapped + victims.size();
            });
        // Mid-stream: the victim publishers' messages flow to the victim subscribers.
        final double delivered = delivered(broker);
        await("round " + round + ": victim traffic").atMost(WAIT).pollInterval(Duration.ofMillis(50))
            .until(() -> delivered(broker) > delivered + 100_000);
        final Held during = Held.of(pid);
        for (final Process v : victims)
        {
            v.destroyForcibly(); // SIGKILL
        }
        for (final Process v : victims)
        {
            assertThat(v.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        final AtomicInteger polls = new AtomicInteger();
        await("round " + round + ": the broker's handles back to " + before + " (during: " + during + ")")
            .atMost(WAIT).pollInterval(Duration.ofMillis(100))
            .until(() -> polls.incrementAndGet() > 0 && Held.of(pid).sameHandles(before));
        System.out.println("shm-crash: round " + round + ": during " + during + ", after " + Held.of(pid));
    }

    private static double delivered(final HostileUsersIT.Child broker) throws IOException
    {
        return HostileUsersIT.metric(broker.metrics(), "seqbus_messages_delivered_total", null);
    }

    private Process victim(final String name, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(dir.resolve("victim-" + name + ".err").toFile());
        pb.environment().put("SEQBUS_SHARED_MEMORY", "on");
        final Process p = pb.start();
        started.add(p);
        return p;
    }

    /** What the broker holds: descriptors in all, memfds and eventfds among them, memfds mapped; and RSS. */
    record Held(int fds, int memfds, int eventfds, int mapped, long rss, long rssShmem)
    {
        static Held of(final long pid) throws IOException
        {
            return new Held(ShmProcess.fds(pid), ShmProcess.memfds(pid), ShmProcess.eventfds(pid),
                ShmProcess.mappedMemfds(pid), ShmProcess.rss(pid), ShmProcess.rssShmem(pid));
        }

        boolean sameHandles(final Held other)
        {
            return fds == other.fds && sameRings(other);
        }

        /** The same rings: memfds and eventfds open, memfds mapped. */
        boolean sameRings(final Held other)
        {
            return memfds == other.memfds && eventfds == other.eventfds && mapped == other.mapped;
        }

        @Override
        public String toString()
        {
            return fds + " fds (" + memfds + " memfd, " + eventfds + " eventfd), " + mapped + " mapped, RSS "
                + rss / 1024 + " KiB of which shared memory " + rssShmem / 1024 + " KiB";
        }
    }
}

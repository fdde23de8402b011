package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.GapReason;
import io.seqbus.client.PublishResult;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Shared-memory delivery end to end (issue 15), real processes: a broker started as the service
 * unit starts it ({@link HostileUsersIT.Child}), Java clients on shared memory in this JVM, and
 * {@code seqbus sub}/{@code pub} processes told their transport by {@code SEQBUS_SHARED_MEMORY}.
 * What the socket path's end-to-end, slow-consumer, ACL and reconnect tests check, with rings:
 * shm and socket subscribers of one topic get the same messages in the same order; every
 * slow-consumer policy does what SPEC.md says when a ring and its queue fill; the ACL refuses over
 * shm as over the socket; a client whose broker restarts reconnects onto a new ring.
 * About 20 s in all (most of it JVM starts).
 */
class SharedMemoryIT extends ProcessTestBase
{
    static final Duration WAIT = Duration.ofSeconds(30);
    /** Settings that turn shared memory on, whatever the broker's default. */
    static final String SHM_ON = "shm = \"true\"\n";

    @TempDir
    Path dir;

    static List<String> unitOptions() throws IOException
    {
        return HostileUsersIT.optionSets().findFirst().map((a) -> unwrap(a.get()[0])).orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private static List<String> unwrap(final Object named)
    {
        return named instanceof org.junit.jupiter.api.Named<?> n ? (List<String>) n.getPayload() : (List<String>) named;
    }

    HostileUsersIT.Child broker(final String settings) throws Exception
    {
        return HostileUsersIT.Child.start(this, dir, unitOptions(), SHM_ON + settings);
    }

    /** What the shared broker's process needs stopped after the class (a broker start costs 2-3 s). */
    private static final class SharedBroker extends ProcessTestBase
    {
    }

    private static final SharedBroker SHARED = new SharedBroker();
    private static HostileUsersIT.Child shared;

    @TempDir
    static Path sharedDir;

    /** One broker with the defaults and shared memory on, for the tests that need no settings of their own. */
    static HostileUsersIT.Child sharedBroker() throws Exception
    {
        if (shared == null || !shared.process.isAlive())
        {
            shared = HostileUsersIT.Child.start(SHARED, sharedDir, unitOptions(), SHM_ON + "stall_timeout_ms = 60000\n");
        }
        return shared;
    }

    @AfterAll
    static void stopSharedBroker() throws Exception
    {
        SHARED.stopWhatTheTestStarted();
    }

    /** A Java client of this JVM on shared memory, closed after the test. */
    BusClient shm(final HostileUsersIT.Child broker, final ClientOptions options)
    {
        final BusClient client = BusClient.connect(options.socket(broker.socket).sharedMemory(true)
            .connectTimeout(Duration.ofSeconds(5)).publishTimeout(WAIT));
        closeables.add(client);
        return client;
    }

    /** {@code seqbus ARGS...} with SEQBUS_SHARED_MEMORY=on or off, its stdout in a file. */
    Process seqbus(final boolean sharedMemory, final Path stdin, final Path stdout, final String... args)
        throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(stdout.toFile())
            .redirectError(dir.resolve(stdout.getFileName() + ".err").toFile())
            .redirectInput(stdin == null ? Path.of("/dev/null").toFile() : stdin.toFile());
        pb.environment().put("SEQBUS_SHARED_MEMORY", sharedMemory ? "on" : "off");
        final Process p = pb.start();
        started.add(p);
        return p;
    }

    /**
     * Two publishers (a Java one on shm, {@code seqbus pub} on the socket) interleave 2 x 5,000 messages on one
     * topic; four subscribers (Java on shm, {@code seqbus sub} on shm and on the socket, the Python example on the
     * socket) each get all 10,000, each publisher's in sequence, and all four the same interleaving.
     */
    @Test
    void shmAndSocketSubscribersOfOneTopicGetTheSameMessagesInTheSameOrder() throws Exception
    {
        final int n = 5_000;
        final HostileUsersIT.Child broker = sharedBroker();
        final List<String> javaSub = new CopyOnWriteArrayList<>();
        final BusClient sub = shm(broker, new ClientOptions().clientName("shm-sub").threadMode(ThreadMode.DEDICATED));
        sub.subscribe("mix.>", (m) -> javaSub.add(Long.toUnsignedString(m.publisherId()) + " " + m.sequence() + " " + m.payloadAsString()));
        sub.sync(WAIT);
        final double before = HostileUsersIT.metric(broker.metrics(), "seqbus_subscriptions", null);
        final String format = "%i %s %p\\n";
        final Path shmOut = dir.resolve("sub-shm.out");
        final Path sockOut = dir.resolve("sub-socket.out");
        final Process shmSub = seqbus(true, null, shmOut, "sub", "--socket", broker.socket, "--format", format,
            "--count", Integer.toString(2 * n), "mix.>");
        final Process sockSub = seqbus(false, null, sockOut, "sub", "--socket", broker.socket, "--format", format,
            "--count", Integer.toString(2 * n), "mix.>");
        final Path pyOut = dir.resolve("sub-python.out");
        final Process pySub = new ProcessBuilder("/usr/bin/python3",
            ROOT.resolve("ops/src/test/resources/shm_mix_sub.py").toString(),
            ROOT.resolve("examples/python").toString(), broker.socket, "mix.>", Integer.toString(2 * n))
            .redirectOutput(pyOut.toFile()).redirectError(dir.resolve("sub-python.err").toFile()).start();
        started.add(pySub);
        // Four subscriptions: the Java one and the three processes'.
        await("all four subscribed").atMost(WAIT).pollInterval(Duration.ofMillis(100))
            .until(() -> HostileUsersIT.metric(broker.metrics(), "seqbus_subscriptions", null) >= before + 3);

        final Path lines = dir.resolve("pub.in");
        Files.write(lines, IntStream.rangeClosed(1, n).mapToObj((i) -> "s" + i).toList());
        final BusClient pub = shm(broker, new ClientOptions().clientName("shm-pub").threadMode(ThreadMode.DEDICATED));
        final Process sockPub = seqbus(false, lines, dir.resolve("pub.out"), "pub", "--socket", broker.socket,
            "mix.socket");
        for (int i = 1; i <= n; i++)
        {
            pub.publish("mix.shm", "m" + i);
        }
        pub.sync(WAIT);
        assertThat(sockPub.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("seqbus pub ended").isTrue();
        assertThat(sockPub.exitValue()).as("seqbus pub's exit status").isZero();
        for (final Process p : List.of(shmSub, sockSub, pySub))
        {
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("subscriber got --count and ended")
                .isTrue();
        }
        await().atMost(WAIT).until(() -> javaSub.size() >= 2 * n);

        assertSequencedPerPublisher(javaSub, n);
        for (final Path out : List.of(shmOut, sockOut, pyOut))
        {
            assertThat(Files.readAllLines(out, StandardCharsets.UTF_8)).as(out.getFileName() + " against the Java shm"
                + " subscriber's order").containsExactlyElementsOf(javaSub);
        }
    }

    private static void assertSequencedPerPublisher(final List<String> got, final int n)
    {
        final Map<String, List<String>> byPublisher = new java.util.TreeMap<>();
        for (final String line : got)
        {
            final String[] f = line.split(" ");
            byPublisher.computeIfAbsent(f[0], (k) -> new ArrayList<>()).add(f[1] + " " + f[2]);
        }
        assertThat(byPublisher).as("two publishers").hasSize(2);
        for (final List<String> each : byPublisher.values())
        {
            assertThat(each).hasSize(n);
            for (int i = 0; i < n; i++)
            {
                assertThat(each.get(i)).as("message %d of a publisher: sequence and payload number", i + 1)
                    .matches((i + 1) + " [ms]" + (i + 1));
            }
        }
    }

    /**
     * A shm subscriber that stops reading (a POLL client not polled) while a shm publisher sends 4 MB: its ring
     * and then its 64 KiB queue fill, and its policy acts as on the socket path; a fast shm subscriber beside it
     * gets everything.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SlowConsumerPolicy.class, names = {"BLOCK", "DROP_OLDEST", "DROP_NEWEST", "DISCONNECT"})
    void aSlowShmSubscriberIsHandledByItsPolicy(final SlowConsumerPolicy policy) throws Exception
    {
        final HostileUsersIT.Child broker = sharedBroker();
        final List<Long> fast = new CopyOnWriteArrayList<>();
        final BusClient fastSub = shm(broker, new ClientOptions().clientName("fast").threadMode(ThreadMode.DEDICATED));
        fastSub.subscribe("slow.>", (m) -> fast.add(m.sequence()));
        fastSub.sync(WAIT);
        final List<Long> slowGot = new ArrayList<>();
        // The client reuses one Gap view: keep its count and reason.
        final List<long[]> gaps = new ArrayList<>();
        final List<BusError> errors = new CopyOnWriteArrayList<>();
        final BusClient slow = shm(broker, new ClientOptions().clientName("slow").threadMode(ThreadMode.POLL)
            .reconnect(false).errorHandler(errors::add));
        slow.subscribe("slow.>", (m) -> slowGot.add(m.sequence()), new SubscriptionOptions().policy(policy)
            .maxQueueBytes(64 * 1024).gapHandler((g) -> gaps.add(new long[] {g.count(), g.reason()})));
        slow.sync(WAIT);
        final BusClient pub = shm(broker, new ClientOptions().clientName("pub").threadMode(ThreadMode.POLL));
        final byte[] payload = new byte[1000];
        int published = 0;
        if (policy == SlowConsumerPolicy.BLOCK)
        {
            // Until the broker holds the publisher back: nothing moves and the broker counts a stall.
            final double stalls = HostileUsersIT.metric(broker.metrics(), "seqbus_publisher_stalls_total", null);
            while (published < 100_000 && HostileUsersIT.metric(broker.metrics(), "seqbus_publisher_stalls_total",
                null) == stalls)
            {
                for (int i = 0; i < 200; i++)
                {
                    if (pub.tryPublish("slow.x", payload) == PublishResult.OK)
                    {
                        published++;
                    }
                    pub.poll();
                }
            }
            assertThat(published).as("the publisher was held back before 100,000 messages").isLessThan(100_000);
        }
        else
        {
            for (; published < 4_000; published++)
            {
                pub.publish("slow.x", payload);
            }
            pub.sync(WAIT);
        }
        final int total = published;
        if (policy == SlowConsumerPolicy.DISCONNECT)
        {
            await("the slow subscriber evicted").atMost(WAIT).until(() ->
            {
                slow.poll();
                return slow.isClosed();
            });
            assertThat(errors).as("the fatal ERROR the slow shm subscriber read from its ring")
                .anyMatch((e) -> e.name().equals("SLOW_CONSUMER") && e.isFatal());
        }
        else
        {
            final Thread drain = new Thread(() -> pub.sync(WAIT));
            drain.start();
            await("the slow subscriber reads everything or is told what it lost").atMost(WAIT).until(() ->
            {
                slow.poll();
                return slowGot.size() + gaps.stream().mapToLong((g) -> g[0]).sum() >= total;
            });
            drain.join(WAIT.toMillis());
            assertThat(slowGot).as("in order").isSorted();
            assertThat(slowGot.size() + gaps.stream().mapToLong((g) -> g[0]).sum()).as("received (" + slowGot.size() + ") + GAP counts")
                .isEqualTo(total);
            if (policy == SlowConsumerPolicy.BLOCK)
            {
                assertThat(gaps).isEmpty();
                assertThat(slowGot).hasSize(total);
            }
            else
            {
                assertThat(gaps).as("GAPs").isNotEmpty().allMatch((g) -> g[1] == (policy ==
                    SlowConsumerPolicy.DROP_OLDEST ? GapReason.DROPPED_OLDEST : GapReason.DROPPED_NEWEST));
            }
        }
        await("the fast subscriber gets all " + total).atMost(WAIT).until(() -> fast.size() >= total);
        assertThat(fast).as("fast subscriber").hasSize(total).isSorted();
        assertThat(fast.get(total - 1) - fast.get(0)).isEqualTo(total - 1);
    }

    /** The ACL over shm: a publish and a subscription outside root's rules are refused, those inside delivered. */
    @Test
    void theAclRefusesOverSharedMemoryAsOverTheSocket() throws Exception
    {
        final HostileUsersIT.Child broker = broker("""
            [acl]
            default = "deny"

            [[acl.rule]]
            uid = "root"
            publish = ["ok.>"]
            subscribe = ["ok.>"]
            """);
        final List<BusError> errors = new CopyOnWriteArrayList<>();
        final List<String> got = new CopyOnWriteArrayList<>();
        final BusClient client = shm(broker, new ClientOptions().threadMode(ThreadMode.DEDICATED)
            .errorHandler(errors::add));
        client.subscribe("ok.>", (m) -> got.add(m.topic() + " " + m.payloadAsString()));
        client.subscribe("no.>", (m) -> got.add("denied " + m.topic()));
        client.sync(WAIT);
        client.publish("no.x", "refused");
        client.publish("ok.x", "delivered");
        client.sync(WAIT);
        await().atMost(WAIT).until(() -> got.contains("ok.x delivered") && errors.size() >= 2);
        assertThat(errors).as("ERRORs read from the ring").extracting(BusError::name)
            .containsOnly("ACCESS_DENIED").hasSize(2);
        assertThat(got).containsExactly("ok.x delivered");
        assertThat(ShmProcess.mappedMemfds(broker.process.pid())).as("the client's ring in the broker").isEqualTo(1);
    }

    /**
     * The broker is killed and started again on the same socket: a shm subscriber and a shm publisher with
     * sessions reconnect onto new rings and go on; what was published after the restart arrives.
     */
    @Test
    void shmClientsReconnectOntoNewRingsAfterTheBrokerRestarts() throws Exception
    {
        HostileUsersIT.Child broker = broker("");
        final List<String> got = new CopyOnWriteArrayList<>();
        final BusClient sub = shm(broker, new ClientOptions().threadMode(ThreadMode.DEDICATED).reconnect(true)
            .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200)));
        sub.subscribe("re.>", (m) -> got.add(m.payloadAsString()));
        sub.sync(WAIT);
        final BusClient pub = shm(broker, new ClientOptions().threadMode(ThreadMode.DEDICATED).reconnect(true)
            .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200)));
        pub.publish("re.x", "before");
        pub.sync(WAIT);
        await().atMost(WAIT).until(() -> got.contains("before"));

        broker.process.destroyForcibly().waitFor();
        broker = HostileUsersIT.Child.start(this, dir, unitOptions(), SHM_ON);
        final long pid = broker.process.pid();
        await("both clients back on shared memory").atMost(WAIT).pollInterval(Duration.ofMillis(100))
            .until(() -> ShmProcess.mappedMemfds(pid) == 2);
        sub.sync(WAIT);
        // Resubscribed: what is published now arrives.
        await("a message after the restart").atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() ->
        {
            pub.publish("re.x", "after");
            pub.sync(WAIT);
            return got.contains("after");
        });
        assertThat(got.get(0)).isEqualTo("before");
    }
}

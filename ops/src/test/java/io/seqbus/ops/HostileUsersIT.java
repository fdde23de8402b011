package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Hostile local users, as an attacker runs them: a Python script ({@code hostile.py}, frames from
 * examples/python) under an unprivileged uid ({@code setpriv}) against a broker started as a child
 * process with the JVM options it ships with, both those of {@code systemd/seqbus.service} and the
 * root launcher's defaults, parsed from those files at test time. In every attack a well-behaved
 * publisher and subscriber (the Java client, as root, on {@code good.orders}) keep going and must
 * lose nothing; afterwards the broker is alive, answers {@code /health}, and its descriptors, heap
 * (after a forced collection) and RSS are back near where they were before, below the unit's
 * MemoryMax.
 *
 * <p>Needs root, {@code setpriv}, {@code /usr/bin/python3} and {@code jcmd}, and fails, never
 * skips, without them.
 */
class HostileUsersIT extends ProcessTestBase
{
    private static final Path UNIT = ROOT.resolve("systemd").resolve("seqbus.service");
    private static final Path PYTHON_LIB = ROOT.resolve("examples").resolve("python");
    private static final Path SCRIPT = ROOT.resolve("ops/src/test/resources/hostile.py");
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    private static final String GOOD_TOPIC = "good.orders";
    private static final int GOOD_MESSAGES = 2_000;
    private static final long MIB = 1024 * 1024;
    /** Descriptors a broker may hold beyond its baseline after an attack (lazily opened jars, epoll). */
    private static final int FD_MARGIN = 16;
    /** Heap in use after a full collection a broker may hold beyond its baseline after an attack. */
    private static final long HEAP_MARGIN = 48 * MIB;
    /** Direct buffers a broker may use beyond its baseline while under attack, besides one queue. */
    private static final long DIRECT_MARGIN = 32 * MIB;
    /** The per-connection queue bound of the broker's defaults (max_queue_bytes). */
    private static final long QUEUE_BOUND = 4 * MIB;
    /** The largest datagram (max_datagram), which a queue may pass its bound by. */
    private static final long DATAGRAM = 128 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static final long STARTED = System.nanoTime();

    /** A line of the IT's output, with the seconds since the class started: where an attack spends its time. */
    static void say(final String line)
    {
        System.out.printf("hostile: %8.3f s %s%n", (System.nanoTime() - STARTED) / 1e9, line);
    }

    @BeforeAll
    static void needsRootAndTools() throws IOException
    {
        final String status = Files.readString(Path.of("/proc/self/status"));
        assertThat(status).as("HostileUsersIT runs clients under other uids: run it as root")
            .containsPattern("(?m)^Uid:\\s+0\\s");
        for (final Path tool : List.of(Path.of("/usr/bin/setpriv"), PYTHON, JCMD))
        {
            assertThat(Files.isExecutable(tool)).as("HostileUsersIT needs " + tool + " (util-linux, python3, a JDK)")
                .isTrue();
        }
    }

    /**
     * The broker's JVM options as the service unit ships them: every attack runs with these. The attacks on memory
     * (subscription and fan-out floods) also run with the root launcher's defaults ({@link #optionSets()}).
     */
    static Stream<Arguments> unitOptions() throws IOException
    {
        return optionSets().limit(1);
    }

    /** The broker's JVM options as the service unit ships them, and as the root launcher defaults them. */
    static Stream<Arguments> optionSets() throws IOException
    {
        final Matcher unit = Pattern.compile("(?m)^Environment=\"?SEQBUS_BROKER_JAVA_OPTS=([^\"\\n]*)\"?$")
            .matcher(Files.readString(UNIT));
        assertThat(unit.find()).as("an Environment=SEQBUS_BROKER_JAVA_OPTS= line in " + UNIT).isTrue();
        final Matcher launcher = Pattern.compile("broker\\).*\\$\\{SEQBUS_BROKER_JAVA_OPTS:-([^}]*)}")
            .matcher(Files.readString(LAUNCHER));
        assertThat(launcher.find()).as("the broker) case's default SEQBUS_BROKER_JAVA_OPTS in " + LAUNCHER).isTrue();
        return Stream.of(
            Arguments.of(Named.of("unit options", words(unit.group(1)))),
            Arguments.of(Named.of("launcher defaults", words(launcher.group(1)))));
    }

    // ---------------------------------------------------------------------------------------------
    // The attacks.

    /** 1: 4 connections x 4,096 subscriptions of distinct 255-byte patterns, sent without reading. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optionSets")
    void subscriptionFloodIsRefusedPastABudget(final List<String> javaOpts) throws Exception
    {
        subscriptionFlood(javaOpts, 61021, "");
    }

    /** 1, variant: the attacker's rules allow it only a.>, and it floods patterns under a. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void subscriptionFloodWithinTheAttackersAclIsRefusedPastABudget(final List<String> javaOpts) throws Exception
    {
        subscriptionFlood(javaOpts, 61022, """
            [acl]
            default = "deny"

            [[acl.rule]]
            uid = "root"
            publish = [">"]
            subscribe = [">"]

            [[acl.rule]]
            uid = 61022
            subscribe = ["a.>"]
            """);
    }

    private void subscriptionFlood(final List<String> javaOpts, final int uid, final String acl) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n" + acl);
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Attacker attacker = Attacker.start(this, broker, uid, "subflood", "4", "4096", "a");
        pair.publish(GOOD_MESSAGES);
        final String flooded = attacker.expect("flooded", WAIT);
        final String summary = attacker.expect("summary", Duration.ofSeconds(40));
        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        say("broker " + broker.process.pid() + " holding the attacker's subscriptions: heap "
            + broker.heapAfterGc() / 1024 + " KiB after a full GC, RSS " + broker.rss() / 1024 + " KiB");
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertThat(summary).as("the attacker's subscriptions past its budget are refused with TOO_MANY_SUBSCRIPTIONS ("
                + flooded + "; per connection: " + attacker.lines() + ")")
            .containsPattern("refused10=[1-9]");
    }

    /** 2a: 25 datagrams of 8,192 STAT_REQUESTs from a client that never reads, beside 300 idle clients. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void statRequestFloodEvictsTheAttacker(final List<String> javaOpts) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Attacker attacker = Attacker.start(this, broker, 61023, "statflood", "300", "25");
        attacker.expect("idle-ready", WAIT);
        final Baseline idle = broker.baseline();
        final Peaks peaks = Peaks.start(this, broker);
        attacker.tell("flood");
        pair.publish(GOOD_MESSAGES);
        final String flooded = attacker.expect("flooded", WAIT);
        pair.assertAllDelivered(WAIT);
        attacker.tell("check");
        final String verdict = attacker.expect("verdict", WAIT);
        peaks.close();
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertEvicted(verdict, flooded);
        assertReplyQueueBounded(peaks, idle, flooded);
    }

    /** 2b: PINGs as fast as the socket takes them, never reading a PONG. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void pingFloodEvictsTheAttacker(final List<String> javaOpts) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Peaks peaks = Peaks.start(this, broker);
        final Attacker attacker = Attacker.start(this, broker, 61024, "pingflood", "4");
        pair.publish(GOOD_MESSAGES);
        final String flooded = attacker.expect("flooded", WAIT);
        pair.assertAllDelivered(WAIT);
        attacker.tell("check");
        final String verdict = attacker.expect("verdict", WAIT);
        peaks.close();
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertEvicted(verdict, flooded);
        assertReplyQueueBounded(peaks, before, flooded);
    }

    /** 3a: 40 subscribers that never read, and 58 messages of 60 KB for each of them. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optionSets")
    void fanOutOfLargeMessagesToSubscribersThatNeverReadCostsOthersNothing(final List<String> javaOpts)
        throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Attacker attacker = Attacker.start(this, broker, 61025, "fanout", "40", "58", "60000");
        attacker.expect("subscribed", WAIT);
        pair.publish(GOOD_MESSAGES);
        final String published = attacker.expect("published", WAIT);
        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertThat(published).as("the attacker's publisher was served, or refused, but not by a dead broker")
            .doesNotContain("end=eof", "end=reset");
    }

    /**
     * 3c: 40 subscribers that pass descriptors and never read (drop-newest, so no stall evicts them), and one
     * sealed memfd published 30,000 times: every publish hands the broker a descriptor to hold, every delivery one
     * more unread in a socket, charged to the broker's user. The descriptor bounds hold; the good pair loses
     * nothing, and every descriptor is closed once the attacker goes.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void aFloodOfMemfdsToSubscribersThatNeverReadCostsOthersNothing(final List<String> javaOpts) throws Exception
    {
        descriptorFlood(javaOpts, "", 61030, "40", "30000", "3");
    }

    /**
     * 3d: as 3c, but the attacker's rule grants it pass_fds, so each message passes 8 descriptors, and its
     * subscribers drop the oldest, so their queues keep every message they can: 4,096 held messages would be
     * 32,768 open descriptors, more than RLIMIT_NOFILE allows here. The broker holds publishers back before its
     * table could fill (so no receive is ever cut and no accept fails): it peaks with thousands open, short of
     * the limit (19,997 of 20,000 without that bound).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void aFloodOfPassedDescriptorsNeverFillsTheBrokersTable(final List<String> javaOpts) throws Exception
    {
        final int peak = descriptorFlood(javaOpts, """
            [[acl.rule]]
            uid = 61031
            publish = ["fd.>"]
            subscribe = ["fd.>"]
            pass_fds = ["fd.>"]
            """, 61031, "4", "20000", "2", "8");
        assertThat(peak).as("the broker's open descriptors at their peak: the attack held thousands")
            .isGreaterThan(8_000);
    }

    /**
     * hostile.py's memfdflood against a broker with a 2 s stall timeout and {@code rules}, the good pair beside it;
     * checks that the broker's table stayed short of RLIMIT_NOFILE, the attacker was never cut off, and the
     * broker recovered.
     *
     * @return the broker's open descriptors at their peak during the attack.
     */
    private int descriptorFlood(final List<String> javaOpts, final String rules, final int uid,
        final String... args) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n\n" + rules);
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final List<String> command = new ArrayList<>(List.of("memfdflood"));
        command.addAll(List.of(args));
        final Attacker attacker = Attacker.start(this, broker, uid, command.toArray(new String[0]));
        attacker.expect("subscribed", WAIT);
        final AtomicInteger peakFds = new AtomicInteger();
        final Thread sampler = new Thread(() ->
        {
            while (broker.process.isAlive() && !Thread.currentThread().isInterrupted())
            {
                try
                {
                    peakFds.accumulateAndGet(broker.fds(), Math::max);
                }
                catch (final IOException | UncheckedIOException ex)
                {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }, "hostile-fds");
        sampler.setDaemon(true);
        sampler.start();
        pair.publish(GOOD_MESSAGES);
        final String published = attacker.expect("published", WAIT);
        pair.assertAllDelivered(WAIT);
        sampler.interrupt();
        sampler.join();
        broker.assertAlive();
        final long limit = broker.openFilesLimit();
        assertThat(peakFds.get()).as("the broker's open descriptors at their peak, against RLIMIT_NOFILE " + limit)
            .isLessThan((int)limit - 1_000);
        assertThat(published).as("the attacker was held back or served, never cut off by a full table or a dead broker")
            .doesNotContain("end=closed", "then=eof", "then=reset", "then=fatal");
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        return peakFds.get();
    }

    /** 3b: a subscription asking for a 2 GB queue is refused with INVALID_OPTION; the connection goes on. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void aQueueBoundAboveTheBrokersLimitIsAnInvalidOption(final List<String> javaOpts) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Attacker attacker = Attacker.start(this, broker, 61026, "badoption");
        pair.publish(GOOD_MESSAGES);
        final String huge = attacker.expect("huge", WAIT);
        final String after = attacker.expect("after", WAIT);
        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertThat(huge).as("SUBSCRIBE with max_queue_bytes 2000000000, then PING: INVALID_OPTION, not fatal")
            .isEqualTo("huge pong=1 end=- errors=13:1");
        assertThat(after).as("the same connection then subscribes, publishes and receives")
            .isEqualTo("after delivered=1 end=- errors=-");
    }

    /**
     * 3c: a second uid opens 16 connections of 1,024 requests each (the per-connection bound) to a topic whose replier
     * reads and never answers: with max_pending_requests_total at 16,384 it would hold the whole table; at the
     * default max_pending_requests_per_uid it holds half, and a good requester and replier (root) beside it get every
     * one of 1,000 requests answered with its own reply.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void oneUidsRequestFloodLeavesTheRequestTableToOthers(final List<String> javaOpts) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "max_pending_requests_total = 16384\n");
        final Attacker attacker = Attacker.start(this, broker, 65534, "reqflood", "16", "1024", "stall.svc");
        attacker.expect("flooded", WAIT);
        final String summary = attacker.expect("summary", WAIT);
        try (BusClient replier = BusClient.connect(new ClientOptions().socket(broker.socket).clientName("good-replier")
                .threadMode(ThreadMode.DEDICATED).reconnect(false));
            BusClient requester = BusClient.connect(new ClientOptions().socket(broker.socket)
                .clientName("good-requester").threadMode(ThreadMode.DEDICATED).reconnect(false)))
        {
            replier.subscribe("good.svc", (m) -> m.reply(m.payloadAsBytes()));
            replier.sync(WAIT);
            final List<java.util.concurrent.CompletableFuture<io.seqbus.client.Message>> replies = new ArrayList<>();
            for (int i = 0; i < 1_000; i++)
            {
                replies.add(requester.request("good.svc", ("r" + i).getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(30)));
            }
            for (int i = 0; i < replies.size(); i++)
            {
                assertThat(replies.get(i).get(60, TimeUnit.SECONDS).payloadAsString()).as("reply " + i)
                    .isEqualTo("r" + i);
            }
        }
        final String metrics = broker.metrics();
        broker.assertAlive();
        attacker.exit();
        assertThat(summary).as("the attacker's 16,384 requests: half pending, half refused at its uid's bound")
            .isEqualTo("summary TOO_MANY_REQUESTS=8192 pongs=16");
        assertThat(metric(metrics, "seqbus_limit_hits_total{", "limit=\"max_pending_requests_per_uid\""))
            .isEqualTo(8192);
    }

    /**
     * 7: a subscriber of every topic under the block policy, full and never reading: a pair that
     * connects after it sets up and gets its messages in well under the stall timeout.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void aBlockingSubscriberThatNeverReadsDoesNotFreezeTheBus(final List<String> javaOpts) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 30000\n");
        final Baseline before = broker.baseline();
        final Attacker attacker = Attacker.start(this, broker, 61027, "block", "100", "60000");
        attacker.expect("subscribed", WAIT);
        final String filled = attacker.expect("filled", WAIT);
        final long start = System.nanoTime();
        final GoodPair pair;
        try
        {
            pair = GoodPair.connect(this, broker);
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError("the good pair could not set up after the blocking subscriber (" + filled
                + ") within 5 s while the stall timeout is 30 s", ex);
        }
        final Duration setup = Duration.ofNanos(System.nanoTime() - start);
        assertThat(setup).as("the good pair's setup (connect, subscribe, sync) after " + filled)
            .isLessThan(Duration.ofSeconds(5));
        pair.publish(GOOD_MESSAGES);
        pair.assertAllDelivered(Duration.ofSeconds(15));
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
    }

    /** 8: 300 connections that never say HELLO are closed after handshake_timeout_ms. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void connectionsThatNeverSayHelloAreClosedAfterTheHandshakeTimeout(final List<String> javaOpts)
        throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\nhandshake_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Attacker attacker = Attacker.start(this, broker, 61028, "nohello", "300", "15");
        attacker.expect("connected", WAIT);
        pair.publish(GOOD_MESSAGES);
        final String closed = attacker.expect("closed", WAIT);
        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertThat(closed).as("the broker closes every connection that said no HELLO in time")
            .startsWith("closed 300 of 300 ");
    }

    /** 6: a TCP client that sends half a request line to the metrics port and waits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unitOptions")
    void aStuckHttpClientDoesNotStopHealthChecks(final List<String> javaOpts) throws Exception
    {
        final Child broker = Child.start(this, javaOpts, "stall_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker);
        final Attacker attacker = Attacker.start(this, broker, 61029, "httpstall", "127.0.0.1",
            Integer.toString(broker.port));
        attacker.expect("stalled", WAIT);
        pair.publish(GOOD_MESSAGES);
        final int health = broker.health();
        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        assertThat(health).as("/health (5 s timeout) while an HTTP client is stuck mid-request").isEqualTo(200);
    }

    /**
     * 9: shared-memory clients that corrupt their rings (hostile_shm.py: tails, lengths, types, padding, frame
     * bytes, to_client's head), one connection per round, while a good pair runs on shared memory: each is closed
     * with ERROR PROTOCOL_VIOLATION (a framing code for random frame bytes), the good pair loses nothing, and the
     * rings' memfds and eventfds are closed. The unit's options only: the ring checks do not depend on the JVM's.
     * About 10 s (the attack itself, 90 rounds, under 1 s).
     */
    @Test
    void clientsThatCorruptTheirRingsAreClosedAndCostOthersNothing() throws Exception
    {
        final Child broker = Child.start(this, unwrap(optionSets().findFirst().orElseThrow().get()[0]),
            "stall_timeout_ms = 2000\n");
        final Baseline before = broker.baseline();
        final GoodPair pair = GoodPair.connect(this, broker, true);
        assertThat(ShmProcess.mappedMemfds(broker.process.pid())).as("the good pair's rings in the broker").isEqualTo(2);
        final long seed = System.nanoTime();
        final int rounds = 90;
        final Attacker attacker = Attacker.start(this, broker, 61032, "shmcorrupt", Integer.toString(rounds),
            Long.toString(seed));
        pair.publish(1_000); // 1 s or more, beside an attack of under one
        final String summary = attacker.expect("summary", WAIT);
        pair.assertAllDelivered(WAIT);
        broker.assertAlive();
        final List<String> wrong = attacker.lines().stream().filter((l) -> l.startsWith("round") && l.contains("WRONG"))
            .toList();
        assertThat(wrong).as("rounds the broker did not close with the right ERROR (seed " + seed + "; all: "
            + attacker.lines() + ")").isEmpty();
        assertThat(summary).as("every round closed as it should").startsWith("summary rounds=" + rounds + " ok=" + rounds);
        attacker.exit();
        pair.close();
        broker.assertRecovered(before);
        await("no ring left mapped in the broker").atMost(WAIT).pollInterval(Duration.ofMillis(100))
            .until(() -> ShmProcess.mappedMemfds(broker.process.pid()), (n) -> n == 0);
    }

    @SuppressWarnings("unchecked")
    private static List<String> unwrap(final Object named)
    {
        return named instanceof Named<?> n ? (List<String>) n.getPayload() : (List<String>) named;
    }

    private static void assertReplyQueueBounded(final Peaks peaks, final Baseline before, final String flooded)
        throws IOException
    {
        assertThat(peaks.queueMax).as("bytes queued for the fullest client at its peak while the attacker did not read"
                + " its replies (" + flooded + "; " + peaks + "): at most the queue bound, 4 MiB, and a datagram")
            .isLessThanOrEqualTo(QUEUE_BOUND + DATAGRAM);
        assertThat(peaks.direct).as("direct buffers at their peak during the attack (" + peaks + "), baseline "
                + before + ": at most the queue bound more, and a margin")
            .isLessThanOrEqualTo(before.direct + QUEUE_BOUND + DIRECT_MARGIN);
        assertThat(peaks.rss).as("RSS at its peak during the attack, against the unit's MemoryMax")
            .isLessThan(memoryMax());
    }

    private static void assertEvicted(final String verdict, final String flooded)
    {
        assertThat(verdict).as("a client that never reads its replies is evicted with SLOW_CONSUMER or closed ("
                + flooded + ")")
            .matches("verdict end=(fatal:15|eof|reset) .*");
    }

    // ---------------------------------------------------------------------------------------------
    // The broker, the attacker and the good pair.

    /** What a broker holds before an attack. */
    record Baseline(int fds, long heap, long direct, long rss)
    {
        @Override
        public String toString()
        {
            return fds + " fds, heap " + heap / 1024 + " KiB, direct buffers " + direct / 1024 + " KiB, RSS "
                + rss / 1024 + " KiB";
        }
    }

    /**
     * The broker's peaks while an attack runs, sampled every 100 ms: bytes queued for its fullest
     * client ({@code seqbus_queue_max_bytes}), direct buffers in use, and RSS.
     */
    static final class Peaks implements AutoCloseable
    {
        final Child broker;
        final Thread sampler;
        volatile boolean running = true;
        volatile long queueMax;
        volatile long direct;
        volatile long rss;
        volatile int samples;

        private Peaks(final Child broker)
        {
            this.broker = broker;
            this.sampler = new Thread(this::sample, "hostile-peaks");
            sampler.setDaemon(true);
        }

        static Peaks start(final HostileUsersIT test, final Child broker)
        {
            final Peaks peaks = new Peaks(broker);
            test.closeables.add(peaks);
            peaks.sampler.start();
            return peaks;
        }

        private void sample()
        {
            while (running && broker.process.isAlive())
            {
                try
                {
                    rss = Math.max(rss, broker.rss());
                    final String m = broker.metrics(Duration.ofSeconds(1));
                    queueMax = Math.max(queueMax, (long) metric(m, "seqbus_queue_max_bytes", null));
                    direct = Math.max(direct, (long) metric(m, "jvm_buffer_memory_used_bytes{", "id=\"direct\""));
                    samples++;
                }
                catch (final Exception | AssertionError ex)
                {
                    // A broker too busy to answer within a second, or gone: no sample this time.
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }

        @Override
        public void close() throws InterruptedException
        {
            if (!running)
            {
                return;
            }
            running = false;
            sampler.join(10_000);
            say("broker " + broker.process.pid() + " during the attack: " + this);
        }

        @Override
        public String toString()
        {
            return "peaks over " + samples + " samples: fullest queue " + queueMax / 1024 + " KiB, direct buffers "
                + direct / 1024 + " KiB, RSS " + rss / 1024 + " KiB";
        }
    }

    /** The sum of a metric's samples: lines starting with NAME and, if given, containing LABEL. */
    static double metric(final String metrics, final String name, final String label)
    {
        double sum = 0;
        boolean found = false;
        for (final String line : metrics.split("\n"))
        {
            if (line.startsWith(name) && (label == null || line.contains(label))
                && (name.endsWith("{") || line.startsWith(name + " ")))
            {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        assertThat(found).as(name + (label == null ? "" : " " + label) + " in /metrics").isTrue();
        return sum;
    }

    /** A broker started as a child process with the given JVM options and a config file. */
    static final class Child
    {
        final Process process;
        final String socket;
        final int port;
        final Path log;

        private Child(final Process process, final String socket, final int port, final Path log)
        {
            this.process = process;
            this.socket = socket;
            this.port = port;
            this.log = log;
        }

        static Child start(final HostileUsersIT test, final List<String> javaOpts, final String settings)
            throws Exception
        {
            return start(test, test.dir, javaOpts, settings);
        }

        /** A broker of any process test, its socket, config and log in DIR. */
        static Child start(final ProcessTestBase test, final Path dir, final List<String> javaOpts,
            final String settings) throws Exception
        {
            // Other uids must reach the socket: the temporary directory is the owner's alone.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            final String socket = dir.resolve("bus.sock").toString();
            final int port;
            try (ServerSocket probe = new ServerSocket(0))
            {
                port = probe.getLocalPort();
            }
            final Path config = dir.resolve("seqbus.conf");
            Files.writeString(config, """
                socket = "%s"
                metrics = "127.0.0.1:%d"
                socket_activation = "false"
                """.formatted(socket, port) + settings);
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"));
            if (Runtime.version().feature() >= 22)
            {
                command.add("--enable-native-access=ALL-UNNAMED");
            }
            command.addAll(javaOpts);
            final Path target = ROOT.resolve("ops").resolve("target");
            command.addAll(List.of("-cp", target.resolve("seqbus-ops.jar") + ":" + target.resolve("lib") + "/*",
                "io.seqbus.ops.Main", "broker", "--config", config.toString()));
            final Path log = dir.resolve("broker.log");
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
            test.started.add(process);
            say("broker " + process.pid() + " with " + String.join(" ", javaOpts));
            final Child child = new Child(process, socket, port, log);
            test.closeables.add(child::printLog);
            try
            {
                await("the broker's /health").atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(() ->
                    {
                        if (!process.isAlive())
                        {
                            throw new AssertionError("the broker exited with " + process.exitValue() + "; its log:\n"
                                + Files.readString(log));
                        }
                        return Files.exists(Path.of(socket)) && child.health() == 200;
                    });
            }
            catch (final org.awaitility.core.ConditionTimeoutException ex)
            {
                throw new AssertionError("the broker did not come up; its log:\n" + Files.readString(log), ex);
            }
            Files.setPosixFilePermissions(Path.of(socket), PosixFilePermissions.fromString("rwxrwxrwx"));
            return child;
        }

        /** Warms the broker up (connections, a subscription, deliveries, a scrape), then measures. */
        Baseline baseline() throws Exception
        {
            try (BusClient warm = BusClient.connect(new ClientOptions().socket(socket)
                .threadMode(ThreadMode.DEDICATED).reconnect(false)))
            {
                final List<String> got = new CopyOnWriteArrayList<>();
                warm.subscribe("warm.>", (m) -> got.add(m.payloadAsString()));
                warm.sync(WAIT);
                for (int i = 0; i < 100; i++)
                {
                    warm.publish("warm.up", "w" + i);
                }
                await().atMost(WAIT).until(() -> got.size() == 100);
            }
            metrics();
            final int[] last = {-1};
            await("the broker's descriptors settle after the warm-up").atMost(WAIT).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200)).until(() ->
                {
                    final int n = fds();
                    final boolean same = n == last[0];
                    last[0] = n;
                    return same;
                });
            final long heap = heapAfterGc();
            final Baseline b = new Baseline(fds(), heap,
                (long) metric(metrics(), "jvm_buffer_memory_used_bytes{", "id=\"direct\""), rss());
            say("broker " + process.pid() + " baseline " + b);
            return b;
        }

        void assertAlive() throws IOException
        {
            assertThat(process.isAlive()).as("the broker is alive; its log:\n" + tail()).isTrue();
        }

        void assertRecovered(final Baseline before) throws Exception
        {
            assertAlive();
            assertThat(health()).as("/health after the attack").isEqualTo(200);
            await("descriptors back to the baseline " + before).atMost(WAIT).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200))
                .until(this::fds, (n) -> n <= before.fds + FD_MARGIN);
            // Polled from the start: each look is a full GC, and a first look a second late costs every attack.
            final long[] heap = {0};
            await("heap after a full GC back within " + HEAP_MARGIN / MIB + " MiB of the baseline " + before)
                .atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1))
                .until(() -> heap[0] = heapAfterGc(), (h) -> h <= before.heap + HEAP_MARGIN);
            final long rss = rss();
            assertThat(rss).as("RSS after the attack against the unit's MemoryMax; baseline " + before)
                .isLessThan(memoryMax());
            say("broker " + process.pid() + " after the attack: " + fds() + " fds, heap "
                + heap[0] / 1024 + " KiB, RSS " + rss / 1024 + " KiB; baseline " + before);
        }

        /** The status of /health, -1 when it does not answer within 5 s. */
        int health()
        {
            try
            {
                return Integer.parseInt(get("/health", Duration.ofSeconds(5)).split(" ", 3)[1]);
            }
            catch (final IOException | RuntimeException ex)
            {
                return -1;
            }
        }

        String metrics() throws IOException
        {
            return metrics(Duration.ofSeconds(10));
        }

        String metrics(final Duration timeout) throws IOException
        {
            final String response = get("/metrics", timeout);
            assertThat(response).as("/metrics").startsWith("HTTP/1.1 200 ");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }

        /**
         * One HTTP/1.0 GET on a connection of its own, which the server closes after the answer,
         * so that no pooled connection of the test's adds to the broker's descriptors.
         */
        private String get(final String path, final Duration timeout) throws IOException
        {
            try (Socket s = new Socket())
            {
                s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
                s.setSoTimeout((int) timeout.toMillis());
                s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
        }

        int fds() throws IOException
        {
            try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd")))
            {
                return (int) s.count();
            }
        }

        /** @return the broker's RLIMIT_NOFILE (soft), from /proc/PID/limits. */
        long openFilesLimit() throws IOException
        {
            final Matcher m = Pattern.compile("(?m)^Max open files\\s+(\\d+)")
                .matcher(Files.readString(Path.of("/proc", Long.toString(process.pid()), "limits")));
            assertThat(m.find()).as("Max open files of the broker").isTrue();
            return Long.parseLong(m.group(1));
        }

        long rss() throws IOException
        {
            final Matcher m = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB")
                .matcher(Files.readString(Path.of("/proc", Long.toString(process.pid()), "status")));
            assertThat(m.find()).as("VmRSS of the broker").isTrue();
            return Long.parseLong(m.group(1)) * 1024;
        }

        /** jcmd GC.run, then the heap in use from the broker's jvm_memory_used_bytes{area="heap"}. */
        long heapAfterGc() throws Exception
        {
            final Process jcmd = new ProcessBuilder(JCMD.toString(), Long.toString(process.pid()), "GC.run")
                .redirectErrorStream(true).start();
            final String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(jcmd.waitFor(30, TimeUnit.SECONDS)).as("jcmd GC.run").isTrue();
            assertThat(jcmd.exitValue()).as("jcmd GC.run: " + out).isZero();
            return (long) metric(metrics(), "jvm_memory_used_bytes{", "area=\"heap\"");
        }

        String tail() throws IOException
        {
            final List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }

        void printLog() throws IOException
        {
            say("broker " + process.pid() + (process.isAlive() ? " (alive)" : " (exited)")
                + ", the end of its log:\n" + tail());
        }
    }

    /** hostile.py under another uid; its stdout lines are kept in order, stdin carries commands. */
    static final class Attacker
    {
        final Process process;
        final Path stderr;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new CopyOnWriteArrayList<>();
        final Writer in;

        private Attacker(final Process process, final Path stderr)
        {
            this.process = process;
            this.stderr = stderr;
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            final Thread reader = new Thread(() ->
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).lines()
                    .forEach((line) ->
                    {
                        seen.add(line);
                        lines.add(line);
                    }), "hostile-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Attacker start(final HostileUsersIT test, final Child broker, final int uid, final String... args)
            throws IOException
        {
            final List<String> command = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + uid,
                "--regid=" + uid, "--clear-groups", PYTHON.toString(), SCRIPT.toString(), PYTHON_LIB.toString(),
                broker.socket));
            command.addAll(Arrays.asList(args));
            final Path stderr = test.dir.resolve("attacker-" + uid + ".err");
            final Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            test.started.add(p);
            say("attacker uid " + uid + " pid " + p.pid() + ": " + String.join(" ", args));
            return new Attacker(p, stderr);
        }

        /** The next line starting with WORD (earlier ones are kept in {@link #lines()}). */
        String expect(final String word, final Duration timeout) throws Exception
        {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (true)
            {
                final String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null)
                {
                    return fail("the attacker printed no '" + word + "' line within " + timeout + " (alive: "
                        + process.isAlive() + "); it printed " + seen + "; stderr: " + Files.readString(stderr));
                }
                if (line.startsWith("fail"))
                {
                    return fail("the attacker could not go on: " + line + "; stderr: " + Files.readString(stderr));
                }
                if (line.startsWith(word))
                {
                    say("attacker: " + line);
                    return line;
                }
            }
        }

        List<String> lines()
        {
            return seen;
        }

        void tell(final String command) throws IOException
        {
            in.write(command + "\n");
            in.flush();
        }

        /** Ends the attack: the script closes its sockets and exits. */
        void exit() throws Exception
        {
            try
            {
                tell("exit");
                in.close();
            }
            catch (final IOException ex)
            {
                // It has ended already.
            }
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A publisher and a subscriber of {@link #GOOD_TOPIC} with the Java client, as root: every
     * message must arrive, in order, with consecutive sequence numbers and no GAP or ERROR.
     */
    static final class GoodPair implements AutoCloseable
    {
        final BusClient sub;
        final BusClient pub;
        final List<long[]> received = new CopyOnWriteArrayList<>();
        final List<String> trouble = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> publishFailure = new AtomicReference<>();
        Thread publisher;
        int count;

        private final boolean sharedMemory;

        private GoodPair(final ProcessTestBase test, final Child broker, final boolean sharedMemory)
        {
            this.sharedMemory = sharedMemory;
            sub = BusClient.connect(options(broker, "good-sub"));
            test.closeables.add(sub);
            sub.subscribe(GOOD_TOPIC, (m) -> received.add(new long[] {Long.parseLong(m.payloadAsString()), m.sequence()}));
            sub.sync(Duration.ofSeconds(5));
            pub = BusClient.connect(options(broker, "good-pub"));
            test.closeables.add(pub);
            pub.sync(Duration.ofSeconds(5));
        }

        /** Connects, subscribes and syncs, each step bounded by 5 s. */
        static GoodPair connect(final HostileUsersIT test, final Child broker)
        {
            return connect(test, broker, false);
        }

        /** The pair on shared memory (SHARED), or as the client's defaults and the environment say. */
        static GoodPair connect(final ProcessTestBase test, final Child broker, final boolean sharedMemory)
        {
            final GoodPair pair = new GoodPair(test, broker, sharedMemory);
            test.closeables.add(pair);
            return pair;
        }

        private ClientOptions options(final Child broker, final String name)
        {
            final ClientOptions options = new ClientOptions();
            if (sharedMemory)
            {
                options.sharedMemory(true);
            }
            return options.socket(broker.socket).clientName(name).threadMode(ThreadMode.DEDICATED)
                .reconnect(false).connectTimeout(Duration.ofSeconds(5)).publishTimeout(Duration.ofSeconds(20))
                .gapHandler((g) -> trouble.add(name + " GAP " + g))
                .errorHandler((BusError e) -> trouble.add(name + " ERROR " + e));
        }

        /** Publishes 1..COUNT at about one a millisecond, on a thread of its own. */
        void publish(final int count)
        {
            this.count = count;
            publisher = new Thread(() ->
            {
                try
                {
                    for (int i = 1; i <= count; i++)
                    {
                        pub.publish(GOOD_TOPIC, Integer.toString(i));
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                    pub.flush();
                }
                catch (final Throwable t)
                {
                    publishFailure.set(t);
                }
            }, "good-publisher");
            publisher.setDaemon(true);
            publisher.start();
        }

        void assertAllDelivered(final Duration timeout) throws Exception
        {
            try
            {
                await("all " + count + " good messages delivered").atMost(timeout)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> received.size() >= count || publishFailure.get() != null || !trouble.isEmpty()
                        || sub.isClosed());
            }
            catch (final org.awaitility.core.ConditionTimeoutException ex)
            {
                throw new AssertionError("the good subscriber got " + received.size() + " of " + count
                    + " messages; publisher alive: " + publisher.isAlive() + ", trouble: " + trouble, ex);
            }
            publisher.join(TimeUnit.SECONDS.toMillis(30));
            say("the good pair: " + count + " delivered");
            assertThat(publishFailure.get()).as("the good publisher failed").isNull();
            assertThat(trouble).as("GAPs and ERRORs the good pair was told of").isEmpty();
            assertThat(sub.isClosed()).as("the good subscriber's connection was closed: " + sub.closedCause())
                .isFalse();
            assertThat(received).as("good messages").hasSize(count);
            for (int i = 0; i < count; i++)
            {
                assertThat(received.get(i)).as("good message #" + (i + 1) + " (payload counter, sequence)")
                    .containsExactly(i + 1, i + 1);
            }
        }

        @Override
        public void close()
        {
            pub.close();
            sub.close();
        }
    }

    private static long memoryMax() throws IOException
    {
        final Matcher m = Pattern.compile("(?m)^MemoryMax=(\\d+)([KMGT]?)$").matcher(Files.readString(UNIT));
        assertThat(m.find()).as("MemoryMax= in " + UNIT).isTrue();
        final long n = Long.parseLong(m.group(1));
        return switch (m.group(2))
        {
            case "K" -> n * 1024;
            case "M" -> n * MIB;
            case "G" -> n * 1024 * MIB;
            case "T" -> n * 1024 * 1024 * MIB;
            default -> n;
        };
    }

    private static List<String> words(final String text)
    {
        final List<String> words = Arrays.stream(text.trim().split("\\s+")).filter((w) -> !w.isEmpty()).toList();
        assertThat(words).as("JVM options").isNotEmpty();
        return words;
    }
}

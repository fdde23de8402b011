package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.DatagramPool;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Generated and mutated datagrams from many raw connections against a real broker, while a
 * well-behaved publisher and subscriber (the real client) run alongside: the broker keeps
 * cycling and healthy, the pair gets every one of its messages in order once, and when the
 * fuzzing stops the broker holds no more descriptors, queued bytes or heap than before.
 *
 * <p>{@code -Dseqbus.fuzz.seed=N} replays a run (the seed is printed), {@code -Dseqbus.fuzz.datagrams=N}
 * and {@code -Dseqbus.fuzz.connections=N} size it.
 */
class BrokerFuzzTest
{
    private static final long SEED = Long.getLong("seqbus.fuzz.seed", 0x5EED_B05L);
    private static final int DATAGRAMS = Integer.getInteger("seqbus.fuzz.datagrams", 100_000);
    private static final int CONNECTIONS = Integer.getInteger("seqbus.fuzz.connections", 16);
    private static final int VALID_PERCENT = 40;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void brokerSurvivesMutatedDatagramsAndTheWellBehavedPairLosesNothing() throws Exception
    {
        System.out.println("fuzz: seed " + SEED + " (replay with -Dseqbus.fuzz.seed=" + SEED + "), " + DATAGRAMS +
            " datagrams from " + CONNECTIONS + " connections");
        final String socket = dir.resolve("fuzz.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).nodeName("fuzz").metrics("off"));
            BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            final BrokerCounters counters = broker.counters();
            final ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
            final long goodPublisher = pub.publisherId();
            sub.subscribe("good.>", (m) ->
            {
                if (m.publisherId() == goodPublisher)
                {
                    received.add(Long.parseLong(m.payloadAsString()));
                }
            });
            sub.sync(WAIT);

            // A short run first, so that first-use class loading and pools are in place before the baseline.
            new Fuzz(socket, SEED - 1, 2, 500).run();
            await().atMost(WAIT).until(() -> counters.get(BrokerCounters.CONNECTIONS_OPEN) == 2);
            final long fdsBefore = openFds();
            final long heapBefore = heapAfterGc();
            final long poolBefore = poolAllocated(broker);
            final long[] rejectedBefore = rejected(counters);
            final long readBefore = counters.get(BrokerCounters.DATAGRAMS_READ);
            final long acceptedBefore = counters.get(BrokerCounters.CONNECTIONS_ACCEPTED);

            final AtomicBoolean fuzzing = new AtomicBoolean(true);
            final long[] published = new long[1];
            final Thread publisher = new Thread(() ->
            {
                while (fuzzing.get())
                {
                    pub.publish("good.seq", Long.toString(published[0]++));
                    if ((published[0] & 7) == 0)
                    {
                        // Pace it (about 2,000 msg/s): the fuzz, not this pair, should fill the broker's cycles.
                        pub.sync(WAIT);
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(4));
                    }
                }
            }, "good-publisher");
            final List<String> liveness = new ArrayList<>();
            final Thread watchdog = new Thread(() -> watch(broker, fuzzing, liveness), "liveness");
            publisher.start();
            watchdog.start();
            final long startNs = System.nanoTime();
            final Fuzz fuzz = new Fuzz(socket, SEED, CONNECTIONS, DATAGRAMS);
            fuzz.run();
            final long fuzzMs = (System.nanoTime() - startNs) / 1_000_000;
            fuzzing.set(false);
            publisher.join();
            watchdog.join();
            pub.sync(WAIT);

            await().atMost(WAIT).until(() -> received.size() >= published[0]);
            final List<Long> expected = new ArrayList<>();
            for (long i = 0; i < published[0]; i++)
            {
                expected.add(i);
            }
            assertThat(new ArrayList<>(received)).as("the well-behaved pair: every message, in order, once")
                .isEqualTo(expected);
            received.clear();
            expected.clear();
            assertThat(liveness).as("broker liveness during the fuzz").isEmpty();
            assertThat(broker.isHealthy()).isTrue();

            await().atMost(WAIT).until(() -> counters.get(BrokerCounters.CONNECTIONS_OPEN) == 2);
            await().atMost(WAIT).until(() -> counters.get(BrokerCounters.QUEUED_BYTES_TOTAL) == 0);
            await().atMost(WAIT).until(() -> openFds() <= fdsBefore);
            final long heapAfter = heapAfterGc();
            final long poolAfter = poolAllocated(broker);

            final long[] rejectedAfter = rejected(counters);
            final StringBuilder codes = new StringBuilder();
            long rejectedTotal = 0;
            for (int code = 1; code < rejectedAfter.length; code++)
            {
                final long n = rejectedAfter[code] - rejectedBefore[code];
                rejectedTotal += n;
                if (n > 0)
                {
                    codes.append(String.format("%n  %-22s %7d", ErrorCode.name(code), n));
                }
            }
            final long read = counters.get(BrokerCounters.DATAGRAMS_READ) - readBefore;
            System.out.printf("fuzz: %d datagrams sent (%d frames before mutation) in %d ms, %d HELLOs, %d connections " +
                    "(broker accepted %d), broker read %d datagrams (each followed by a PING)%nfuzz: by mutation: %s%nfuzz: good pair %d messages%nfuzz: refused with ERROR %d:%s%n" +
                    "fuzz: fds %d -> %d, heap after GC %.1f -> %.1f MiB, datagram buffers allocated %d -> %d%n",
                fuzz.sent(), fuzz.framesSent(), fuzzMs, fuzz.hellos(), fuzz.connections(),
                counters.get(BrokerCounters.CONNECTIONS_ACCEPTED) - acceptedBefore, read, fuzz.byKind(), published[0],
                rejectedTotal, codes, fdsBefore, openFds(), heapBefore / 1048576.0, heapAfter / 1048576.0,
                poolBefore, poolAfter);

            assertThat(fuzz.sent()).isGreaterThanOrEqualTo(DATAGRAMS);
            assertThat(read).as("datagrams the broker read").isGreaterThanOrEqualTo(DATAGRAMS);
            assertThat(fuzz.failures()).as("fuzz connections that the broker stopped reading").isEmpty();
            assertThat(heapAfter).as("heap after GC").isLessThan(heapBefore + 32 * 1048576L);
            // The pool grows to the peak of concurrent queues and then only reuses; the fuzz's
            // peak is bounded by its connections, not by how many datagrams it sent.
            assertThat(poolAfter - poolBefore).as("datagram buffers allocated during the fuzz")
                .isLessThan(256L + 8L * CONNECTIONS);
        }
    }

    /**
     * Every 100 ms: the broker is healthy (its agent finished a cycle within
     * {@link Configuration#HEALTH_MAX_CYCLE_AGE_MS}; a shorter bound would measure this busy
     * 2-core machine's scheduler, not the broker), and its cycles keep moving every second.
     */
    private static void watch(final Broker broker, final AtomicBoolean fuzzing, final List<String> problems)
    {
        long lastCycles = broker.counters().get(BrokerCounters.DUTY_CYCLES);
        long lastMoveNs = System.nanoTime();
        while (fuzzing.get())
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            final long cycles = broker.counters().get(BrokerCounters.DUTY_CYCLES);
            if (cycles != lastCycles)
            {
                lastCycles = cycles;
                lastMoveNs = System.nanoTime();
            }
            else if (System.nanoTime() - lastMoveNs > TimeUnit.SECONDS.toNanos(1))
            {
                problems.add("agent did not cycle for 1 s");
            }
            if (!broker.isHealthy())
            {
                problems.add("broker unhealthy");
            }
        }
    }

    private static long[] rejected(final BrokerCounters counters)
    {
        final long[] r = new long[ErrorCode.maxCode() + 1];
        for (int code = 1; code < r.length; code++)
        {
            r[code] = counters.rejected(code);
        }
        return r;
    }

    private static long openFds() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }

    private static long heapAfterGc()
    {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The agent's datagram pool is internal; a test may look (the count only grows, a stale read is harmless). */
    private static long poolAllocated(final Broker broker) throws ReflectiveOperationException
    {
        final java.lang.reflect.Field agentField = Broker.class.getDeclaredField("agent");
        agentField.setAccessible(true);
        final Object agent = agentField.get(broker);
        final java.lang.reflect.Field poolField = agent.getClass().getDeclaredField("pool");
        poolField.setAccessible(true);
        return ((DatagramPool)poolField.get(agent)).allocated();
    }

    /**
     * The fuzzing threads: each owns one connection at a time, opens it with HELLO (or, now and
     * then, without), sends datagrams from the mutator, and opens another when the broker closes it.
     */
    private static final class Fuzz
    {
        private final String socket;
        private final long seed;
        private final int threads;
        private final int datagrams;
        private final FrameMutator mutator = new FrameMutator(Protocol.DEFAULT_MAX_DATAGRAM);
        private final AtomicLongArray byKind = new AtomicLongArray(FrameMutator.Kind.values().length);
        private final AtomicLongArray totals = new AtomicLongArray(4);
        private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

        Fuzz(final String socket, final long seed, final int threads, final int datagrams)
        {
            this.socket = socket;
            this.seed = seed;
            this.threads = threads;
            this.datagrams = datagrams;
        }

        void run() throws InterruptedException
        {
            final List<Thread> running = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int index = t;
                final int quota = datagrams * (t + 1) / threads - datagrams * t / threads;
                final Thread thread = new Thread(() -> fuzz(index, quota), "fuzz-" + t);
                running.add(thread);
                thread.start();
            }
            for (final Thread thread : running)
            {
                thread.join();
            }
        }

        private void fuzz(final int index, final int quota)
        {
            final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
            final ByteBuffer in = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
            FuzzConnection connection = null;
            int sent = 0;
            try
            {
                while (sent < quota)
                {
                    if (connection == null)
                    {
                        connection = new FuzzConnection(socket, in);
                        totals.incrementAndGet(0);
                        if (random.nextInt(10) != 0 && !connection.sendAndSync(Frames.hello(1, 1, "fuzz-" + index)))
                        {
                            failures.add("fuzz-" + index + ": a valid HELLO was refused");
                        }
                        totals.incrementAndGet(1);
                    }
                    final byte[] datagram = mutator.next(random, VALID_PERCENT);
                    byKind.incrementAndGet(mutator.lastKind().ordinal());
                    sent++;
                    totals.addAndGet(2, mutator.lastSeedFrames());
                    boolean open;
                    try
                    {
                        open = connection.sendAndSync(datagram);
                    }
                    catch (final IOException ex)
                    {
                        failures.add("fuzz-" + index + " " + mutator.lastKind() + " " + HexFormat.of().formatHex(datagram) +
                            ": " + ex.getMessage());
                        open = false;
                    }
                    if (!open || random.nextInt(200) == 0)
                    {
                        // closed by the broker, or a client that just goes away
                        connection.close();
                        connection = null;
                    }
                }
                if (connection != null)
                {
                    connection.close();
                }
            }
            catch (final IOException ex)
            {
                failures.add("fuzz-" + index + ": " + ex);
            }
        }

        long sent()
        {
            long n = 0;
            for (int i = 0; i < byKind.length(); i++)
            {
                n += byKind.get(i);
            }
            return n;
        }

        long framesSent()
        {
            return totals.get(2);
        }

        long connections()
        {
            return totals.get(0);
        }

        long hellos()
        {
            return totals.get(1);
        }

        String byKind()
        {
            final StringBuilder s = new StringBuilder();
            for (final FrameMutator.Kind kind : FrameMutator.Kind.values())
            {
                s.append(kind).append('=').append(byKind.get(kind.ordinal())).append(' ');
            }
            return s.toString().trim();
        }

        List<String> failures()
        {
            return new ArrayList<>(failures);
        }
    }
}

package io.seqbus.ops.soak;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.PublishResult;
import io.seqbus.client.ThreadMode;
import org.agrona.collections.Long2LongHashMap;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Many clients with churn against one broker: a few threads each drive a share of
 * {@link ThreadMode#POLL} clients (not a thread per client), publish at a steady rate to random
 * topics of {@code groups} groups, and replace random clients continuously (close, connect,
 * subscribe). Meanwhile it samples the broker's figures and at the end says whether they stayed
 * flat.
 *
 * <p>Flat means, between the sample after warm-up and the last one under load: live heap after a
 * full collection grew by at most 10% + 4 MiB, resident memory by at most 10% + 16 MiB, open
 * descriptors by at most 2% of the clients + 16 (connections being replaced at that instant);
 * after every client closed the broker holds at most 4 descriptors more than before any
 * connected; messages kept arriving between every two samples; no subscriber saw a publisher's
 * messages out of order or twice.
 */
public final class Soak
{
    private static final String PATTERN_PREFIX = "soak.";
    private static final byte[] PAYLOAD = new byte[64];
    private static final int ORDER_MAP_LIMIT = 4096;

    private final Settings settings;
    private final BrokerProbe probe;
    private final PrintStream out;
    private final String[] topics;
    private final LongAdder published = new LongAdder();
    private final LongAdder backPressured = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder outOfOrder = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder replaced = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder openClients = new LongAdder();
    private volatile boolean running = true;
    private volatile String lastError = "";

    /**
     * What to run.
     */
    public static final class Settings
    {
        /** Broker socket. */
        public String socket;
        /** Client connections held at once. */
        public int clients = 1000;
        /** Length of the run under load, after the warm-up. */
        public double minutes = 10;
        /** Threads driving the clients. */
        public int threads = 4;
        /** Messages per second over all clients. */
        public int rate = 1000;
        /** Clients replaced per second. */
        public int churn = 20;
        /** Topic groups: client i subscribes to soak.(i % groups).> */
        public int groups = 100;
        /** Samples under load, evenly spaced (at least 2: start and end). */
        public int samples = 10;
        /** Seconds of load before the start sample (connections, JIT and heap settle). */
        public int warmupSeconds = 30;
    }

    /**
     * @param settings what to run.
     * @param probe    reads the broker's figures.
     * @param out      where the report goes.
     */
    public Soak(final Settings settings, final BrokerProbe probe, final PrintStream out)
    {
        this.settings = settings;
        this.probe = probe;
        this.out = out;
        topics = new String[settings.groups];
        for (int i = 0; i < topics.length; i++)
        {
            topics[i] = PATTERN_PREFIX + i + ".m";
        }
    }

    /**
     * Runs the soak and prints the figures and a verdict.
     *
     * @return true when everything stayed flat.
     * @throws InterruptedException when interrupted.
     */
    public boolean run() throws InterruptedException
    {
        final long startNs = System.nanoTime();
        // The first probe opens what later probes keep (jcmd's attach listener, the metrics
        // connection): take it before the baseline so they do not count as a leak.
        probe.sample();
        final BrokerProbe.Sample idleBefore = print("before", startNs, probe.sample());
        final List<Driver> drivers = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < settings.threads; t++)
        {
            final int from = settings.clients * t / settings.threads;
            final int to = settings.clients * (t + 1) / settings.threads;
            final Driver driver = new Driver(from, to, t);
            drivers.add(driver);
            final Thread thread = new Thread(driver, "soak-driver-" + t);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        final long warmupEndNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.warmupSeconds);
        sleepUntil(warmupEndNs);
        final List<BrokerProbe.Sample> samples = new ArrayList<>();
        final List<Long> receivedAt = new ArrayList<>();
        final long runNs = (long)(settings.minutes * 60e9);
        final int intervals = Math.max(1, settings.samples - 1);
        for (int i = 0; i <= intervals; i++)
        {
            sleepUntil(warmupEndNs + runNs * i / intervals);
            samples.add(print(i == 0 ? "start" : i == intervals ? "end" : "load", startNs, probe.sample()));
            receivedAt.add(received.sum());
        }
        running = false;
        for (final Thread thread : threads)
        {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        BrokerProbe.Sample idleAfter = probe.sample();
        while (idleAfter.fds > idleBefore.fds && System.nanoTime() - deadline < 0)
        {
            // The broker notices closed connections on its next duty cycle: give it a moment.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            idleAfter = probe.sample();
        }
        print("after", startNs, idleAfter);
        return verdict(samples.get(0), samples.get(samples.size() - 1), idleBefore, idleAfter, receivedAt);
    }

    private boolean verdict(
        final BrokerProbe.Sample start, final BrokerProbe.Sample end,
        final BrokerProbe.Sample idleBefore, final BrokerProbe.Sample idleAfter, final List<Long> receivedAt)
    {
        final List<String> problems = new ArrayList<>();
        for (int i = 1; i < receivedAt.size(); i++)
        {
            if (receivedAt.get(i) <= receivedAt.get(i - 1))
            {
                problems.add("no message delivered between samples " + (i - 1) + " and " + i + " (broker stopped serving)");
                break;
            }
        }
        if (end.heapAfterGcBytes > start.heapAfterGcBytes * 1.10 + 4 * 1048576.0)
        {
            problems.add(String.format("live heap grew %.1f -> %.1f MiB (allowed +10%% +4 MiB)",
                start.heapAfterGcBytes / 1048576.0, end.heapAfterGcBytes / 1048576.0));
        }
        if (end.rssKib > start.rssKib * 1.10 + 16 * 1024.0)
        {
            problems.add(String.format("RSS grew %.1f -> %.1f MiB (allowed +10%% +16 MiB)",
                start.rssKib / 1024.0, end.rssKib / 1024.0));
        }
        final long fdSlack = settings.clients / 50 + 16;
        if (Math.abs(end.fds - start.fds) > fdSlack)
        {
            problems.add("fds " + start.fds + " -> " + end.fds + " under load (allowed +-" + fdSlack + ")");
        }
        if (idleAfter.fds > idleBefore.fds + 4)
        {
            problems.add("fds " + idleBefore.fds + " before any client, " + idleAfter.fds + " after all closed (allowed +4)");
        }
        if (start.heapAfterGcBytes < 0 || start.rssKib < 0 || start.fds < 0)
        {
            problems.add("some figures could not be read (see n/a and -1 above)");
        }
        if (outOfOrder.sum() > 0)
        {
            problems.add(outOfOrder.sum() + " messages out of order or duplicated");
        }
        out.printf("totals: published=%d back-pressured=%d received=%d gaps=%d errors=%d replaced=%d connect-failures=%d%s%n",
            published.sum(), backPressured.sum(), received.sum(), gaps.sum(), errors.sum(), replaced.sum(),
            connectFailures.sum(), lastError.isEmpty() ? "" : " last-error=" + lastError);
        if (problems.isEmpty())
        {
            out.println("verdict: FLAT (live heap, RSS, fds within thresholds; no message out of order)");
            return true;
        }
        out.println("verdict: NOT FLAT: " + String.join("; ", problems));
        return false;
    }

    private BrokerProbe.Sample print(final String label, final long startNs, final BrokerProbe.Sample sample)
    {
        out.printf("%-6s t=%5ds clients=%d %s published=%d received=%d replaced=%d%n",
            label, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs), openClients.sum(), sample,
            published.sum(), received.sum(), replaced.sum());
        out.flush();
        return sample;
    }

    private static void sleepUntil(final long deadlineNs) throws InterruptedException
    {
        long left;
        while ((left = deadlineNs - System.nanoTime()) > 0)
        {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /**
     * Drives clients [from, to): connects them, then publishes, replaces and polls until stopped.
     */
    private final class Driver implements Runnable
    {
        private final Slot[] slots;
        private final SplittableRandom random;
        private final long publishIntervalNs;
        private final long churnIntervalNs;

        Driver(final int from, final int to, final int index)
        {
            slots = new Slot[to - from];
            for (int i = 0; i < slots.length; i++)
            {
                slots[i] = new Slot(from + i);
            }
            random = new SplittableRandom(index * 7919L + 1);
            publishIntervalNs = settings.rate <= 0 ? Long.MAX_VALUE : settings.threads * 1_000_000_000L / settings.rate;
            churnIntervalNs = settings.churn <= 0 ? Long.MAX_VALUE : settings.threads * 1_000_000_000L / settings.churn;
        }

        @Override
        public void run()
        {
            for (final Slot slot : slots)
            {
                slot.open();
            }
            long nextPublishNs = System.nanoTime();
            long nextChurnNs = System.nanoTime();
            while (running)
            {
                int work = 0;
                final long now = System.nanoTime();
                if (now - nextPublishNs > TimeUnit.SECONDS.toNanos(1))
                {
                    nextPublishNs = now; // fell behind (a slow connect): do not burst to catch up
                }
                while (now - nextPublishNs >= 0)
                {
                    slots[random.nextInt(slots.length)].publish(topics[random.nextInt(topics.length)]);
                    nextPublishNs += publishIntervalNs;
                    work++;
                }
                if (now - nextChurnNs > TimeUnit.SECONDS.toNanos(1))
                {
                    nextChurnNs = now;
                }
                while (now - nextChurnNs >= 0)
                {
                    final Slot slot = slots[random.nextInt(slots.length)];
                    slot.close();
                    slot.open();
                    replaced.increment();
                    nextChurnNs += churnIntervalNs;
                    work++;
                }
                for (final Slot slot : slots)
                {
                    work += slot.poll();
                }
                if (work == 0)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
            for (final Slot slot : slots)
            {
                slot.close();
            }
        }
    }

    /**
     * One client position: the client in it is replaced now and then.
     */
    private final class Slot
    {
        private final int index;
        private final Long2LongHashMap lastSequence = new Long2LongHashMap(0);
        private BusClient client;

        Slot(final int index)
        {
            this.index = index;
        }

        void open()
        {
            try
            {
                client = BusClient.connect(new ClientOptions().socket(settings.socket).threadMode(ThreadMode.POLL)
                    .clientName("soak-" + index).reconnect(false).connectTimeout(Duration.ofSeconds(10))
                    .errorHandler((e) ->
                    {
                        errors.increment();
                        lastError = e.toString();
                    })
                    .gapHandler((g) -> gaps.increment()));
                lastSequence.clear();
                client.subscribe(PATTERN_PREFIX + (index % settings.groups) + ".>", (m) ->
                {
                    received.increment();
                    if (m.sequence() <= lastSequence.get(m.publisherId()))
                    {
                        outOfOrder.increment();
                    }
                    if (lastSequence.size() >= ORDER_MAP_LIMIT)
                    {
                        lastSequence.clear(); // bounded: old publishers are long gone
                    }
                    lastSequence.put(m.publisherId(), m.sequence());
                });
                openClients.increment();
            }
            catch (final BusException ex)
            {
                client = null;
                connectFailures.increment();
                lastError = ex.getMessage();
            }
        }

        void publish(final String topic)
        {
            if (client == null)
            {
                open();
                return;
            }
            try
            {
                if (client.tryPublish(topic, PAYLOAD) == PublishResult.OK)
                {
                    published.increment();
                }
                else
                {
                    backPressured.increment();
                }
            }
            catch (final BusException | IllegalStateException ex)
            {
                lastError = ex.getMessage();
                close();
            }
        }

        int poll()
        {
            if (client == null)
            {
                return 0;
            }
            try
            {
                return client.poll();
            }
            catch (final BusException | IllegalStateException ex)
            {
                lastError = ex.getMessage();
                close();
                return 1;
            }
        }

        void close()
        {
            if (client != null)
            {
                client.close();
                client = null;
                openClients.decrement();
            }
        }
    }
}

package io.seqbus.ops.bench;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Headers;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One bench run: P publishers, each on its own thread and connection, publish to one topic as
 * fast as the bus accepts (or paced to a total rate); N subscriber connections, all polled by
 * one thread, count what arrives and, when paced, how long it took (send to receive, one hop).
 * With {@link Settings#subscriberProcesses} each subscriber is a process of its own instead
 * ({@link SubscriberProcesses}), as services subscribe. A warm-up comes first; only the measured
 * window counts, and the CPU each process used in it ({@link WindowCpu}); afterwards everything
 * published is waited for, so {@code lost} is exact.
 *
 * <p>A payload up to the broker's max_payload travels inline. A larger one is a loan (a sealed memfd the
 * subscribers map): the publisher writes only the first 16 bytes (send time, number) into it, so the figures are
 * the bus's cost of passing N bytes, not the cost of producing them. The copy alternative sends the same N bytes
 * inline, in publishes of at most {@value #PIECE} bytes, each copied by the broker to every subscriber's socket; a
 * message arrives with its last piece.
 */
public final class Bench
{
    private static final int MEASURING = SubscriberTally.MEASURING;
    private static final int DRAINING = SubscriberTally.DRAINING;
    /** The copy alternative's piece: the broker's default max_payload. */
    public static final int PIECE = 64 * 1024;
    /** Piece header: send time, message number, piece index, piece count. */
    private static final int PIECE_HEADER = 24;

    private final Settings settings;
    private final BrokerStats.Source brokerStats;
    /** Cleared to stop the subscribers' polling thread: an interrupt would land inside a socket read
     *  (ClosedByInterruptException), close the connection and log a lost connection per subscriber. */
    private volatile boolean polling = true;
    /** One per in-process subscriber: in latency mode each records on its own client thread. */
    private final SubscriberTally[] tallies;
    /** From the publishers (the broker's max_payload), before they start: payloads go as memfds. */
    private volatile boolean memfd;

    /**
     * What to run.
     */
    public static final class Settings
    {
        /** Broker socket, null for the default. */
        public String socket;
        /** Publisher connections. */
        public int publishers = 1;
        /** Subscriber connections. */
        public int subscribers = 1;
        /** Payload bytes, at least 16 (send time and sequence ride in it); over max_payload as a memfd. */
        public int size = 64;
        /** Send each payload inline in pieces of at most {@link #PIECE} bytes instead of as a memfd. */
        public boolean copyAlternative;
        /** The publisher writes every payload byte and every subscriber reads every one, as applications do. */
        public boolean touch;
        /** Measured seconds. */
        public double seconds = 5;
        /** Warm-up seconds before measuring. */
        public double warmupSeconds = 1;
        /** Total msgs/s over all publishers; 0 = as fast as the bus accepts. */
        public long rate;
        /** Topic published to; subscribers subscribe to exactly it. */
        public String topic = "bench.data";
        /** Every client on shared memory (ClientOptions.sharedMemory) instead of the socket. */
        public boolean sharedMemory;
        /** Latency runs: the subscribers' threads spin instead of sleeping in poll(2). */
        public boolean spin;
        /** Latency runs: the subscribers' ClientOptions.idleSpin in µs; negative = the client's default. */
        public long idleSpinUs = -1;
        /** Each subscriber in a process of its own ({@link SubscriberProcess}) instead of in the bench's. */
        public boolean subscriberProcesses;
        /** Handlers off the I/O thread: each in-process subscriber's handler on a pool of this many threads; 0 = none. */
        public int executorThreads;
        /** Headers on every inline message ({@link #benchHeaders}); 0 = none, the plain path. */
        public int headers;
        /** A queue group all the subscribers join (issue 19): each message goes to one of them; null for none. */
        public String group;
        /** CPU each handler spends per message (a busy loop), as a consumer that does work would; 0 = none. */
        public long workNs;
    }

    /**
     * @param count entries.
     * @return headers as services send them: W3C trace context, a content type, then 32-byte entries.
     */
    static Headers benchHeaders(final int count)
    {
        final Headers.Builder builder = Headers.builder();
        final String[][] usual = {
            {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
            {"content-type", "application/json"}};
        for (int i = 0; i < count; i++)
        {
            if (i < usual.length)
            {
                builder.add(usual[i][0], usual[i][1]);
            }
            else
            {
                builder.add("x-bench-" + i, String.format("%032x", i * 0x9E3779B97F4A7C15L));
            }
        }
        return builder.build();
    }

    /**
     * @param settings    what to run.
     * @param brokerStats where the broker's own figures come from.
     */
    public Bench(final Settings settings, final BrokerStats.Source brokerStats)
    {
        if (settings.executorThreads > 0 && settings.subscriberProcesses)
        {
            throw new IllegalArgumentException("--executor is for subscribers in the bench's process, not --sub-procs");
        }
        if (settings.size < (settings.copyAlternative ? PIECE_HEADER : 16))
        {
            throw new IllegalArgumentException("--size " + settings.size + " is too small; allowed: " +
                (settings.copyAlternative ? PIECE_HEADER + " or more with --copy-alternative" : "16 or more"));
        }
        this.settings = settings;
        this.brokerStats = brokerStats;
        this.tallies = new SubscriberTally[settings.subscriberProcesses ? 0 : settings.subscribers];
        for (int i = 0; i < tallies.length; i++)
        {
            tallies[i] = new SubscriberTally(settings.rate > 0, settings.touch, settings.copyAlternative, settings.workNs);
        }
    }

    /**
     * Runs the bench.
     *
     * @return the figures.
     * @throws InterruptedException if interrupted while waiting.
     * @throws IOException          if a subscriber process cannot be started.
     */
    public BenchResult run() throws InterruptedException, IOException
    {
        final List<BusClient> subs = new ArrayList<>();
        final List<BenchPublisher> pubs = new ArrayList<>();
        SubscriberProcesses procs = null;
        final java.util.concurrent.ExecutorService handlerPool = settings.executorThreads > 0 ?
            java.util.concurrent.Executors.newFixedThreadPool(settings.executorThreads) : null;
        try
        {
            for (int i = 0; i < tallies.length; i++)
            {
                final SubscriberTally tally = tallies[i];
                // Throughput: one thread polls every subscriber, as a busy consumer process would.
                // Latency: each subscriber on its own client thread, which sleeps in poll(2) until
                // a message comes rather than spinning next to the broker on a small machine.
                final ThreadMode mode = settings.rate > 0 ? ThreadMode.DEDICATED : ThreadMode.POLL;
                final ClientOptions subOptions = waitPolicy(settings, clientOptions(settings, "bench-sub-" + i))
                    .threadMode(mode);
                final BusClient sub = BusClient.connect(subOptions
                    .pollDatagramLimit(256).gapHandler((g) -> tally.onGap(g.count())));
                subs.add(sub);
                final SubscriptionOptions subscription = new SubscriptionOptions().group(settings.group);
                if (handlerPool != null)
                {
                    // A copy per message into the subscription's queue, the handler on the pool (SubscriptionOptions).
                    subscription.executor(handlerPool);
                }
                sub.subscribe(settings.topic, tally::onMessage, subscription);
                // The rings come in the datagram after WELCOME: the sync's PONG comes after them.
                sub.sync(Duration.ofSeconds(10));
                checkTransport(settings, sub);
            }
            if (settings.subscriberProcesses)
            {
                procs = new SubscriberProcesses(settings); // returns once every one has subscribed
            }
            // Only throughput runs poll here: with a rate each subscriber has its own client thread, and an
            // idle polling loop beside them would take a core from the broker and skew every latency figure.
            final Thread subscriberThread = new Thread(() -> pollAll(subs), "bench-subscribers");
            subscriberThread.setDaemon(true);
            if (settings.rate == 0 && !subs.isEmpty())
            {
                subscriberThread.start();
            }
            for (int i = 0; i < settings.publishers; i++)
            {
                // Each publisher's own client thread sends its batches, so publishes made while
                // a send is under way go out together (the client's smart batching).
                final BenchPublisher publisher = new BenchPublisher(settings, BusClient.connect(
                    clientOptions(settings, "bench-pub-" + i).threadMode(ThreadMode.DEDICATED)));
                pubs.add(publisher);
                memfd = publisher.memfd();
                publisher.client().sync(Duration.ofSeconds(10));
                checkTransport(settings, publisher.client());
            }
            pubs.forEach(BenchPublisher::start);

            // What opens the window, once in the warm-up: its first run loads and compiles classes (Jackson's, for
            // the broker's STAT reply), CPU that the window's first second took from the pipeline.
            new WindowCpu(brokerStats.snapshot(), procs).start();
            sleep(settings.warmupSeconds);
            final BrokerStats before = brokerStats.snapshot();
            final WindowCpu windowCpu = new WindowCpu(before, procs);
            windowCpu.start();
            final long t0 = System.nanoTime();
            phase(MEASURING, pubs, procs);
            if (procs == null)
            {
                sleep(settings.seconds);
            }
            else
            {
                procs.sleepWatching((long)(settings.seconds * 1e9));
            }
            phase(DRAINING, pubs, procs);
            final long t1 = System.nanoTime();
            final BenchResult.Cpu cpu = windowCpu.end(t1 - t0);
            final BrokerStats after = brokerStats.snapshot();
            pubs.forEach(BenchPublisher::stop);
            long publishedTotal = 0;
            long publishedMeasured = 0;
            for (final BenchPublisher p : pubs)
            {
                p.join();
                p.client().sync(Duration.ofSeconds(30));
                publishedTotal += p.sent();
                publishedMeasured += p.sentMeasured();
            }
            final long expected = publishedTotal;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && !allReceived(expected))
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            // Each process waits for what it misses itself, and reports when it has it all.
            final List<SubscriberProcesses.Report> reports = procs == null ? List.of() : procs.collect(expected);
            // Everything published in the window is delivered now: the bytes its messages cost the broker's sockets.
            final BrokerStats drained = brokerStats.snapshot();
            polling = false;
            subscriberThread.join(5_000);

            long lost = 0;
            long groupReceived = 0;
            long delivered = 0;
            long min = Long.MAX_VALUE;
            long max = 0;
            long gaps = 0;
            final Histogram all = SubscriberTally.newHistogram();
            for (int i = 0; i < settings.subscribers; i++)
            {
                final long received = procs == null ? tallies[i].received() : reports.get(i).received();
                final long measured = procs == null ? tallies[i].measured() : reports.get(i).measured();
                // In a group each message goes to one member: the loss is what none of them got (below).
                lost += settings.group != null ? 0 : Math.max(0, expected - received);
                groupReceived += received;
                delivered += measured;
                min = Math.min(min, measured);
                max = Math.max(max, measured);
                gaps += procs == null ? tallies[i].gaps() : reports.get(i).gaps();
                // Histograms merge exactly, also those that came from other processes.
                all.add(procs == null ? tallies[i].latencyNs() : reports.get(i).latencyNs());
            }
            BenchResult.Group group = null;
            if (settings.group != null)
            {
                // Cheap and exact enough: the members' receipts are summed, not compared message by message, so a
                // duplicate shows as a sum over what was published (and hides as much loss, which a GAP would name).
                lost = Math.max(0, expected - groupReceived);
                group = new BenchResult.Group(settings.subscribers, expected, groupReceived,
                    Math.max(0, groupReceived - expected));
            }
            final double seconds = (t1 - t0) / 1e9;
            double allocPerMsg = Double.NaN;
            double datagramsPerDelivery = Double.NaN;
            double bytesReadPerMessage = Double.NaN;
            double bytesWrittenPerMessage = Double.NaN;
            if (before != null && after != null && after.messagesDelivered() > before.messagesDelivered())
            {
                final double deliveries = after.messagesDelivered() - before.messagesDelivered();
                allocPerMsg = (after.agentAllocatedBytes() - before.agentAllocatedBytes()) / deliveries;
                datagramsPerDelivery = (after.datagramsWritten() - before.datagramsWritten()) / deliveries;
            }
            if (before != null && drained != null && drained.messagesPublished() > before.messagesPublished() &&
                before.bytesRead() >= 0 && drained.bytesRead() >= 0)
            {
                // Socket bytes per message (all the pieces of a copied one) from the measured window on, drained:
                // what the broker's sockets moved for it.
                final double messages = (drained.messagesPublished() - before.messagesPublished()) /
                    (double)(settings.copyAlternative ? (settings.size + PIECE - 1) / PIECE : 1);
                bytesReadPerMessage = (drained.bytesRead() - before.bytesRead()) / messages;
                bytesWrittenPerMessage = (drained.bytesWritten() - before.bytesWritten()) / messages;
            }
            final double[] latency = settings.rate > 0 ? new double[]{
                all.getValueAtPercentile(50) / 1e3, all.getValueAtPercentile(90) / 1e3,
                all.getValueAtPercentile(99) / 1e3, all.getValueAtPercentile(99.9) / 1e3,
                all.getMaxValue() / 1e3} : null;
            return new BenchResult(settings.publishers, settings.subscribers, settings.size, mode(), transport(), seconds,
                settings.rate, publishedMeasured, delivered, min, max, lost, gaps, latency,
                latency == null ? null : subscriberWait(settings), allocPerMsg,
                datagramsPerDelivery, bytesReadPerMessage, bytesWrittenPerMessage, settings.subscriberProcesses,
                cpu, group);
        }
        finally
        {
            pubs.forEach(BenchPublisher::stop);
            polling = false;
            pubs.forEach((p) -> p.client().close());
            subs.forEach(BusClient::close);
            if (handlerPool != null)
            {
                handlerPool.shutdownNow();
            }
            if (procs != null)
            {
                procs.close();
            }
        }
    }

    private void phase(final int phase, final List<BenchPublisher> pubs, final SubscriberProcesses procs)
    {
        pubs.forEach((p) -> p.measuring(phase == MEASURING));
        for (final SubscriberTally t : tallies)
        {
            t.phase(phase);
        }
        if (procs != null)
        {
            procs.phase(phase);
        }
    }

    /** In-process subscribers: each has everything published, or a GAP notice for what it misses. */
    private boolean allReceived(final long expected)
    {
        if (tallies.length == 0)
        {
            return true; // subscriber processes: each waits itself, or the bench in collect for a group's members
        }
        if (settings.group != null)
        {
            long received = 0;
            for (final SubscriberTally t : tallies)
            {
                received += t.received() + t.gaps();
            }
            return received >= expected;
        }
        for (final SubscriberTally t : tallies)
        {
            if (t.received() + t.gaps() < expected)
            {
                return false;
            }
        }
        return true;
    }

    /** A client left on the socket by a broker that offers no rings would make "shm" figures the socket's. */
    static void checkTransport(final Settings settings, final BusClient client)
    {
        final String actual = client.stats().transport();
        final String wanted = settings.sharedMemory ? BenchResult.SHM : BenchResult.SOCKET;
        if (!actual.equals(wanted))
        {
            throw new IllegalArgumentException("--transport " + wanted + " but the broker put the client on "
                + actual + (settings.sharedMemory ? ": it offers no shared memory (its shm setting, or " +
                "max_shm_bytes_per_uid / max_shm_bytes_total are full)" : ""));
        }
    }

    private String transport()
    {
        return settings.sharedMemory ? BenchResult.SHM : BenchResult.SOCKET;
    }

    private String mode()
    {
        final String mode = settings.copyAlternative ? BenchResult.COPY : memfd ? BenchResult.MEMFD : BenchResult.INLINE;
        final String touched = settings.touch ? mode + BenchResult.TOUCHED : mode;
        // --headers N: "+headersN", so a run with headers is never read as one without.
        final String withHeaders = settings.headers > 0 ? touched + "+headers" + settings.headers : touched;
        // --work NS: "+workNSns", so a run whose handlers work is never set beside one whose handlers only count.
        final String worked = settings.workNs > 0 ? withHeaders + "+work" + settings.workNs + "ns" : withHeaders;
        return settings.group != null ? worked + BenchResult.GROUP : worked;
    }

    /** @return how the subscribers' threads wait, as the report says it ({@link #waitPolicy}). */
    static String subscriberWait(final Settings settings)
    {
        return settings.spin ? "spin" : "idle spin " + (settings.idleSpinUs >= 0 ? settings.idleSpinUs :
            new ClientOptions().idleSpin().toNanos() / 1_000) + " µs";
    }

    /** How a subscriber's thread waits: --spin (never sleeps), --idle-spin, else the client's default. */
    static ClientOptions waitPolicy(final Settings settings, final ClientOptions options)
    {
        if (settings.spin)
        {
            options.busySpin(true).sleepInPoll(false);
        }
        if (settings.idleSpinUs >= 0)
        {
            options.idleSpin(Duration.ofNanos(settings.idleSpinUs * 1_000));
        }
        return options;
    }

    /** A bench client's options: the run's socket and transport, no reconnecting, a patient publish. */
    static ClientOptions clientOptions(final Settings settings, final String name)
    {
        final ClientOptions options = new ClientOptions().clientName(name).threadMode(ThreadMode.POLL)
            .reconnect(false).publishTimeout(Duration.ofSeconds(60)).sharedMemory(settings.sharedMemory);
        if (settings.socket != null)
        {
            options.socket(settings.socket);
        }
        return options;
    }

    /**
     * Throughput runs: one thread polls every subscriber, as a busy consumer would, and idles as an Aeron agent
     * does (a few spins and yields, then parks growing from 1 µs to 100 µs). It used to poll 100 times before it
     * parked: each poll is a recvmsg meeting EAGAIN, and on 2 cores those system calls took the CPU the publisher
     * and the broker needed (1 subscriber: 1.1-1.9 M msgs/s against 2.0-2.6 M now, same run; 16: unchanged).
     */
    private void pollAll(final List<BusClient> subs)
    {
        final int n = subs.size();
        final IdleStrategy idle = new BackoffIdleStrategy(
            10, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
        while (polling)
        {
            int work = 0;
            for (int i = 0; i < n; i++)
            {
                work += subs.get(i).poll();
            }
            idle.idle(work);
        }
    }

    private static void sleep(final double seconds) throws InterruptedException
    {
        Thread.sleep((long)(seconds * 1000));
    }
}

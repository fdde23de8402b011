package io.seqbus.ops.bench;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Headers;
import io.seqbus.client.ThreadMode;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One bench run: P publishers, each on its own thread and connection, publish to one topic as
 * fast as the bus accepts (or paced to a total rate); N subscriber connections count what arrives and, when paced,
 * how long it took (send to receive, one hop): in the bench's process ({@link InProcessSubscribers}) or, with
 * {@link Settings#subscriberProcesses}, each a process of its own ({@link SubscriberProcesses}), as services
 * subscribe. A warm-up comes first; only the measured
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
        final List<BenchPublisher> pubs = new ArrayList<>();
        // Returns once every subscriber has subscribed and synced.
        try (Subscribers subscribers = settings.subscriberProcesses ? new SubscriberProcesses(settings) :
            new InProcessSubscribers(settings))
        {
            try
            {
                return run(subscribers, pubs);
            }
            finally
            {
                pubs.forEach(BenchPublisher::stop);
                pubs.forEach((p) -> p.client().close());
            }
        }
    }

    private BenchResult run(final Subscribers subscribers, final List<BenchPublisher> pubs) throws InterruptedException
    {
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
        new WindowCpu(brokerStats.snapshot(), subscribers.pids()).start();
        sleep(settings.warmupSeconds);
        final BrokerStats before = brokerStats.snapshot();
        final WindowCpu windowCpu = new WindowCpu(before, subscribers.pids());
        windowCpu.start();
        final long t0 = System.nanoTime();
        phase(MEASURING, pubs, subscribers);
        subscribers.sleepWatching((long)(settings.seconds * 1e9));
        phase(DRAINING, pubs, subscribers);
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
        // Each subscriber has everything published, or a GAP notice for what it misses, or its wait ran out.
        final List<Subscribers.Report> reports = subscribers.collect(expected);
        // Everything published in the window is delivered now: the bytes its messages cost the broker's sockets.
        final BrokerStats drained = brokerStats.snapshot();

        long lost = 0;
        long groupReceived = 0;
        long delivered = 0;
        long min = Long.MAX_VALUE;
        long max = 0;
        long gaps = 0;
        final Histogram all = SubscriberTally.newHistogram();
        for (final Subscribers.Report r : reports)
        {
            // In a group each message goes to one member: the loss is what none of them got (below).
            lost += settings.group != null ? 0 : Math.max(0, expected - r.received());
            groupReceived += r.received();
            delivered += r.measured();
            min = Math.min(min, r.measured());
            max = Math.max(max, r.measured());
            gaps += r.gaps();
            // Histograms merge exactly, also those that came from other processes.
            all.add(r.latencyNs());
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

    private static void phase(final int phase, final List<BenchPublisher> pubs, final Subscribers subscribers)
    {
        pubs.forEach((p) -> p.measuring(phase == MEASURING));
        subscribers.phase(phase);
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

    private static void sleep(final double seconds) throws InterruptedException
    {
        Thread.sleep((long)(seconds * 1000));
    }
}

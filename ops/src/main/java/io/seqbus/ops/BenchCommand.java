package io.seqbus.ops;

import io.seqbus.broker.config.BrokerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.Broker;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.ops.bench.Bench;
import io.seqbus.ops.bench.BenchResult;
import io.seqbus.ops.bench.BrokerStats;
import io.seqbus.ops.bench.MemcpyBandwidth;
import io.seqbus.ops.bench.RequestBench;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.StatRequestFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code seqbus bench}: measure a running broker with the real client.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {"Measure a running broker: publishers send to one topic as fast as the bus accepts " +
        "(or at --rate, measuring one-hop latency); subscribers count what arrives.",
        "A payload over the broker's max_payload goes as a sealed memfd (a loan: the publisher writes its first " +
            "16 bytes, the subscribers map it); --copy-alternative sends the same bytes inline in 64 KiB " +
            "publishes, which the broker copies to every subscriber, and reports it beside. The broker's socket " +
            "bytes per message show what it copied."},
    footer = {"", "Examples:", "  seqbus bench --embedded-broker --subs 4 --seconds 2",
        "  seqbus bench --embedded-broker --subs 16 --rate 100 --size 1KiB,64KiB,1MiB,16MiB,64MiB --copy-alternative",
        "  seqbus bench --embedded-broker --subs 16 --size 1MiB --touch --memcpy",
        "  seqbus bench --embedded-broker --subs 16 --sub-procs --rate 10000",
        "  seqbus bench --embedded-broker --group 3   (beside: seqbus bench --embedded-broker --subs 1)",
        "  seqbus bench --embedded-broker --mode request --rate 1000",
        "", "Every run shows the CPU each process used in the measured window (user + system from /proc/PID/stat, " +
            "%% of one core): the bench's, the broker's (its pid from its STAT reply; with --embedded-broker it is " +
            "the bench's) and, with --sub-procs, each subscriber process's (max and mean; all in --json)."})
final class BenchCommand implements Callable<Integer>
{
    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    @Option(names = "--pubs", paramLabel = "P", description = "Publisher connections (default: 1).")
    int pubs = 1;

    @Option(names = "--subs", paramLabel = "N", description = "Subscriber connections (default: 1).")
    int subs = 1;

    @Option(names = "--size", paramLabel = "SIZE", split = ",", converter = ByteSize.class,
        description = "Payload bytes, 16 or more, such as 64, 1KiB, 64MiB; several, comma-separated, are run one " +
            "after the other (default: 64).")
    List<Integer> sizes = new ArrayList<>(List.of(64));

    @Option(names = "--copy-alternative", description = "After each run, run the same bytes again sent inline " +
        "in 64 KiB publishes (the broker copies each to every subscriber), for comparison.")
    boolean copyAlternative;

    @Option(names = "--touch", description = "The publisher writes every byte of each memfd payload and every " +
        "subscriber reads every byte it gets, as applications do (default: only the first 16 bytes).")
    boolean touch;

    @Option(names = "--memcpy", description = "Also measure memcpy bandwidth in this JVM, to set beside the " +
        "delivered GiB/s.")
    boolean memcpy;

    @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds (default: 5).")
    double seconds = 5;

    @Option(names = "--warmup", paramLabel = "S", description = "Warm-up seconds before measuring (default: 1).")
    double warmup = 1;

    @Option(names = "--rate", paramLabel = "R",
        description = "Total msgs/s over all publishers; measures one-hop latency (default: as fast as possible).")
    long rate;

    @Option(names = "--spin", description = "With --rate: each subscriber's thread spins while it waits, never " +
        "sleeping in poll(2) (a core of its own's latency); default: it sleeps once idle for 100 µs.")
    boolean spin;

    @Option(names = "--idle-spin", paramLabel = "US", description = "With --rate: how long each subscriber's " +
        "thread spins after its last message before it sleeps in poll(2), in µs (ClientOptions.idleSpin; its " +
        "adaptive policy still decides whether to spin at all); 0 sleeps at once. Default: the client's, 100.")
    Long idleSpinUs;

    @Option(names = "--sub-procs", description = "Run each of the --subs subscribers in a process of its own (a " +
        "child JVM of this one), as services subscribe; they report their counts and latency histograms to the " +
        "bench, and the CPU of every process is shown. Default: all subscribers in the bench's process.")
    boolean subProcs;

    @Option(names = "--executor", paramLabel = "THREADS", description = "Run each subscriber's handler on a pool " +
        "of THREADS threads instead of the client's thread (SubscriptionOptions.executor: a copy per message into a " +
        "bounded queue), to show that copy's cost. Not with --sub-procs. Default: 0, the client's thread.")
    int executor;

    @Option(names = "--group", paramLabel = "N", description = "N subscribers, all members of one queue group " +
        "(each message goes to one of them): delivered msgs/s is then what the group takes, to set beside a run " +
        "of one ordinary subscriber. Replaces --subs; with --sub-procs each member is a process of its own, as a " +
        "group is deployed (set it beside --subs 1 --sub-procs). --json adds \"group\": the members' receipts " +
        "added up against what was published, and duplicates.")
    int group;

    @Option(names = "--work", paramLabel = "NS", description = "Each subscriber's handler spends NS nanoseconds of " +
        "CPU per message (a busy loop), as a consumer that does work would: the load queue groups are for " +
        "(default: 0, handlers that only count).")
    long workNs;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Topic to use (default: bench.data).")
    String topic = "bench.data";

    @Option(names = "--transport", paramLabel = "T", description = "How the publishers and subscribers reach the " +
        "broker: socket, or shm (shared-memory rings; the broker must offer them, see its shm setting). Default: " +
        "shm if SEQBUS_SHARED_MEMORY=on, else socket; SEQBUS_SHARED_MEMORY, if set, must agree with it.")
    Transport transport;

    /** The values of --transport, as typed. */
    enum Transport
    {
        socket,
        shm
    }

    @Option(names = "--headers", paramLabel = "N", description = "Publish every inline message with N headers of " +
        "realistic size (traceparent, tracestate, content-type, then 32-byte x-bench-I entries); 0, the default, " +
        "none: compare the two for what headers cost and that their absence costs nothing.")
    int headers;

    @Option(names = "--json", description = "Print one JSON object per run (and one for --memcpy) instead of a report.")
    boolean json;

    @Option(names = "--mode", paramLabel = "MODE", description = "publish (default): publishers and subscribers as " +
        "above; request: the round trip of a request through a replier beside the one-way latency of a publish, " +
        "both at --rate (default 1000/s) with the first --size.")
    Mode mode = Mode.publish;

    /** The values of --mode, as typed. */
    enum Mode
    {
        publish,
        request
    }

    @Option(names = "--embedded-broker",
        description = "Start a broker inside this process on a private socket instead of using a running one.")
    boolean embeddedBroker;

    @Override
    public Integer call() throws Exception
    {
        transport = resolveTransport(System.getenv(ENV_SHARED_MEMORY));
        if (mode == Mode.request)
        {
            return requestMode();
        }
        final List<Bench.Settings> runs = new ArrayList<>();
        for (final int size : sizes)
        {
            runs.add(settings(size, false));
            if (copyAlternative)
            {
                runs.add(settings(size, true));
            }
        }
        // Checked before any run: a bad size fails at once, not after minutes of measuring.
        runs.forEach((s) -> new Bench(s, () -> null));
        if (!embeddedBroker)
        {
            final String target = socket != null ? socket : DefaultSocket.resolveChecked();
            return runAll(runs, target, () -> statsOf(target));
        }
        final Path dir = Files.createTempDirectory("seqbus-bench");
        final String embedded = dir.resolve("bench.sock").toString();
        // The rings offered whatever the default: an shm run must not fall back to the socket.
        try (Broker broker = Broker.launch(transport == Transport.shm ? new BrokerContext().socket(embedded).shm(true) :
            new BrokerContext().socket(embedded)))
        {
            return runAll(runs, embedded, () -> statsOf(broker.counters()));
        }
        finally
        {
            Files.deleteIfExists(dir);
        }
    }

    // --mode request (issue 19): its own small run, RequestBench.
    private int requestMode() throws Exception
    {
        if (!embeddedBroker)
        {
            final String target = socket != null ? socket : DefaultSocket.resolveChecked();
            System.out.print(new RequestBench(target, sizes.get(0), rate, seconds, warmup,
                transport == Transport.shm).run());
            return 0;
        }
        final Path dir = Files.createTempDirectory("seqbus-bench");
        final String embedded = dir.resolve("bench.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(embedded).shm(transport == Transport.shm)))
        {
            System.out.print(new RequestBench(embedded, sizes.get(0), rate, seconds, warmup,
                transport == Transport.shm).run());
            return 0;
        }
        finally
        {
            Files.deleteIfExists(dir);
        }
    }

    /** The client's override of its sharedMemory option (ClientOptions). */
    static final String ENV_SHARED_MEMORY = "SEQBUS_SHARED_MEMORY";

    /**
     * The transport to use: --transport, else what the environment tells every client, else the socket. The
     * environment overrides a client's option, so a --transport it contradicts would report the other transport's
     * figures: that is refused.
     */
    Transport resolveTransport(final String env)
    {
        final Transport fromEnv = env == null || env.isEmpty() ? null : "on".equals(env) ? Transport.shm :
            "off".equals(env) ? Transport.socket : null;
        if (env != null && !env.isEmpty() && fromEnv == null)
        {
            throw new IllegalArgumentException(ENV_SHARED_MEMORY + "=" + env +
                " is neither on nor off");
        }
        if (transport != null && fromEnv != null && transport != fromEnv)
        {
            throw new IllegalArgumentException("--transport " + transport + " but "
                + ENV_SHARED_MEMORY + "=" + env + " overrides it for every client: unset it or set it to "
                + (transport == Transport.shm ? "on" : "off"));
        }
        return transport != null ? transport : fromEnv != null ? fromEnv : Transport.socket;
    }

    private Bench.Settings settings(final int size, final boolean copy)
    {
        final Bench.Settings s = new Bench.Settings();
        s.socket = socket;
        s.publishers = pubs;
        s.subscribers = subs;
        s.size = size;
        s.copyAlternative = copy;
        s.touch = touch;
        s.seconds = seconds;
        s.warmupSeconds = warmup;
        s.rate = rate;
        s.topic = topic;
        s.sharedMemory = transport == Transport.shm;
        s.spin = spin;
        if (idleSpinUs != null)
        {
            if (idleSpinUs < 0 || idleSpinUs > 1_000_000)
            {
                throw new IllegalArgumentException("--idle-spin must be between 0 and 1000000 µs, not " + idleSpinUs);
            }
            s.idleSpinUs = idleSpinUs;
        }
        s.subscriberProcesses = subProcs;
        s.executorThreads = executor;
        s.headers = headers;
        if (workNs < 0)
        {
            throw new IllegalArgumentException("--work must be 0 or more nanoseconds, not " + workNs);
        }
        s.workNs = workNs;
        if (group > 0)
        {
            s.subscribers = group;
            s.group = "bench";
        }
        return s;
    }

    private int runAll(final List<Bench.Settings> runs, final String target, final BrokerStats.Source stats)
        throws InterruptedException, IOException
    {
        // Before the runs, in a JVM with nothing else going on yet.
        final double memcpyGib = memcpy ? MemcpyBandwidth.measureGibPerSec(Math.max(1, seconds)) : Double.NaN;
        final List<BenchResult> results = new ArrayList<>();
        for (final Bench.Settings s : runs)
        {
            s.socket = target;
            final BenchResult result = new Bench(s, stats).run();
            results.add(result);
            System.out.print(json ? result.toJson() + System.lineSeparator() : result.toText());
            System.out.flush();
        }
        if (!json && results.size() > 1)
        {
            System.out.print(summary(results));
        }
        if (memcpy)
        {
            final double gib = memcpyGib;
            System.out.println(json ? String.format(Locale.ROOT, "{\"memcpy_gib_per_sec\":%.4f}", gib) :
                String.format(Locale.ROOT, "memcpy in this JVM: %.2f GiB/s", gib));
        }
        return 0;
    }

    /** One line per run, the runs of one size side by side: what the issue's benchmark table shows. */
    private static String summary(final List<BenchResult> results)
    {
        final StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
            "%n%10s  %-12s  %10s  %10s  %12s  %10s  %14s  %16s%n", "size", "mode", "p50 µs", "p99 µs", "msgs/s",
            "GiB/s", "broker read/msg", "broker written/msg"));
        for (final BenchResult r : results)
        {
            sb.append(String.format(Locale.ROOT, "%10s  %-12s  %10s  %10s  %,12.0f  %10.3f  %14s  %16s%n",
                humanBytes(r.payloadBytes()), r.mode(),
                r.latencyUs() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.latencyUs()[0]),
                r.latencyUs() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.latencyUs()[2]),
                r.deliveredPerSec(), r.deliveredGibPerSec(), bytes(r.brokerBytesReadPerMsg()),
                bytes(r.brokerBytesWrittenPerMsg())));
        }
        return sb.toString();
    }

    private static String humanBytes(final int bytes)
    {
        if (bytes >= (1 << 20) && bytes % (1 << 20) == 0)
        {
            return (bytes >> 20) + " MiB";
        }
        return bytes >= 1024 && bytes % 1024 == 0 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    private static String bytes(final double value)
    {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%,.0f", value);
    }

    /** The broker's own figures over its socket (STAT_REQUEST), or null if it cannot say. */
    private static BrokerStats statsOf(final String socket)
    {
        try
        {
            final JsonNode stat = new ObjectMapper().readTree(StatClient.request(
                socket, StatRequestFrame.NO_CLIENTS | StatRequestFrame.NO_TOPICS));
            final JsonNode totals = stat.path("totals");
            return new BrokerStats(totals.path("agent_allocated_bytes").asLong(),
                totals.path("datagrams_written").asLong(), totals.path("messages_delivered").asLong(),
                totals.path("messages_published").asLong(), totals.path("bytes_read").asLong(-1),
                totals.path("bytes_written").asLong(-1), stat.path("broker").path("pid").asLong(-1));
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    static BrokerStats statsOf(final BrokerCounters c)
    {
        return new BrokerStats(c.get(BrokerCounters.AGENT_ALLOCATED_BYTES), c.get(BrokerCounters.DATAGRAMS_WRITTEN),
            c.get(BrokerCounters.MESSAGES_DELIVERED), c.get(BrokerCounters.MESSAGES_PUBLISHED),
            c.get(BrokerCounters.BYTES_READ),
            c.get(BrokerCounters.BYTES_WRITTEN), ProcessHandle.current().pid()); // the broker in this process
    }
}

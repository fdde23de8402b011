package io.seqbus.ops;

import io.seqbus.ops.soak.BrokerProbe;
import io.seqbus.ops.soak.ChildBroker;
import io.seqbus.ops.soak.Soak;
import io.seqbus.wire.BusSocket;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code seqbus soak}: many clients with churn for minutes; the broker's memory, descriptors and
 * collections must stay flat.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {"Hold many client connections for minutes with churn (clients replaced, subscribing, publishing) " +
        "and print the broker's RSS, open fds and GC figures at the start, end and in between, then a verdict.",
        "Without --socket it starts its own broker as a child process (so its figures are the broker's alone); " +
            "with --socket it finds the broker's pid by SO_PEERCRED and reads GC figures from --metrics.",
        "Thresholds (start = after warm-up): live heap after a forced full GC +10%% +4 MiB, RSS +10%% +16 MiB, " +
            "fds +-(2%% of clients + 16), fds after all clients closed <= before any connected + 4, " +
            "messages delivered between every two samples, no message out of order. Exit code 0 when flat, 1 when not."})
final class SoakCommand implements Callable<Integer>
{
    @Option(names = "--socket", paramLabel = "PATH", description = "Soak a running broker at this socket instead of a child broker.")
    String socket;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
        description = "With --socket: the broker's metrics endpoint, for GC and heap figures (default: 127.0.0.1:9464).")
    String metrics = "127.0.0.1:9464";

    @Option(names = "--clients", paramLabel = "N", description = "Client connections held at once (default: 1000).")
    int clients = 1000;

    @Option(names = "--minutes", paramLabel = "M", description = "Minutes under load after the warm-up (default: 10).")
    double minutes = 10;

    @Option(names = "--warmup", paramLabel = "S", description = "Seconds of load before the start sample (default: 30).")
    int warmup = 30;

    @Option(names = "--threads", paramLabel = "T", description = "Threads driving the clients (default: 4).")
    int threads = 4;

    @Option(names = "--rate", paramLabel = "R", description = "Messages per second over all clients (default: 1000).")
    int rate = 1000;

    @Option(names = "--churn", paramLabel = "C", description = "Clients replaced per second (default: 20).")
    int churn = 20;

    @Option(names = "--samples", paramLabel = "N", description = "Samples under load, start and end included (default: 10).")
    int samples = 10;

    @Option(names = "--broker-java-opts", paramLabel = "OPTS",
        description = "JVM options of the child broker (default: the launcher's, -Xms256m -Xmx512m -Xmn160m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError).")
    String brokerJavaOpts = "-Xms256m -Xmx512m -Xmn160m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";

    @Override
    public Integer call() throws Exception
    {
        if (clients < 1 || threads < 1 || samples < 2 || minutes <= 0 || warmup < 0)
        {
            throw new IllegalArgumentException("--clients and --threads must be >= 1, --samples >= 2, --minutes > 0");
        }
        final long ownLimit = new BrokerProbe(ProcessHandle.current().pid(), null).maxOpenFiles();
        // Each client holds its socket and its selector's descriptors.
        final long ownNeed = clients * 4L + 256;
        if (ownLimit >= 0 && ownLimit < ownNeed)
        {
            throw new IllegalArgumentException("this process may open " + ownLimit + " files, " + clients +
                " clients need about " + ownNeed + ": raise it (ulimit -n " + ownNeed + ")");
        }
        final Soak.Settings s = new Soak.Settings();
        s.clients = clients;
        s.minutes = minutes;
        s.warmupSeconds = warmup;
        s.threads = threads;
        s.rate = rate;
        s.churn = churn;
        s.samples = samples;
        if (socket != null)
        {
            s.socket = socket;
            final long pid = brokerPid(socket);
            System.out.println("soak: broker pid " + pid + " at " + socket + ", metrics " + metrics);
            return run(s, new BrokerProbe(pid, metrics));
        }
        final Path dir = Files.createTempDirectory("seqbus-soak");
        final List<String> opts = Arrays.asList(brokerJavaOpts.trim().split("\\s+"));
        int code = 1;
        try (ChildBroker broker = ChildBroker.start(dir, opts))
        {
            s.socket = broker.socket();
            System.out.println("soak: child broker pid " + broker.pid() + " at " + broker.socket() + ", metrics " +
                broker.metrics() + ", log " + broker.log());
            code = run(s, new BrokerProbe(broker.pid(), broker.metrics()));
            return code;
        }
        finally
        {
            if (code == 0)
            {
                // Keep the broker's log of a run that was not flat; a flat one leaves nothing behind.
                try (java.util.stream.Stream<Path> files = Files.list(dir))
                {
                    for (final Path f : files.toList())
                    {
                        Files.deleteIfExists(f);
                    }
                }
                Files.deleteIfExists(dir);
            }
        }
    }

    private int run(final Soak.Settings s, final BrokerProbe probe) throws InterruptedException
    {
        final long brokerLimit = probe.maxOpenFiles();
        System.out.println("soak: " + s.clients + " clients on " + s.threads + " threads, " + s.rate + " msg/s, " +
            s.churn + " replaced/s, " + s.warmupSeconds + " s warm-up, " + s.minutes + " min; broker may open " +
            brokerLimit + " files");
        if (brokerLimit >= 0 && brokerLimit < s.clients + 64L)
        {
            throw new IllegalArgumentException("the broker may open only " + brokerLimit + " files for " + s.clients +
                " clients: raise its limit (LimitNOFILE=, ulimit -n)");
        }
        return new Soak(s, probe, System.out).run() ? 0 : 1;
    }

    /** The broker's pid as the kernel reports it for a connection to it (SO_PEERCRED). */
    private static long brokerPid(final String socket) throws IOException
    {
        try (AFUNIXDatagramChannel c = BusSocket.connect(socket))
        {
            return ((org.newsclub.net.unix.AFUNIXDatagramSocket)c.socket()).getPeerCredentials().getPid();
        }
    }
}

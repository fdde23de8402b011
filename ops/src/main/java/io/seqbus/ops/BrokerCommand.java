package io.seqbus.ops;

import io.seqbus.broker.Broker;
import io.seqbus.wire.SlowConsumerPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import sun.misc.Signal;

/**
 * {@code seqbus broker}: the daemon, in the foreground.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {"Run the broker in the foreground. SIGTERM or Ctrl-C stops it cleanly: no new connections, "
        + "queued deliveries go out (up to 5 s), exit 0. SIGHUP reloads what can change while running.",
        "Under systemd it uses the socket passed by socket activation (LISTEN_FDS) and reports "
        + "READY, STATUS, WATCHDOG and STOPPING through NOTIFY_SOCKET."})
final class BrokerCommand implements Callable<Integer>
{
    @Option(names = "--socket", paramLabel = "PATH", description = "Socket path, or @name for an abstract socket.")
    String socket;

    @Option(names = "--node-name", paramLabel = "NAME", description = "Name of this node (default: host name).")
    String nodeName;

    @Option(names = "--max-payload", paramLabel = "BYTES", description = "Largest message accepted (default: 65536).")
    Integer maxPayload;

    @Option(names = "--max-queue-bytes", paramLabel = "BYTES",
        description = "Bytes queued per subscriber before publishers are held back (default: 4194304).")
    Integer maxQueueBytes;

    @Option(names = "--stall-timeout-ms", paramLabel = "MS",
        description = "How long one full subscriber may hold publishers back before it is evicted (default: 10000).")
    Long stallTimeoutMs;

    @Option(names = "--default-policy", paramLabel = "POLICY",
        description = "Slow-consumer policy of subscriptions that choose none: block (default), drop-oldest, " +
            "drop-newest or disconnect.")
    String defaultPolicy;

    @Override
    public Integer call() throws Exception
    {
        final Broker.Context context = new Broker.Context().socket(socket).nodeName(nodeName);
        if (maxPayload != null)
        {
            context.maxPayload(maxPayload);
        }
        if (maxQueueBytes != null)
        {
            context.maxQueueBytes(maxQueueBytes);
        }
        if (defaultPolicy != null)
        {
            context.defaultPolicy(SlowConsumerPolicy.fromLabel(defaultPolicy));
        }
        if (stallTimeoutMs != null)
        {
            context.stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs));
        }
        final Broker broker = Broker.launch(context);
        final CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM and Ctrl-C mean "stop cleanly": close, then exit 0 (not 143), as systemd expects.
        for (final String name : new String[]{"TERM", "INT"})
        {
            Signal.handle(new Signal(name), (signal) -> stop.countDown());
        }
        // SIGHUP is systemd's ExecReload: reload what can change while running.
        Signal.handle(new Signal("HUP"), (signal) -> broker.reload());
        stop.await();
        broker.close();
        return 0;
    }
}

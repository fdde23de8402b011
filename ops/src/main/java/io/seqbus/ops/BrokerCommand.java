package io.seqbus.ops;

import io.seqbus.broker.Broker;
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
    description = "Run the broker in the foreground. SIGTERM or Ctrl-C stops it cleanly.")
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

    @Option(names = "--lan-channel", paramLabel = "AERON_CHANNEL",
        description = {"Bridge shared topics to the other brokers of the LAN over this Aeron channel (default: none, " +
            "no bridge). Multicast: aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24 (an odd group " +
            "address; Aeron uses the next one for control). With --lan-peers: this broker's own unicast endpoint, " +
            "e.g. aeron:udp?endpoint=10.77.0.1:40460."})
    String lanChannel;

    @Option(names = "--lan-stream", paramLabel = "ID", description = "Aeron stream id of the bridge (default: 7301).")
    Integer lanStream;

    @Option(names = "--lan-topics", paramLabel = "PATTERNS",
        description = "Comma-separated patterns of the topics shared with the LAN, both ways, e.g. 'orders.>,prices.*' " +
            "(default: none, so nothing leaks by accident).")
    String lanTopics;

    @Option(names = "--lan-peers", paramLabel = "HOST:PORT,...",
        description = "Unicast fallback where the network has no multicast: every broker's endpoint (the same list on " +
            "every host; a broker skips itself). The bridge sends to each over Aeron multi-destination-cast.")
    String lanPeers;

    @Option(names = "--lan-flow-control", paramLabel = "FC",
        description = "Aeron flow control of the bridge (default: min,t:500ms: the sender paces to the slowest live " +
            "receiver, so a lossy one is repaired, not left behind; a silent one is dropped after 500 ms). Also: " +
            "tagged,g:TAG/MIN. Never max.")
    String lanFlowControl;

    @Option(names = "--aeron-dir", paramLabel = "DIR",
        description = "Aeron directory (default: /dev/shm/seqbus-aeron-NODE-PID with the embedded driver, removed on " +
            "exit; Aeron's default with an external one).")
    String aeronDir;

    @Option(names = "--aeron-driver", paramLabel = "embedded|external",
        description = "Run Aeron's media driver inside the broker on one shared thread (default: embedded), or use a " +
            "running one at --aeron-dir.")
    String aeronDriver;

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
        if (stallTimeoutMs != null)
        {
            context.stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs));
        }
        if (lanChannel != null)
        {
            context.lanChannel(lanChannel);
        }
        if (lanStream != null)
        {
            context.lanStream(lanStream);
        }
        if (lanTopics != null)
        {
            context.lanTopics(lanTopics);
        }
        if (lanPeers != null)
        {
            context.lanPeers(lanPeers);
        }
        if (lanFlowControl != null)
        {
            context.lanFlowControl(lanFlowControl);
        }
        if (aeronDir != null)
        {
            context.aeronDir(aeronDir);
        }
        if (aeronDriver != null)
        {
            context.aeronDriver(aeronDriver);
        }
        final Broker broker = Broker.launch(context);
        final CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM and Ctrl-C mean "stop cleanly": close, then exit 0 (not 143), as systemd expects.
        for (final String name : new String[]{"TERM", "INT"})
        {
            Signal.handle(new Signal(name), (signal) -> stop.countDown());
        }
        stop.await();
        broker.close();
        return 0;
    }
}

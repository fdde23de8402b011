package io.seqbus.ops;

import io.seqbus.broker.config.BrokerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.Broker;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.ops.bench.Bench;
import io.seqbus.ops.bench.BenchResult;
import io.seqbus.ops.bench.BrokerStats;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.StatRequestFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code seqbus bench}: measure a running broker with the real client.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {"Measure a running broker: publishers send to one topic as fast as the bus accepts " +
        "(or at --rate, measuring one-hop latency); subscribers count what arrives.",
        "Compare figures with ../shared/bench/limit run on the same machine at the same time."})
final class BenchCommand extends ClientCommand implements Callable<Integer>
{
    @Option(names = "--pubs", paramLabel = "P", description = "Publisher connections (default: 1).")
    int pubs = 1;

    @Option(names = "--subs", paramLabel = "N", description = "Subscriber connections (default: 1).")
    int subs = 1;

    @Option(names = "--size", paramLabel = "BYTES", description = "Payload bytes, 16 or more (default: 64).")
    int size = 64;

    @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds (default: 5).")
    double seconds = 5;

    @Option(names = "--warmup", paramLabel = "S", description = "Warm-up seconds before measuring (default: 1).")
    double warmup = 1;

    @Option(names = "--rate", paramLabel = "R",
        description = "Total msgs/s over all publishers; measures one-hop latency (default: as fast as possible).")
    long rate;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Topic to use (default: bench.data).")
    String topic = "bench.data";

    @Option(names = "--json", description = "Print one JSON object instead of a report.")
    boolean json;

    @Option(names = "--embedded-broker",
        description = "Start a broker inside this process on a private socket instead of using a running one.")
    boolean embeddedBroker;

    @Override
    public Integer call() throws Exception
    {
        final Bench.Settings s = new Bench.Settings();
        s.socket = socket;
        s.publishers = pubs;
        s.subscribers = subs;
        s.size = size;
        s.seconds = seconds;
        s.warmupSeconds = warmup;
        s.rate = rate;
        s.topic = topic;
        if (!embeddedBroker)
        {
            final String target = socket != null ? socket : DefaultSocket.resolveChecked();
            return report(new Bench(s, () -> statsOf(target)).run());
        }
        final Path dir = Files.createTempDirectory("seqbus-bench");
        s.socket = dir.resolve("bench.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(s.socket)))
        {
            return report(new Bench(s, () -> statsOf(broker.counters())).run());
        }
        finally
        {
            Files.deleteIfExists(dir);
        }
    }

    private int report(final BenchResult result)
    {
        System.out.print(json ? result.toJson() + System.lineSeparator() : result.toText());
        return 0;
    }

    /** The broker's own figures over its socket (STAT_REQUEST), or null if it cannot say. */
    private static BrokerStats statsOf(final String socket)
    {
        try
        {
            final JsonNode totals = new ObjectMapper().readTree(StatClient.request(
                socket, StatRequestFrame.NO_CLIENTS | StatRequestFrame.NO_TOPICS)).path("totals");
            return new BrokerStats(totals.path("agent_allocated_bytes").asLong(),
                totals.path("datagrams_written").asLong(), totals.path("messages_delivered").asLong());
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    static BrokerStats statsOf(final BrokerCounters c)
    {
        return new BrokerStats(c.get(BrokerCounters.AGENT_ALLOCATED_BYTES), c.get(BrokerCounters.DATAGRAMS_WRITTEN),
            c.get(BrokerCounters.MESSAGES_DELIVERED));
    }
}

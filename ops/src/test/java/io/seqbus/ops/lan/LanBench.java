package io.seqbus.ops.lan;

import io.seqbus.ops.lan.NetnsLan.Started;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Bridge benchmark across two hosts (network namespaces): messages/s flat out, and one-hop latency
 * percentiles at a steady rate, each on a clean link and with 5% loss, 1% duplication and 10% reordering
 * towards the receiver. Prints figures; asserts nothing. Run as root with {@code ops/bench/lan-bench.sh}, which
 * builds the checkout and sets the class path (README, "Several hosts").
 * <pre>LanBench [THROUGHPUT_COUNT] [LATENCY_COUNT] [LATENCY_RATE] [WARMUP_SECONDS]</pre>
 * Messages are small (16 bytes: the publisher's System.nanoTime() and a counter; topic {@code bench.x}); one-hop
 * latency is from the publisher's send to the subscriber's handler, as {@code seqbus bench} measures it.
 */
public final class LanBench
{
    private LanBench()
    {
    }

    /**
     * @param args optional counts, rate and the paced runs' warm-up.
     * @throws Exception when a step fails.
     */
    public static void main(final String[] args) throws Exception
    {
        final int flatOut = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        final int paced = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        final int rate = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
        final int warmupSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        try (NetnsLan lan = NetnsLan.create(2))
        {
            for (final boolean impaired : new boolean[]{false, true})
            {
                if (impaired)
                {
                    lan.impair('b', 5, 1, 10);
                }
                final String link = impaired ? "5% loss, 1% dup, 10% reorder" : "clean link";
                System.out.println(run(lan, flatOut, 0, 0, "flat out, " + link));
                System.out.println(run(lan, paced, rate, warmupSeconds, rate + " msgs/s, " + link));
                lan.killAll();
            }
        }
        System.exit(0);
    }

    private static String run(final NetnsLan lan, final int count, final int rate, final int warmupSeconds,
        final String label) throws Exception
    {
        final String[] lanArgs = {"--lan-channel", "aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24",
            "--lan-topics", "bench.>"};
        final Started a = lan.broker('a', lanArgs);
        final Started b = lan.broker('b', lanArgs);
        a.awaitLine("peer " + lan.nodeName('b') + " (node", Duration.ofSeconds(60));
        b.awaitLine("peer " + lan.nodeName('a') + " (node", Duration.ofSeconds(60));
        // Paced runs measure steady state, as seqbus bench does after its warm-up.
        final int warmup = rate * warmupSeconds;
        final Started sub = lan.client('b', "bench-sub", "bench-sub", lan.socket('b'), "bench.>",
            Integer.toString(warmup), Integer.toString(count));
        sub.awaitLine("READY", Duration.ofSeconds(60));
        final Started pub = lan.client('a', "bench-pub", "bench-pub", lan.socket('a'), "bench.end",
            Integer.toString(warmup + count), Integer.toString(rate), "bench.x");
        // Waiting on the process, not polling its output: the poll woke this JVM ten times a second, in the measurement.
        if (!sub.process().waitFor(300, TimeUnit.SECONDS))
        {
            throw new IllegalStateException("bench-sub did not finish: " + sub.log());
        }
        sub.awaitLine("RESULT", Duration.ofSeconds(10));
        pub.process().waitFor(60, TimeUnit.SECONDS);
        a.process().destroy();
        b.process().destroy();
        a.process().waitFor(10, TimeUnit.SECONDS);
        b.process().waitFor(10, TimeUnit.SECONDS);
        final String result = sub.lines().stream().filter(l -> l.startsWith("RESULT")).findFirst().orElse("?");
        return label + ": " + result.substring("RESULT ".length());
    }
}

package io.seqbus.ops.bench;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.DataFormatException;

/**
 * One subscriber of {@code seqbus bench --sub-procs}, in a process of its own, as a service subscribes: the bench
 * starts it with {@link SubscriberProcesses} and talks to it over its standard streams, one line at a time.
 *
 * <p>It connects, subscribes and syncs, then prints {@code {"ready":PID}}. On stdin the bench then sends
 * {@code measure} (the window starts), {@code drain} (it ends) and {@code expect N} (N messages were published in
 * all): it waits until it has them (or GAP notices for them, at most {@link #DRAIN_WAIT}), closes its client and
 * prints {@code {"received":R,"measured":M,"gaps":G,"latency_ns":"..."}}, the latency histogram in HdrHistogram's
 * compressed form, base64, so that the bench merges histograms exactly instead of averaging percentiles. If stdin
 * ends first (the bench is gone), it exits at once.
 *
 * <p>With {@code --group NAME} it joins that queue group: it gets only its share, so it cannot tell from N when it
 * has its part. The bench then asks {@code count} (it answers {@code {"count":C}}, messages and GAP notices so far)
 * until the members' counts add up to what was published, and sends {@code expect 0}.
 */
public final class SubscriberProcess
{
    /** How long a subscriber waits for the messages the bench says were published. */
    static final Duration DRAIN_WAIT = Duration.ofSeconds(30);
    private static final Duration SYNC = Duration.ofSeconds(10);
    // How long one wait in poll may last: the run's end is seen within it.
    private static final Duration POLL_WAIT = Duration.ofMillis(50);

    private volatile boolean polling = true;

    private SubscriberProcess()
    {
    }

    /**
     * @param args what {@link SubscriberProcesses} passes: {@code INDEX SOCKET TOPIC} then flags.
     */
    public static void main(final String[] args)
    {
        final Bench.Settings s = new Bench.Settings();
        final int index = Integer.parseInt(args[0]);
        s.socket = args[1];
        s.topic = args[2];
        for (int i = 3; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--rate" -> s.rate = Long.parseLong(args[++i]);
                case "--shm" -> s.sharedMemory = true;
                case "--spin" -> s.spin = true;
                case "--idle-spin" -> s.idleSpinUs = Long.parseLong(args[++i]);
                case "--touch" -> s.touch = true;
                case "--copy-alternative" -> s.copyAlternative = true;
                case "--group" -> s.group = args[++i];
                case "--work" -> s.workNs = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        int status;
        try
        {
            status = new SubscriberProcess().run(s, index, in, System.out);
        }
        catch (final RuntimeException ex)
        {
            // One line the bench shows as this process's last words.
            System.err.println("bench subscriber " + index + ": " + ex.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    private int run(final Bench.Settings s, final int index, final BufferedReader in, final PrintStream out)
    {
        final SubscriberTally tally = new SubscriberTally(s.rate > 0, s.touch, s.copyAlternative, s.workNs);
        // The same client as the in-process mode's: POLL for throughput, polled by this process's one thread; a
        // DEDICATED client thread when paced.
        final ClientOptions options = Bench.waitPolicy(s, Bench.clientOptions(s, "bench-sub-" + index))
            .threadMode(s.rate > 0 ? ThreadMode.DEDICATED : ThreadMode.POLL)
            .pollDatagramLimit(256).gapHandler((g) -> tally.onGap(g.count()));
        try (BusClient sub = BusClient.connect(options))
        {
            sub.subscribe(s.topic, tally::onMessage, new SubscriptionOptions().group(s.group));
            // The rings come in the datagram after WELCOME: the sync's PONG comes after them.
            sub.sync(SYNC);
            Bench.checkTransport(s, sub);
            final Thread poller = new Thread(() -> poll(sub), "bench-subscriber");
            if (s.rate == 0)
            {
                poller.start();
            }
            out.println("{\"ready\":" + ProcessHandle.current().pid() + "}");
            out.flush();
            long expected = -1;
            String line;
            while (expected < 0 && (line = in.readLine()) != null)
            {
                switch (line.split(" ")[0])
                {
                    case "measure" -> tally.phase(SubscriberTally.MEASURING);
                    case "drain" -> tally.phase(SubscriberTally.DRAINING);
                    case "expect" -> expected = Long.parseLong(line.substring("expect ".length()));
                    case "count" -> // a group member's progress: stale by a message or two at most, asked again
                    {
                        out.println("{\"count\":" + (tally.received() + tally.gaps()) + "}");
                        out.flush();
                    }
                    default -> throw new IllegalArgumentException("unknown command from the bench: " + line);
                }
            }
            if (expected < 0)
            {
                return 1; // the bench is gone: nobody to report to
            }
            final long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
            while (System.nanoTime() < deadline && tally.received() + tally.gaps() < expected)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            polling = false;
            poller.join(5_000);
        }
        catch (final IOException ex)
        {
            System.err.println("bench subscriber " + index + ": " + ex);
            return 1;
        }
        catch (final InterruptedException ex)
        {
            return 1;
        }
        // The client is closed: its thread no longer records, and the figures are final.
        out.println("{\"received\":" + tally.received() + ",\"measured\":" + tally.measured() + ",\"gaps\":" +
            tally.gaps() + ",\"latency_ns\":\"" + encode(tally.latencyNs()) + "\"}");
        out.flush();
        return 0;
    }

    /**
     * One subscriber polled as a service's own thread would: {@link BusClient#poll(Duration)} spins only while that
     * pays (the client's adaptive spin) and otherwise sleeps in poll(2) until the broker writes. A busy poll loop here
     * would burn a core per process while waiting, which on a small machine starves the broker and the publisher,
     * and measures the loop, not the bus (a group of 3 is 3 processes).
     */
    private void poll(final BusClient sub)
    {
        while (polling)
        {
            sub.poll(POLL_WAIT);
        }
    }

    static String encode(final Histogram h)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        final int length = h.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
    }

    static Histogram decode(final String base64)
    {
        try
        {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        }
        catch (final DataFormatException ex)
        {
            throw new IllegalStateException("a subscriber process sent a latency histogram that does not decode", ex);
        }
    }
}

package io.seqbus.ops.lan;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A client for the LAN tests, run inside a network namespace with {@code ip netns exec}.
 * <pre>
 * sub SOCKET END_TOPIC END_MARKERS PATTERN...   print READY once subscribed, then one line per
 *                         message ("D sub node publisher sequence topic payload millis") or gap
 *                         ("G sub node count reason millis"); exit after END_MARKERS messages on END_TOPIC
 * pub SOCKET END_TOPIC PUBLISHERS COUNT RATE TOPIC...   PUBLISHERS connections each publish COUNT
 *                         messages (payload "p:k", topics taken in turn), RATE per second in all
 *                         (0 = as fast as the bus takes them), then one each on END_TOPIC
 * bench-pub SOCKET END_TOPIC COUNT RATE TOPIC   publishes COUNT 16-byte messages whose payload starts with
 *                         System.nanoTime() when published, RATE per second (0 = as fast as the bus takes them), then
 *                         one on END_TOPIC
 * bench-sub SOCKET PATTERN WARMUP COUNT   receives WARMUP + COUNT bench-pub messages and prints the rate and the
 *                         one-hop latency (the publisher's send to this subscriber's handler, as seqbus bench
 *                         measures it) of the last COUNT
 * pub-random SOCKET END_TOPIC COUNT MAX_PAUSE_MS TOPIC   publishes COUNT messages whose payload is the wall clock
 *                         in ms when published, each after a random pause of 0 to MAX_PAUSE_MS, then one on END_TOPIC
 * </pre>
 */
public final class LanClient
{
    private LanClient()
    {
    }

    /**
     * @param args see the class comment.
     * @throws Exception on failure; the exit code is then not 0.
     */
    public static void main(final String[] args) throws Exception
    {
        if ("bench-sub".equals(args[0]))
        {
            benchSub(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        }
        else if ("bench-pub".equals(args[0]))
        {
            benchPub(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), args[5]);
        }
        else if ("pub-random".equals(args[0]))
        {
            pubRandom(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), args[5]);
        }
        else if ("sub".equals(args[0]))
        {
            sub(args[1], args[2], Integer.parseInt(args[3]), List.of(args).subList(4, args.length));
        }
        else
        {
            pub(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                List.of(args).subList(6, args.length));
        }
        System.exit(0);
    }

    private static void sub(final String socket, final String endTopic, final int endMarkers, final List<String> patterns)
        throws Exception
    {
        final PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        final CountDownLatch done = new CountDownLatch(endMarkers);
        final BusClient bus = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)
            .reconnect(true).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .connectTimeout(Duration.ofSeconds(20)));
        for (int i = 0; i < patterns.size(); i++)
        {
            final int index = i;
            bus.subscribe(patterns.get(i), (m) ->
            {
                synchronized (out)
                {
                    out.println("D " + index + " " + Integer.toHexString(m.sourceNode()) + " " +
                        Long.toHexString(m.publisherId()) + " " + m.sequence() + " " + m.topic() + " " +
                        m.payloadAsString() + " " + System.currentTimeMillis());
                }
                if (endTopic.equals(m.topic()))
                {
                    done.countDown();
                }
            }, new SubscriptionOptions().gapHandler((g) ->
            {
                synchronized (out)
                {
                    out.println("G " + index + " " + Integer.toHexString(g.sourceNode()) + " " + g.count() + " " +
                        g.reasonName() + " " + System.currentTimeMillis());
                }
            }));
        }
        bus.sync(Duration.ofSeconds(20));
        synchronized (out)
        {
            out.println("READY");
            out.flush();
        }
        while (!done.await(50, TimeUnit.MILLISECONDS))
        {
            synchronized (out)
            {
                out.flush();
            }
        }
        synchronized (out)
        {
            out.println("END");
            out.flush();
        }
        bus.close();
    }

    /**
     * Receives COUNT messages and prints the rate and the one-hop latency (the publisher's System.nanoTime() in the
     * payload to this subscriber's) as percentiles. Both hosts are namespaces of one machine, so both read one
     * CLOCK_MONOTONIC. (Not the message's timestamp: each broker's epoch clock is calibrated on its own, to within
     * a few hundred µs, which put p50s below zero.)
     */
    private static void benchSub(final String socket, final String pattern, final int warmup, final int count)
        throws Exception
    {
        final int total = warmup + count;
        final long[] latencyNs = new long[total];
        final long[] arrivalNs = new long[total];
        final int[] received = new int[1];
        final CountDownLatch done = new CountDownLatch(1);
        // The client's default wait, as a service's: a busy-spinning subscriber would take one of the two cores
        // from the brokers and their media drivers.
        final BusClient bus = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
        bus.subscribe(pattern, (m) ->
        {
            if (m.payloadLength() != 16)
            {
                return; // bench.end
            }
            final long now = System.nanoTime();
            // Every message is recorded at its number, and the figures are the window's part (brokers start with
            // this run: the first messages measure the JIT, not the bus). Not a branch on the number: its other
            // side would first run when the window opens, and the JIT would recompile the handler right then.
            final int n = (int)m.payload().getLong(m.payloadIndex() + 8, ByteOrder.LITTLE_ENDIAN);
            latencyNs[n] = now - m.payload().getLong(m.payloadIndex(), ByteOrder.LITTLE_ENDIAN);
            arrivalNs[n] = now;
            if (++received[0] == total)
            {
                done.countDown();
            }
        }, new SubscriptionOptions().gapHandler((g) -> System.out.println("GAP " + g)));
        bus.sync(Duration.ofSeconds(20));
        System.out.println("READY");
        System.out.flush();
        done.await();
        final long[] sorted = java.util.Arrays.copyOfRange(latencyNs, warmup, total);
        java.util.Arrays.sort(sorted);
        final double seconds = (arrivalNs[total - 1] - arrivalNs[warmup]) / 1e9;
        System.out.printf("RESULT %d msgs in %.2f s = %.0f msgs/s; one-hop latency us p50 %.0f p90 %.0f p99 %.0f " +
            "p99.9 %.0f max %.0f%n", count, seconds, (count - 1) / seconds, pct(sorted, 0.50), pct(sorted, 0.90),
            pct(sorted, 0.99), pct(sorted, 0.999), sorted[count - 1] / 1e3);
        System.out.flush();
        bus.close();
    }

    private static double pct(final long[] sorted, final double p)
    {
        return sorted[Math.min(sorted.length - 1, (int)(p * sorted.length))] / 1e3;
    }

    private static void benchPub(final String socket, final String endTopic, final int count, final int rate,
        final String topic)
    {
        final BusClient bus = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)
            .publishTimeout(Duration.ofSeconds(30)));
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final long intervalNs = rate == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / rate;
        final long start = System.nanoTime();
        for (int k = 0; k < count; k++)
        {
            if (intervalNs > 0)
            {
                // The send time is read after waking.
                paceUntil(bus, start + k * intervalNs);
            }
            payload.putLong(0, System.nanoTime(), ByteOrder.LITTLE_ENDIAN);
            payload.putLong(8, k, ByteOrder.LITTLE_ENDIAN);
            bus.publish(topic, payload, 0, 16);
        }
        bus.publish(endTopic, "end");
        bus.sync(Duration.ofSeconds(30));
        System.out.println("DONE " + count);
        bus.close();
    }

    private static void pubRandom(
        final String socket, final String endTopic, final int count, final int maxPauseMs, final String topic)
    {
        final BusClient bus = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)
            .publishTimeout(Duration.ofSeconds(30)));
        final java.util.Random random = new java.util.Random();
        for (int k = 1; k <= count; k++)
        {
            // Pauses of a load generator: everything on both hosts falls asleep between messages.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(maxPauseMs + 1)));
            bus.publish(topic, Long.toString(System.currentTimeMillis()));
            bus.flush();
        }
        bus.publish(endTopic, "end");
        bus.sync(Duration.ofSeconds(30));
        System.out.println("DONE " + count);
        bus.close();
    }

    private static void pub(
        final String socket, final String endTopic, final int publishers, final int count, final int rate, final List<String> topics)
    {
        final List<BusClient> buses = new ArrayList<>();
        for (int p = 0; p < publishers; p++)
        {
            buses.add(BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)
                .publishTimeout(Duration.ofSeconds(30))));
        }
        final long intervalNs = rate == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / rate;
        final long start = System.nanoTime();
        long sent = 0;
        for (int k = 1; k <= count; k++)
        {
            for (int p = 0; p < publishers; p++)
            {
                buses.get(p).publish(topics.get((k - 1) % topics.size()), p + ":" + k);
                sent++;
                if (intervalNs > 0)
                {
                    paceUntil(buses.get(p), start + sent * intervalNs);
                }
            }
        }
        for (final BusClient bus : buses)
        {
            bus.publish(endTopic, "end");
            bus.sync(Duration.ofSeconds(30));
        }
        System.out.println("DONE " + sent);
        buses.forEach(BusClient::close);
    }

    /** Pacing a load generator, not waiting for a condition: sends what the bus holds, then sleeps until due. */
    private static void paceUntil(final BusClient bus, final long dueNs)
    {
        long now;
        while ((now = System.nanoTime()) - dueNs < 0)
        {
            bus.flush();
            LockSupport.parkNanos(Math.min(dueNs - now, 1_000_000));
        }
    }
}

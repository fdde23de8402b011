package io.seqbus.ops.bench;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Message;
import io.seqbus.client.ThreadMode;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code seqbus bench --mode request}: the round trip of a request (the requester's {@code request} until its
 * future completes, through a replier that answers on its client's thread) beside the one-way latency of a publish
 * (publish until the subscriber's handler), both paced at the same rate in the same run, so the two can be set side
 * by side: "round trip p50 within 2x of two one-way publishes" (issue 19).
 */
public final class RequestBench
{
    private final String socket;
    private final int size;
    private final long rate;
    private final double seconds;
    private final double warmupSeconds;
    private final boolean sharedMemory;

    /**
     * @param socket        the broker.
     * @param size          payload bytes, 8 or more.
     * @param rate          requests (and publishes) a second.
     * @param seconds       measured seconds of each half.
     * @param warmupSeconds before each half.
     * @param sharedMemory  whether the clients ask for shared memory.
     */
    public RequestBench(final String socket, final int size, final long rate, final double seconds,
        final double warmupSeconds, final boolean sharedMemory)
    {
        this.socket = socket;
        this.size = Math.max(8, size);
        this.rate = rate > 0 ? rate : 1000;
        this.seconds = seconds;
        this.warmupSeconds = warmupSeconds;
        this.sharedMemory = sharedMemory;
    }

    /**
     * @return the report, one paragraph.
     */
    public String run() throws Exception
    {
        final Histogram oneWay = oneWay();
        final Histogram roundTrip = roundTrip();
        final double oneWayP50 = oneWay.getValueAtPercentile(50) / 1000.0;
        final double roundTripP50 = roundTrip.getValueAtPercentile(50) / 1000.0;
        return String.format(Locale.ROOT, "request mode: %d B at %d/s, %.1f s each, transport %s%n" +
                "  one-way publish   p50 %8.1f µs  p99 %8.1f µs  (%d messages)%n" +
                "  request round trip p50 %8.1f µs  p99 %8.1f µs  (%d requests)%n" +
                "  round trip p50 / (2 x one-way p50) = %.2f%n",
            size, rate, seconds, sharedMemory ? "shm" : "socket",
            oneWayP50, oneWay.getValueAtPercentile(99) / 1000.0, oneWay.getTotalCount(),
            roundTripP50, roundTrip.getValueAtPercentile(99) / 1000.0, roundTrip.getTotalCount(),
            roundTripP50 / (2 * oneWayP50));
    }

    private ClientOptions options(final String name)
    {
        return new ClientOptions().socket(socket).clientName(name).threadMode(ThreadMode.DEDICATED)
            .sharedMemory(sharedMemory);
    }

    private Histogram oneWay() throws Exception
    {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final String topic = "bench.oneway";
        try (BusClient sub = BusClient.connect(options("bench-sub"));
            BusClient pub = BusClient.connect(options("bench-pub")))
        {
            final long[] measureFrom = {Long.MAX_VALUE};
            sub.subscribe(topic, (Message m) ->
            {
                final long sent = m.payload().getLong(m.payloadIndex(), ByteOrder.LITTLE_ENDIAN);
                if (sent >= measureFrom[0])
                {
                    histogram.recordValue(Math.min(System.nanoTime() - sent, histogram.getHighestTrackableValue()));
                }
            });
            sub.sync(Duration.ofSeconds(10));
            final ByteBuffer payload = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            paced((nowNs, measured) ->
            {
                if (measured && measureFrom[0] == Long.MAX_VALUE)
                {
                    measureFrom[0] = nowNs;
                }
                payload.putLong(0, nowNs);
                pub.publish(topic, payload.array());
            });
            pub.sync(Duration.ofSeconds(10));
            sub.sync(Duration.ofSeconds(10));
        }
        return histogram;
    }

    private Histogram roundTrip() throws Exception
    {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final String topic = "bench.request";
        try (BusClient replier = BusClient.connect(options("bench-replier"));
            BusClient requester = BusClient.connect(options("bench-requester")))
        {
            replier.subscribe(topic, (Message m) -> m.reply(m.payloadBuffer()));
            replier.sync(Duration.ofSeconds(10));
            final byte[] payload = new byte[size];
            paced((nowNs, measured) ->
            {
                try
                {
                    requester.request(topic, payload, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException("request failed: " + ex, ex);
                }
                if (measured)
                {
                    histogram.recordValue(Math.min(System.nanoTime() - nowNs, histogram.getHighestTrackableValue()));
                }
            });
        }
        return histogram;
    }

    /** What runs at each tick: the tick's time, and whether it is past the warm-up. */
    private interface Tick
    {
        void at(long nowNs, boolean measured) throws Exception;
    }

    private void paced(final Tick tick) throws Exception
    {
        final long intervalNs = TimeUnit.SECONDS.toNanos(1) / rate;
        final long start = System.nanoTime();
        final long measureFrom = start + (long)(warmupSeconds * 1e9);
        final long end = measureFrom + (long)(seconds * 1e9);
        long due = start;
        while (due < end)
        {
            long now;
            while ((now = System.nanoTime()) < due)
            {
                LockSupport.parkNanos(Math.min(due - now, 50_000));
            }
            tick.at(now, due >= measureFrom);
            due += intervalNs;
        }
    }
}

package io.seqbus.ops.bench;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The bench's subscribers in its own process, one client each, counting into a {@link SubscriberTally}. Throughput
 * runs poll them all from one thread, as a busy consumer process would; with a rate each has its own client thread,
 * which sleeps in poll(2) until a message comes rather than spinning next to the broker on a small machine.
 */
final class InProcessSubscribers implements Subscribers
{
    /** How long {@link #collect} waits for the last messages. */
    private static final long DRAIN_WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    private final Bench.Settings settings;
    private final SubscriberTally[] tallies;
    private final List<BusClient> clients = new ArrayList<>();
    private final ExecutorService handlerPool;
    private final Thread pollingThread;
    /** Cleared to stop the polling thread: an interrupt would land inside a socket read (ClosedByInterruptException),
     *  close the connection and log a lost connection per subscriber. */
    private volatile boolean polling = true;

    /**
     * Connects, subscribes and syncs every subscriber, then starts the polling thread of a throughput run.
     *
     * @param settings the run.
     */
    InProcessSubscribers(final Bench.Settings settings)
    {
        this.settings = settings;
        this.tallies = new SubscriberTally[settings.subscribers];
        this.handlerPool = settings.executorThreads > 0 ? Executors.newFixedThreadPool(settings.executorThreads) : null;
        this.pollingThread = new Thread(this::pollAll, "bench-subscribers");
        pollingThread.setDaemon(true);
        try
        {
            for (int i = 0; i < tallies.length; i++)
            {
                tallies[i] = new SubscriberTally(settings.rate > 0, settings.touch, settings.copyAlternative,
                    settings.workNs);
                subscribe(i, tallies[i]);
            }
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
        // Only throughput runs poll here: with a rate each subscriber has its own client thread, and an idle
        // polling loop beside them would take a core from the broker and skew every latency figure.
        if (settings.rate == 0 && tallies.length > 0)
        {
            pollingThread.start();
        }
    }

    private void subscribe(final int index, final SubscriberTally tally)
    {
        final ThreadMode mode = settings.rate > 0 ? ThreadMode.DEDICATED : ThreadMode.POLL;
        final ClientOptions options = Bench.waitPolicy(settings, Bench.clientOptions(settings, "bench-sub-" + index))
            .threadMode(mode);
        final BusClient client = BusClient.connect(options
            .pollDatagramLimit(256).gapHandler((g) -> tally.onGap(g.count())));
        clients.add(client);
        final SubscriptionOptions subscription = new SubscriptionOptions().group(settings.group);
        if (handlerPool != null)
        {
            // A copy per message into the subscription's queue, the handler on the pool (SubscriptionOptions).
            subscription.executor(handlerPool);
        }
        client.subscribe(settings.topic, tally::onMessage, subscription);
        // The rings come in the datagram after WELCOME: the sync's PONG comes after them.
        client.sync(Duration.ofSeconds(10));
        Bench.checkTransport(settings, client);
    }

    @Override
    public void phase(final int phase)
    {
        for (final SubscriberTally t : tallies)
        {
            t.phase(phase);
        }
    }

    @Override
    public void sleepWatching(final long nanos) throws InterruptedException
    {
        TimeUnit.NANOSECONDS.sleep(nanos);
    }

    @Override
    public List<Report> collect(final long expected) throws InterruptedException
    {
        final long deadline = System.nanoTime() + DRAIN_WAIT_NS;
        while (System.nanoTime() < deadline && !allReceived(expected))
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        polling = false;
        pollingThread.join(5_000);
        final List<Report> reports = new ArrayList<>();
        for (final SubscriberTally t : tallies)
        {
            reports.add(new Report(t.received(), t.measured(), t.gaps(), t.latencyNs()));
        }
        return reports;
    }

    /** Each has everything published, or a GAP notice for what it misses; a group, all of it between its members. */
    private boolean allReceived(final long expected)
    {
        if (settings.group != null)
        {
            long received = 0;
            for (final SubscriberTally t : tallies)
            {
                received += t.received() + t.gaps();
            }
            return received >= expected;
        }
        for (final SubscriberTally t : tallies)
        {
            if (t.received() + t.gaps() < expected)
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public long[] pids()
    {
        return new long[0];
    }

    /**
     * Throughput runs: one thread polls every subscriber, as a busy consumer would, and idles as an Aeron agent
     * does (a few spins and yields, then parks growing from 1 µs to 100 µs). It used to poll 100 times before it
     * parked: each poll is a recvmsg meeting EAGAIN, and on 2 cores those system calls took the CPU the publisher
     * and the broker needed (1 subscriber: 1.1-1.9 M msgs/s against 2.0-2.6 M now, same run; 16: unchanged).
     */
    private void pollAll()
    {
        final int n = clients.size();
        final IdleStrategy idle = new BackoffIdleStrategy(
            10, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
        while (polling)
        {
            int work = 0;
            for (int i = 0; i < n; i++)
            {
                work += clients.get(i).poll();
            }
            idle.idle(work);
        }
    }

    @Override
    public void close()
    {
        polling = false;
        clients.forEach(BusClient::close);
        if (handlerPool != null)
        {
            handlerPool.shutdownNow();
        }
    }
}

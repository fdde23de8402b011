package io.seqbus.broker.bridge;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.log.Log;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

/**
 * The Aeron media driver inside the broker, tuned for small machines and lossy LANs:
 * <ul>
 * <li>no thread of its own ({@link ThreadingMode#INVOKER}): the broker agent runs its duty cycle ({@link #doWork})
 * beside the Aeron client's, and sleeps in its one epoll_wait on its clients and on the driver's UDP sockets
 * ({@link WatchedEndpoints} registers them). A message offered to the publication is sent in the same duty cycle, and
 * a datagram from the LAN wakes the agent, which delivers it. Before, the driver had a thread of its own, and each
 * message crossed between it and the agent twice, once on each host: a sleep and a wake-up each, 25-40 µs of CPU on
 * this VM;</li>
 * <li>idle, the agent's block is bounded for the driver's timers ({@link DriverSleep});</li>
 * <li>the name-resolution executor's thread parks up to 100 ms rather than 1 ms;</li>
 * <li>its own directory, deleted on close; directories of this node's brokers that died (SIGKILL) are
 * swept at start;</li>
 * <li>NAKs and retransmits after 1 ms instead of 10 ms (a gap costs ~1 ms instead of ~10);</li>
 * <li>status messages every 100 ms, so the {@code min} flow control's receiver timeout can be short and a
 * dead host holds the others back only briefly;</li>
 * <li>images of silent senders time out after 2 s: that is how a crashed host is noticed.</li>
 * </ul>
 * Every method runs on the thread that runs the duty cycle: the agent's (before the agent starts, the thread that
 * builds it).
 */
final class EmbeddedDriver implements AutoCloseable
{
    /**
     * Driver duty cycles per agent duty cycle at most, while they find work. Aeron reads one datagram per socket and
     * sends one datagram's worth per publication in a duty cycle, cheap on a thread of its own; after a whole agent
     * cycle each, one was too few: LanBench flat out 69-77 k msgs/s with 1, 128-139 k with 8, 117 k with 32.
     */
    static final int BURST = 8;

    /**
     * Longest the agent goes without running the driver while it has other work, ns: Aeron's timers (NAK and
     * retransmit delays of 1 ms, status messages, heartbeats). Sooner when a socket is ready, the bridge offered,
     * or the last run found work.
     */
    static final long TIMER_PERIOD_NS = 1_000_000;

    private final MediaDriver driver;
    private final AgentInvoker invoker;
    private final DriverSleep sleep;
    private final Sockets sockets;
    private long lastRunNs;
    private boolean busy;

    private EmbeddedDriver(final MediaDriver driver, final DriverSleep sleep, final Sockets sockets)
    {
        this.driver = driver;
        this.invoker = driver.sharedAgentInvoker();
        this.sleep = sleep;
        this.sockets = sockets;
    }

    /**
     * @param dir      the Aeron directory.
     * @param soRcvbuf UDP receive buffer.
     * @param bus      whose epoll watches the driver's sockets.
     * @return the driver, started; nothing runs it until {@link #doWork} is called.
     */
    static EmbeddedDriver launch(final String dir, final int soRcvbuf, final LocalBus bus)
    {
        sweepStale(new File(dir));
        final DriverSleep sleep = new DriverSleep(Configuration.LAN_TIMER_BLOCK_MS);
        final Sockets sockets = new Sockets(bus, sleep);
        final MediaDriver.Context context = new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .threadingMode(ThreadingMode.INVOKER)
            // Name resolution only (the bridge's endpoints are addresses): its thread need not wake every 1 ms.
            .asyncExecutorIdleStrategy(new BackoffIdleStrategy(
                1, 1, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(100)))
            .receiveChannelEndpointSupplier(WatchedEndpoints.receive(sockets))
            .sendChannelEndpointSupplier(WatchedEndpoints.send(sockets))
            .termBufferSparseFile(true)
            .socketRcvbufLength(soRcvbuf)
            .nakMulticastMaxBackoffNs(TimeUnit.MILLISECONDS.toNanos(1))
            .nakUnicastDelayNs(TimeUnit.MILLISECONDS.toNanos(1))
            .retransmitUnicastDelayNs(0)
            .retransmitUnicastLingerNs(TimeUnit.MILLISECONDS.toNanos(1))
            .statusMessageTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .errorHandler((ex) -> Log.warn("aeron driver: " + ex));
        return new EmbeddedDriver(MediaDriver.launch(context), sleep, sockets);
    }

    /**
     * @return the driver's duty cycle, for the Aeron client to run while it waits for the driver's answers.
     */
    AgentInvoker invoker()
    {
        return invoker;
    }

    /**
     * Duty cycles of the driver (its conductor, sender and receiver) while they find work, up to
     * {@value #BURST}: each reads one datagram per socket and sends one datagram's worth per publication.
     *
     * @param nowNs the caller's clock.
     * @return work done.
     */
    int doWork(final long nowNs)
    {
        lastRunNs = nowNs;
        int work = 0;
        for (int i = 0; i < BURST; i++)
        {
            final int w = invoker.invoke();
            if (w == 0)
            {
                break;
            }
            work += w;
        }
        busy = work > 0;
        return work;
    }

    /**
     * @param nowNs the agent's clock.
     * @return true when the driver should run although none of its sockets is ready and nothing was offered: its
     * last run found work, or its timers may be due.
     */
    boolean due(final long nowNs)
    {
        return busy || nowNs - lastRunNs >= TIMER_PERIOD_NS;
    }

    /**
     * After a duty cycle that offered to the publication: loss repair may follow.
     */
    void offered()
    {
        sleep.dataMoved();
    }

    /**
     * @return true while every socket of the driver is in the agent's epoll, so the agent may block as long as
     * {@link #nextBlockMs} says.
     */
    boolean watchesSockets()
    {
        return sockets.allWatched;
    }

    /**
     * The agent is about to block while idle.
     *
     * @return how long it may, ms, for the driver's timers.
     */
    int nextBlockMs()
    {
        return sleep.nextBlockMs();
    }

    /**
     * Removes {@code <prefix>-<pid>} directories whose process is gone: a broker killed with SIGKILL never
     * deleted its own. Only this node's prefix, only dead pids.
     */
    private static void sweepStale(final File dir)
    {
        final String name = dir.getName();
        final int dash = name.lastIndexOf('-');
        final File parent = dir.getParentFile();
        if (dash <= 0 || parent == null || !name.startsWith("seqbus-aeron-"))
        {
            return;
        }
        final String prefix = name.substring(0, dash + 1);
        final File[] siblings = parent.listFiles((d, n) -> n.startsWith(prefix) && n.substring(prefix.length()).matches("[0-9]+"));
        if (siblings == null)
        {
            return;
        }
        for (final File sibling : siblings)
        {
            final long pid = Long.parseLong(sibling.getName().substring(prefix.length()));
            if (!sibling.equals(dir) && ProcessHandle.of(pid).isEmpty())
            {
                IoUtil.delete(sibling, true);
                Log.info("bridge: removed the Aeron directory of a dead broker: " + sibling);
            }
        }
    }

    @Override
    public void close()
    {
        driver.close();
    }

    /**
     * The driver's sockets, in and out of the agent's epoll.
     */
    private static final class Sockets implements WatchedEndpoints.Watcher
    {
        private final LocalBus bus;
        private final DriverSleep sleep;
        private boolean allWatched = true;

        Sockets(final LocalBus bus, final DriverSleep sleep)
        {
            this.bus = bus;
            this.sleep = sleep;
        }

        @Override
        public void watch(final DatagramChannel channel)
        {
            if (channel == null)
            {
                return;
            }
            final int fd = DriverSocketFd.of(channel);
            if (fd < 0 || !bus.watchDriverSocket(fd))
            {
                if (allWatched)
                {
                    Log.warn("bridge: cannot watch the media driver's socket " + channel +
                        "; the agent looks for LAN data every millisecond");
                }
                allWatched = false;
            }
        }

        @Override
        public void unwatch(final DatagramChannel channel)
        {
            final int fd = channel == null ? -1 : DriverSocketFd.of(channel);
            if (fd >= 0)
            {
                bus.unwatchDriverSocket(fd);
            }
        }

        @Override
        public void dataArrived()
        {
            sleep.dataMoved();
        }
    }
}

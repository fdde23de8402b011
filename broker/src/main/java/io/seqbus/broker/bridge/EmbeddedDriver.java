package io.seqbus.broker.bridge;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.seqbus.broker.log.Log;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * The Aeron media driver inside the broker, tuned for small machines and lossy LANs:
 * <ul>
 * <li>one shared thread (busy-spinning threads of several processes starve each other on two cores) that,
 * idle, sleeps in epoll_wait on the driver's sockets and on a doorbell the broker agent rings after it offered
 * ({@link DriverIdleStrategy}): a datagram or a message to send wakes it at once, where a backoff strategy parked
 * up to 1 ms each way (LanBench p50 520 µs, p99 9.4 ms before; see the issue 16 report for after);</li>
 * <li>the name-resolution executor's thread parks up to 100 ms rather than 1 ms;</li>
 * <li>a doorbell the other way: after data arrived from the LAN the driver's thread wakes the agent from its
 * epoll_wait, so a bridged agent idles in its normal block rather than 1 ms ones;</li>
 * <li>its own directory, deleted on close; directories of this node's brokers that died (SIGKILL) are
 * swept at start;</li>
 * <li>NAKs and retransmits after 1 ms instead of 10 ms (a gap costs ~1 ms instead of ~10);</li>
 * <li>status messages every 100 ms, so the {@code min} flow control's receiver timeout can be short and a
 * dead host holds the others back only briefly;</li>
 * <li>images of silent senders time out after 2 s: that is how a crashed host is noticed.</li>
 * </ul>
 */
final class EmbeddedDriver implements AutoCloseable
{
    private final MediaDriver driver;
    private final DriverIdleStrategy idle;

    private EmbeddedDriver(final MediaDriver driver, final DriverIdleStrategy idle)
    {
        this.driver = driver;
        this.idle = idle;
    }

    /**
     * @param dir       the Aeron directory.
     * @param soRcvbuf  UDP receive buffer.
     * @param wakeAgent rings the broker agent's epoll; called on the driver's thread.
     * @return the running driver.
     */
    static EmbeddedDriver launch(final String dir, final int soRcvbuf, final Runnable wakeAgent)
    {
        sweepStale(new File(dir));
        final DriverIdleStrategy idle;
        try
        {
            idle = new DriverIdleStrategy(wakeAgent);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("bridge: no selector for the driver's idle wait", ex);
        }
        final MediaDriver.Context context = new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(idle)
            // Name resolution only (the bridge's endpoints are addresses): its thread need not wake every 1 ms.
            .asyncExecutorIdleStrategy(new BackoffIdleStrategy(
                1, 1, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(100)))
            .receiveChannelEndpointSupplier(WatchedEndpoints.receive(idle))
            .sendChannelEndpointSupplier(WatchedEndpoints.send(idle))
            .termBufferSparseFile(true)
            .socketRcvbufLength(soRcvbuf)
            .nakMulticastMaxBackoffNs(TimeUnit.MILLISECONDS.toNanos(1))
            .nakUnicastDelayNs(TimeUnit.MILLISECONDS.toNanos(1))
            .retransmitUnicastDelayNs(0)
            .retransmitUnicastLingerNs(TimeUnit.MILLISECONDS.toNanos(1))
            .statusMessageTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .errorHandler((ex) -> Log.warn("aeron driver: " + ex));
        try
        {
            return new EmbeddedDriver(MediaDriver.launch(context), idle);
        }
        catch (final RuntimeException ex)
        {
            idle.close();
            throw ex;
        }
    }

    /**
     * Agent thread, after a duty cycle that offered to the publication: wakes the driver's thread if it sleeps.
     */
    void offered()
    {
        idle.toDriver().announce();
    }

    /**
     * @return the bell the driver rings when data from the LAN arrived; the agent sleeps on it.
     */
    Doorbell toAgent()
    {
        return idle.toAgent();
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
        idle.close();
    }
}

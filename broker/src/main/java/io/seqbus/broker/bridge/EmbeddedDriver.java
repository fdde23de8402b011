package io.seqbus.broker.bridge;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.seqbus.broker.log.Log;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * The Aeron media driver inside the broker, tuned for small machines and lossy LANs:
 * <ul>
 * <li>one shared thread with a backoff idle strategy (busy-spinning threads of several processes starve
 * each other on two cores);</li>
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

    private EmbeddedDriver(final MediaDriver driver)
    {
        this.driver = driver;
    }

    static EmbeddedDriver launch(final String dir, final int soRcvbuf)
    {
        sweepStale(new File(dir));
        final MediaDriver.Context context = new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(
                10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1)))
            .termBufferSparseFile(true)
            .socketRcvbufLength(soRcvbuf)
            .nakMulticastMaxBackoffNs(TimeUnit.MILLISECONDS.toNanos(1))
            .nakUnicastDelayNs(TimeUnit.MILLISECONDS.toNanos(1))
            .retransmitUnicastDelayNs(0)
            .retransmitUnicastLingerNs(TimeUnit.MILLISECONDS.toNanos(1))
            .statusMessageTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .errorHandler((ex) -> Log.warn("aeron driver: " + ex));
        return new EmbeddedDriver(MediaDriver.launch(context));
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
}

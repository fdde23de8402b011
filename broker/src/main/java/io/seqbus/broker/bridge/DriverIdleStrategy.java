package io.seqbus.broker.bridge;

import io.seqbus.broker.log.Log;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The idle strategy of the embedded media driver's one thread: {@value #SPINS} empty duty cycles, then sleep in
 * epoll_wait (a {@link Selector}) on the driver's own UDP sockets ({@link WatchedEndpoints} registers them), so a
 * datagram wakes it at once, as does the broker agent when it offered to the publication ({@link #toDriver}).
 * The sleep is bounded so Aeron's timers still run: {@value #SHORT_SLEEP_MS} ms for {@value #SHORT_SLEEPS} sleeps
 * after data moved either way (NAK and retransmit delays are ~1 ms), then {@value #LONG_SLEEP_MS} ms (status
 * messages every 100 ms, heartbeats, liveness in seconds). Control traffic alone keeps the long sleep: status
 * messages and heartbeats of two idle brokers otherwise kept it at 1 ms.
 *
 * <p>No yields and few spins: every empty duty cycle costs a recvfrom per socket, and a datagram now ends the sleep
 * anyway (20 spins and 10 yields: idle broker 2.0% of a core, against 1.8%).
 *
 * <p>Before: a backoff strategy that parked up to 1 ms, so a message waited up to 1 ms for the sender and a
 * datagram up to 1 ms for the receiver; LanBench p50 520 µs. Waiting on the sockets also costs less while idle
 * than parking 1 ms at a time (figures in the issue 16 report).
 *
 * <p>It also rings the agent ({@link #toAgent}) after a duty cycle in which data arrived from the LAN
 * ({@link #dataArrived()}), so the agent can block in epoll_wait for its normal idle block rather than 1 ms.
 * Every method but {@link #toDriver}'s waker side runs on the driver's thread (ThreadingMode.SHARED).
 */
final class DriverIdleStrategy implements IdleStrategy
{
    static final int SPINS = 10;
    static final int YIELDS = 0;
    static final int SHORT_SLEEP_MS = 1;
    static final int SHORT_SLEEPS = 10;
    static final int LONG_SLEEP_MS = 10;

    private final Selector selector;
    private final Doorbell toDriver;
    private final Doorbell toAgent;
    private final Consumer<SelectionKey> ignoreKey = (key) -> { };
    private int spins;
    private int yields;
    private int quietSleeps;
    private boolean dataArrived;
    private long seenFromAgent;

    /**
     * @param wakeAgent rings the broker agent's epoll (its eventfd).
     * @throws IOException when no selector can be opened.
     */
    DriverIdleStrategy(final Runnable wakeAgent) throws IOException
    {
        this.selector = Selector.open();
        this.toDriver = new Doorbell(selector::wakeup);
        this.toAgent = new Doorbell(wakeAgent);
    }

    /** @return the bell the agent rings after it offered; the driver thread sleeps on it. */
    Doorbell toDriver()
    {
        return toDriver;
    }

    /** @return the bell the driver thread rings when data arrived; the agent sleeps on it. */
    Doorbell toAgent()
    {
        return toAgent;
    }

    /**
     * Driver thread, from a receive endpoint: a data frame arrived this duty cycle.
     */
    void dataArrived()
    {
        dataArrived = true;
    }

    /**
     * Driver thread: wake on this socket's datagrams too.
     *
     * @param channel a driver socket, open and non-blocking.
     */
    void watch(final SelectableChannel channel)
    {
        try
        {
            channel.register(selector, SelectionKey.OP_READ);
        }
        catch (final ClosedChannelException ex)
        {
            // Closed meanwhile: nothing to watch.
        }
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            // Data in either direction may leave loss-repair timers (NAK, retransmit) due within a millisecond or
            // so: sleep short for a while. Control traffic alone (status messages, heartbeats) does not.
            if (dataArrived || toDriver.news() != seenFromAgent)
            {
                quietSleeps = 0;
            }
            if (dataArrived)
            {
                dataArrived = false;
                toAgent.announce();
            }
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (spins < SPINS)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (yields < YIELDS)
        {
            yields++;
            Thread.yield();
        }
        else if (toDriver.sleepIf(seenFromAgent))
        {
            sleep(quietSleeps < SHORT_SLEEPS ? SHORT_SLEEP_MS : LONG_SLEEP_MS);
            toDriver.awake();
            quietSleeps++;
        }
        else
        {
            reset();
        }
        // Read before the next duty cycle looks at the publications: what the agent offers later rings.
        seenFromAgent = toDriver.news();
    }

    @Override
    public void reset()
    {
        spins = 0;
        yields = 0;
        seenFromAgent = toDriver.news();
    }

    @Override
    public String alias()
    {
        return "seqbus-driver-idle";
    }

    /**
     * Closes the selector, after the driver stopped: sockets the driver closed are let go of for good.
     */
    void close()
    {
        CloseHelper.quietClose(selector);
    }

    private void sleep(final int timeoutMs)
    {
        try
        {
            selector.select(ignoreKey, timeoutMs);
        }
        catch (final IOException | RuntimeException ex)
        {
            Log.warn("bridge: driver idle wait: " + ex);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        }
    }
}

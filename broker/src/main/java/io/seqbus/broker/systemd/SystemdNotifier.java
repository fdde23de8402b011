package io.seqbus.broker.systemd;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.log.Log;
import io.seqbus.wire.BusSocket;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Tells systemd how the broker is doing, over {@code $NOTIFY_SOCKET} (sd_notify(3)):
 * {@code READY=1} once the agent serves the listening socket, {@code STATUS=} with clients and
 * message rates, {@code WATCHDOG=1} while the agent's duty cycle moves, {@code STOPPING=1} when
 * shutdown begins.
 *
 * <p>The agent does nothing for this: it already counts its duty cycles
 * ({@link BrokerCounters#DUTY_CYCLES}). A low-priority thread of its own wakes at half the
 * watchdog period, pets the watchdog only if that count moved since its last visit, and wakes
 * the agent so that an idle agent, blocked in epoll_wait, moves it again before the next visit. A
 * stuck agent stops the count, the petting stops, and systemd restarts the service.
 */
public final class SystemdNotifier implements AutoCloseable
{
    private final AFUNIXSocketAddress address;
    private final AFUNIXDatagramChannel channel;
    private final BrokerCounters counters;
    private final Runnable wakeAgent;
    private final long watchdogIntervalNs;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private volatile String listening = "";
    private boolean sendFailed;

    private SystemdNotifier(
        final AFUNIXSocketAddress address,
        final AFUNIXDatagramChannel channel,
        final BrokerCounters counters,
        final Runnable wakeAgent,
        final long watchdogIntervalNs)
    {
        this.address = address;
        this.channel = channel;
        this.counters = counters;
        this.wakeAgent = wakeAgent;
        this.watchdogIntervalNs = watchdogIntervalNs;
        this.thread = new Thread(this::run, "seqbus-notify");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    /**
     * @param env the process environment.
     * @param pid this process's id.
     * @param counters the agent's counters.
     * @param wakeAgent ends the agent's blocking poll early.
     * @return a notifier, or null when systemd is not listening ({@code NOTIFY_SOCKET} unset).
     * @throws IOException when {@code NOTIFY_SOCKET} is set but unusable.
     */
    public static SystemdNotifier fromEnvironment(
        final Map<String, String> env, final long pid, final BrokerCounters counters, final Runnable wakeAgent)
        throws IOException
    {
        final String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty())
        {
            return null;
        }
        final AFUNIXSocketAddress address = BusSocket.address(socket);
        final long watchdogUsec = watchdogUsec(env, pid);
        final AFUNIXDatagramChannel channel = AFUNIXDatagramChannel.open();
        if (watchdogUsec > 0)
        {
            Log.info("systemd watchdog every " + watchdogUsec / 1000 + " ms; petting it every " +
                watchdogUsec / 2000 + " ms while the agent runs");
        }
        return new SystemdNotifier(address, channel, counters, wakeAgent,
            TimeUnit.MICROSECONDS.toNanos(watchdogUsec / 2));
    }

    /**
     * @return {@code WATCHDOG_USEC}, or 0 when there is no watchdog for this process.
     */
    static long watchdogUsec(final Map<String, String> env, final long pid)
    {
        final String usec = env.get("WATCHDOG_USEC");
        if (usec == null)
        {
            return 0;
        }
        final String watchdogPid = env.get("WATCHDOG_PID");
        if (watchdogPid != null && !watchdogPid.trim().equals(Long.toString(pid)))
        {
            return 0;
        }
        try
        {
            return Math.max(0, Long.parseLong(usec.trim()));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalStateException("WATCHDOG_USEC=" + usec + " is not a number of microseconds");
        }
    }

    /**
     * Starts the thread: it sends {@code READY=1} after the agent's first duty cycle.
     *
     * @param listeningOn the socket, for the status line.
     */
    public void start(final String listeningOn)
    {
        this.listening = listeningOn;
        thread.start();
    }

    /**
     * Stops the thread (no more watchdog or status) and sends {@code STOPPING=1}.
     */
    public void stopping()
    {
        stop.countDown();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        send("STOPPING=1\nSTATUS=stopping: draining queued deliveries");
    }

    /**
     * Closes the datagram socket.
     */
    public void close()
    {
        stop.countDown();
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing more to tell systemd anyway
        }
    }

    private void run()
    {
        try
        {
            while (counters.get(BrokerCounters.DUTY_CYCLES) == 0)
            {
                if (stop.await(1, TimeUnit.MILLISECONDS))
                {
                    return;
                }
            }
            send("READY=1\nSTATUS=" + status(0, 0, 1));
            final long statusIntervalNs = TimeUnit.MILLISECONDS.toNanos(Configuration.NOTIFY_STATUS_INTERVAL_MS);
            final long tickNs = watchdogIntervalNs > 0 ? Math.min(watchdogIntervalNs, statusIntervalNs) : statusIntervalNs;
            long lastCycles = counters.get(BrokerCounters.DUTY_CYCLES);
            long lastStatusNs = System.nanoTime();
            long lastPublished = counters.get(BrokerCounters.MESSAGES_PUBLISHED);
            long lastDelivered = counters.get(BrokerCounters.MESSAGES_DELIVERED);
            wakeAgent.run();
            while (!stop.await(tickNs, TimeUnit.NANOSECONDS))
            {
                if (watchdogIntervalNs > 0)
                {
                    final long cycles = counters.get(BrokerCounters.DUTY_CYCLES);
                    if (cycles != lastCycles)
                    {
                        send("WATCHDOG=1");
                        lastCycles = cycles;
                    }
                    wakeAgent.run();
                }
                final long nowNs = System.nanoTime();
                if (nowNs - lastStatusNs >= statusIntervalNs)
                {
                    final long published = counters.get(BrokerCounters.MESSAGES_PUBLISHED);
                    final long delivered = counters.get(BrokerCounters.MESSAGES_DELIVERED);
                    send("STATUS=" + status(published - lastPublished, delivered - lastDelivered, nowNs - lastStatusNs));
                    lastPublished = published;
                    lastDelivered = delivered;
                    lastStatusNs = nowNs;
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private String status(final long published, final long delivered, final long elapsedNs)
    {
        final double seconds = Math.max(1, elapsedNs) / 1e9;
        return counters.get(BrokerCounters.CONNECTIONS_OPEN) + " clients, " +
            counters.get(BrokerCounters.SUBSCRIPTIONS) + " subscriptions, " +
            Math.round(published / seconds) + " msg/s in, " +
            Math.round(delivered / seconds) + " msg/s out, on " + listening;
    }

    private void send(final String message)
    {
        try
        {
            channel.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), address);
        }
        catch (final IOException ex)
        {
            if (!sendFailed)
            {
                sendFailed = true;
                Log.warn("cannot notify systemd at " + address + ": " + ex.getMessage());
            }
        }
    }
}

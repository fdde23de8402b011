package io.seqbus.client;

import io.seqbus.sys.AdaptiveSpin;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The polling side's duty cycle: read and dispatch, send what is left in the batch, reconnect when due. Runs
 * on the client's own daemon thread in {@link ThreadMode#DEDICATED}, or on the caller of {@link BusClient#poll()}
 * (and of waiting calls, see {@link #pause}) in {@link ThreadMode#POLL}; one thread at a time.
 */
final class ClientConductor
{
    /**
     * Longest sleep in poll(2) while connected and idle, ms. Nothing timed needs the thread then: publishers send
     * for themselves (and wake it to hand the sending over), the broker's data, ERRORs, PONGs and hang-up make the
     * socket or client_wake readable, close and a publisher's failed write wake it. So this only bounds how late
     * something unsignalled is noticed; 10 wake-ups a second, not the 100 of a 10 ms cap.
     */
    private static final long SLEEP_IN_POLL_MS = 100;
    /**
     * A poll(2) that returned sooner than this did not sleep: datagrams were waiting. A poll(2) of a readable socket
     * takes 1-2 µs on the 2-core VM; to sleep and be woken takes longer (a 64-byte SEQPACKET round trip, two of them,
     * is ~25 µs there: shared/bench/limit's seqpkt_pingpong).
     */
    private static final long BACKLOG_POLL_NS = 10_000;
    /** Longest park in {@link #poll(long)} while not connected: the reconnect is due on a timer. */
    private static final long WAIT_DISCONNECTED_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ClientOptions options;
    private final ThreadMode threadMode;
    private final Connection connection;
    private final Outbound outbound;
    private final Inbound inbound;
    private final Reconnector reconnector;
    private final AtomicBoolean polling = new AtomicBoolean();
    private volatile Thread workThread;
    // ThreadMode.POLL: the spin policy of the thread that last waited in poll(maxWait) (it reads that thread's
    // schedstat); the polling flag makes it one thread's at a time.
    private AdaptiveSpin pollSpin;
    private Thread pollSpinThread;
    private volatile boolean running;
    private Thread thread;

    ClientConductor(
        final ClientOptions options, final Connection connection, final Outbound outbound, final Inbound inbound,
        final Reconnector reconnector)
    {
        this.options = options;
        this.threadMode = options.threadMode();
        this.connection = connection;
        this.outbound = outbound;
        this.inbound = inbound;
        this.reconnector = reconnector;
    }

    /**
     * Connects on the caller's thread, polling until WELCOME (trying again for
     * {@link ClientOptions#connectRetry()} when that is set), then starts the client's thread in
     * {@link ThreadMode#DEDICATED}.
     */
    void start()
    {
        final long retryNs = options.connectRetry().toNanos();
        final long giveUpNs = System.nanoTime() + retryNs;
        long backoffNs = options.reconnectBackoffMin().toNanos();
        final long backoffMaxNs = options.reconnectBackoffMax().toNanos();
        while (true)
        {
            try
            {
                connectOnce();
                break;
            }
            catch (final BusException ex)
            {
                if (retryNs == 0 || !reconnector.startFailureRetryable() || Thread.currentThread().isInterrupted())
                {
                    throw ex;
                }
                final long leftNs = giveUpNs - System.nanoTime();
                if (leftNs <= 0)
                {
                    throw new BusException("gave up connecting to the seqbus broker at " + connection.socket() +
                        " after trying for " + TimeUnit.NANOSECONDS.toMillis(retryNs) + " ms (connectRetry); last: " +
                        ex.getMessage(), ex.code(), ex);
                }
                LockSupport.parkNanos(Math.min(backoffNs, leftNs));
                backoffNs = Math.min(backoffNs * 2, backoffMaxNs);
                reconnector.resetForRetry();
            }
        }
        if (threadMode == ThreadMode.DEDICATED)
        {
            running = true;
            thread = new Thread(this::run, options.threadName());
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void connectOnce()
    {
        polling.set(true);
        try
        {
            reconnector.greet();
            int idle = 0;
            while (connection.state() == Connection.AWAITING_WELCOME)
            {
                idle = doWork() > 0 ? 0 : backoff(idle);
            }
            reconnector.checkGreeted();
        }
        finally
        {
            reconnector.greetDone();
            polling.set(false);
        }
    }

    /** {@link BusClient#poll()}. */
    int poll()
    {
        if (threadMode != ThreadMode.POLL)
        {
            throw new IllegalStateException("poll() is for ThreadMode.POLL; this client runs its own thread");
        }
        if (!polling.compareAndSet(false, true))
        {
            if (workThread == Thread.currentThread())
            {
                throw new IllegalStateException("poll() called from a handler");
            }
            // Another thread polls now: a waiting call (sync, flush, subscribe...), which polls while it waits
            // (pause), or the application's other poller. The work is being done; an application's poll loop must
            // not die of it (a dead loop leaves the subscriber unread until the broker evicts it).
            return 0;
        }
        try
        {
            outbound.pollerThread(Thread.currentThread());
            return doWork();
        }
        finally
        {
            polling.set(false);
        }
    }

    /**
     * {@link BusClient#poll(java.time.Duration)}: polls; when there was nothing, waits for work (spinning as
     * {@link ClientOptions#adaptiveSpin(boolean)} says, then asleep in poll(2) on the socket, and on shared memory
     * on client_wake) and polls again, until there is work or the time is up.
     */
    int poll(final long maxWaitNs)
    {
        if (threadMode != ThreadMode.POLL)
        {
            throw new IllegalStateException("poll() is for ThreadMode.POLL; this client runs its own thread");
        }
        if (!polling.compareAndSet(false, true))
        {
            if (workThread == Thread.currentThread())
            {
                throw new IllegalStateException("poll() called from a handler");
            }
            // As poll(): a waiting call polls now. Wait a little rather than return at once, so a loop around this
            // does not spin; the waiting call does the work meanwhile.
            LockSupport.parkNanos(Math.min(maxWaitNs, WAIT_DISCONNECTED_NS));
            return 0;
        }
        try
        {
            outbound.pollerThread(Thread.currentThread());
            int work = doWork(maxWaitNs > 0, false);
            if (work > 0 || maxWaitNs <= 0)
            {
                return work;
            }
            return await(maxWaitNs);
        }
        finally
        {
            polling.set(false);
        }
    }

    private int await(final long maxWaitNs)
    {
        final AdaptiveSpin adaptive = pollSpin();
        long nowNs = System.nanoTime();
        final long deadlineNs = nowNs + maxWaitNs;
        final long idleSpinNs = Math.min(options.idleSpin().toNanos(), maxWaitNs);
        final long spinUntilNs = nowNs + (adaptive == null || adaptive.shouldSpin(nowNs) ? idleSpinNs : 0);
        while (!connection.isClosing() && connection.state() != Connection.CLOSED)
        {
            final long leftNs = deadlineNs - nowNs;
            if (nowNs - spinUntilNs < 0)
            {
                Thread.onSpinWait();
            }
            else if (leftNs <= 0)
            {
                return 0;
            }
            else
            {
                if (adaptive != null)
                {
                    adaptive.spinEnded(nowNs);
                }
                sleep(leftNs);
            }
            final int work = doWork();
            nowNs = System.nanoTime();
            if (work > 0)
            {
                if (adaptive != null)
                {
                    adaptive.workFound(nowNs);
                }
                return work;
            }
        }
        return 0;
    }

    // Asleep until the broker gives us work (or hangs up), at most leftNs; parks where poll(2) would not sleep.
    private void sleep(final long leftNs)
    {
        final long leftMs = TimeUnit.NANOSECONDS.toMillis(leftNs);
        if (connection.state() != Connection.CONNECTED || inbound.isShortOfDescriptors() || leftMs == 0)
        {
            LockSupport.parkNanos(Math.min(leftNs, WAIT_DISCONNECTED_NS));
            return;
        }
        connection.awaitReadable(Math.min(leftMs, SLEEP_IN_POLL_MS));
    }

    /**
     * Closes the policy of the threads that waited in {@link #poll(long)} or a waiting call (it holds the waiting
     * thread's schedstat file open). Only once {@link #stop} said no other thread polls any more.
     */
    void releasePollSpin()
    {
        final AdaptiveSpin spin = pollSpin;
        pollSpin = null;
        pollSpinThread = null;
        if (spin != null)
        {
            spin.close();
        }
    }

    private AdaptiveSpin pollSpin()
    {
        if (!options.adaptiveSpin() || options.idleSpin().isZero())
        {
            return null;
        }
        final Thread current = Thread.currentThread();
        if (pollSpinThread != current)
        {
            // Another thread waits now: the policy reads the waiting thread's own run-queue wait.
            if (pollSpin != null)
            {
                pollSpin.close();
            }
            pollSpin = AdaptiveSpins.forCurrentThread(options.idleSpin().toNanos());
            pollSpinThread = current;
        }
        return pollSpin;
    }

    /**
     * @return true on the thread running handlers right now.
     */
    boolean isWorkThread()
    {
        return workThread == Thread.currentThread();
    }

    /**
     * Stops the client's thread, waiting for it at most the given time unless called from it (from a handler).
     * In {@link ThreadMode#POLL} it waits, as long, for a poll running on another thread. Handlers do not start
     * once the connection is closing, so this waits at most for the one running now.
     *
     * @return true when no other thread is polling any more.
     */
    boolean stop(final long timeoutNs)
    {
        running = false;
        // Out of its sleep in poll(2) now, not when the sleep ends.
        outbound.lock().lock();
        try
        {
            connection.wakeup();
        }
        finally
        {
            outbound.lock().unlock();
        }
        final Thread clientThread = thread;
        if (clientThread != null)
        {
            if (clientThread == Thread.currentThread())
            {
                return true;
            }
            try
            {
                final long ns = Math.max(timeoutNs, 1);
                clientThread.join(TimeUnit.NANOSECONDS.toMillis(ns), (int)(ns % 1_000_000));
                return !clientThread.isAlive();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        if (isWorkThread())
        {
            return true;
        }
        final long deadline = System.nanoTime() + timeoutNs;
        int idle = 0;
        while (polling.get())
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            idle = backoff(idle);
        }
        return true;
    }

    /**
     * Waits a little; in {@link ThreadMode#POLL} polls instead when allowed and nobody else is polling.
     */
    int pause(final int idle, final boolean mayPoll)
    {
        if (mayPoll && threadMode == ThreadMode.POLL && workThread != Thread.currentThread() &&
            polling.compareAndSet(false, true))
        {
            final int work;
            try
            {
                work = doWork();
            }
            finally
            {
                polling.set(false);
            }
            if (work > 0)
            {
                return 0;
            }
        }
        return backoff(idle);
    }

    private void run()
    {
        final boolean busySpin = options.busySpin();
        final IdleStrategy idleStrategy = busySpin ? new BusySpinIdleStrategy() : backoffIdleStrategy();
        // Time, not a count of cycles: a cycle's cost changes with the machine and the build. Too short a
        // spin costs a publishing client half its throughput (its thread slept while the publisher sent
        // alone, a syscall per message) and a subscriber a wake-up per message at moderate rates.
        final long idleSpinNs = options.idleSpin().toNanos();
        // The most it spins; how long each idle stretch spins is the policy's (busySpin: always all of it).
        final AdaptiveSpin adaptive = !busySpin && options.adaptiveSpin() && idleSpinNs > 0 ?
            AdaptiveSpins.forCurrentThread(idleSpinNs) : null;
        try
        {
            run(idleStrategy, idleSpinNs, adaptive);
        }
        finally
        {
            if (adaptive != null)
            {
                adaptive.close();
            }
        }
    }

    private void run(final IdleStrategy idleStrategy, final long idleSpinNs, final AdaptiveSpin adaptive)
    {
        outbound.pollerThread(Thread.currentThread());
        int idleCycles = 0;
        long idleSinceNs = 0;
        long spinNs = idleSpinNs;
        boolean backlog = false;
        // A client closed for good by a failure stops its thread; close() stops it too.
        while (running && connection.state() != Connection.CLOSED)
        {
            int work = 0;
            try
            {
                // One datagram when the thread sleeps next (this idle stretch does not spin, as the last one
                // decided) and its last poll(2) slept: a poll(2) that returned at once found a backlog, read it all.
                work = doWork(true, spinNs == 0 && options.sleepInPoll() && !backlog);
            }
            catch (final Throwable ex)
            {
                options.errorHandler().onHandlerException(ex, null, null);
            }
            boolean spun = false;
            if (work > 0)
            {
                if (idleCycles > 0 && adaptive != null)
                {
                    adaptive.workFound(System.nanoTime());
                }
                idleCycles = 0;
                outbound.afterThreadWork();
            }
            else
            {
                final long nowNs = System.nanoTime();
                if (idleCycles++ == 0)
                {
                    idleSinceNs = nowNs;
                    spinNs = adaptive == null || adaptive.shouldSpin(nowNs) ? idleSpinNs : 0;
                }
                spun = nowNs - idleSinceNs >= spinNs;
                if (spun && !outbound.senderIdle())
                {
                    idleCycles = 0;
                    continue;
                }
                if (spun && adaptive != null)
                {
                    adaptive.spinEnded(nowNs);
                }
            }
            if (spun && inbound.isShortOfDescriptors())
            {
                // Not reading for want of descriptors: the socket stays readable, so poll(2) would not sleep.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                continue;
            }
            if (spun && options.sleepInPoll() && connection.state() == Connection.CONNECTED)
            {
                // Publishers send for themselves while we are idle, so only the broker can
                // give us work now: sleep until it does (bounded: see SLEEP_IN_POLL_MS).
                final long beforeNs = System.nanoTime();
                connection.awaitReadable(SLEEP_IN_POLL_MS);
                backlog = System.nanoTime() - beforeNs < BACKLOG_POLL_NS;
                continue;
            }
            if (!spun && work == 0 && connection.shm() != null)
            {
                // Within the spin on shared memory: a look at the ring is a load, so spin on it; no yield (a syscall).
                Thread.onSpinWait();
                continue;
            }
            idleStrategy.idle(work);
        }
    }

    // Spins, then yields, and no parks before the thread sleeps in poll(2) at the end of idleSpin: a park here
    // lasts 20-40 µs whatever is asked, and a message that came meanwhile waited it out (with parks, one-hop p50
    // at 10k msgs/s was ~30 µs; without, ~20 µs). 1,000 yields outlast the default idleSpin; short parks remain
    // for when it cannot sleep in poll (disconnected, or sleepInPoll off).
    private static IdleStrategy backoffIdleStrategy()
    {
        return new BackoffIdleStrategy(10, 1_000, 1_000, 20_000);
    }

    private int doWork()
    {
        return doWork(false, false);
    }

    /**
     * @param waiting the caller spins or sleeps in poll(2) next if nothing is found: the socket need not be read
     *                again right after a read that emptied it ({@link Inbound#readUnlessJustDrained(boolean)}).
     * @param sleepsNext the caller sleeps in poll(2) as soon as it finds no work: read one datagram.
     */
    private int doWork(final boolean waiting, final boolean sleepsNext)
    {
        workThread = Thread.currentThread();
        try
        {
            final int currentState = connection.state();
            if (currentState == Connection.CLOSED)
            {
                return 0;
            }
            if (currentState == Connection.DISCONNECTED)
            {
                return connection.isClosing() ? 0 : reconnector.reconnectIfDue();
            }
            final IOException failure = connection.writeFailure();
            if (failure != null)
            {
                // A publisher's write failed; what the broker said before the end is read first.
                return inbound.lostWithoutNotice(connection.reads(), failure);
            }
            int work = waiting ? inbound.readUnlessJustDrained(sleepsNext) : inbound.read();
            work += reconnector.checkWelcomeDeadline();
            if (connection.state() == Connection.CONNECTED)
            {
                work += outbound.sendPending();
            }
            inbound.ensureCapacity();
            return work;
        }
        finally
        {
            workThread = null;
        }
    }

    // The schedule of Agrona's BackoffIdleStrategy(10, 10, 1 µs, 1 ms): 10 spins, 10 yields, then parks doubling
    // from 1 µs to 1 ms. Kept as a function of a count the waiter holds, not a strategy object, because the waiters
    // are application threads, any number at once (a publish held back, flush, subscribe, sync, close): a
    // BackoffIdleStrategy is mutable state, so each would need its own, an allocation per call that waits, which for
    // a publisher held back by a full batch is an allocation per message. The client's thread, one waiter, does
    // use Agrona's (see run()).
    private static int backoff(final int idle)
    {
        if (idle < 10)
        {
            Thread.onSpinWait();
        }
        else if (idle < 20)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(Math.min(1_000L << Math.min(idle - 20, 10), 1_000_000L));
        }
        return idle + 1;
    }
}

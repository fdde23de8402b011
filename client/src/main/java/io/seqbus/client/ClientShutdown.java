package io.seqbus.client;

import io.seqbus.wire.UnsubscribeFrame;

import java.time.Duration;

/**
 * How a client ends: {@link BusClient#close()} and {@link BusClient#drain(Duration)}. Its own class because the
 * order of its steps is what keeps close's promises (no handler starts once it began, waiting publishers hear
 * "closed", every accepted publish is sent or counted, all within the timeout whatever handlers do), and that order
 * reads best in one place. It owns what only shutting down writes: whether the client is draining, and what the
 * close could not send.
 */
final class ClientShutdown
{
    private final Connection connection;
    private final Outbound outbound;
    private final Inbound inbound;
    private final ClientConductor conductor;
    private final Subscriptions subscriptions;
    private final HandlerQueues handlerQueues;
    private final PendingRequests requests;
    private final ErrorHandler errorHandler;
    private final long closeTimeoutNs;
    private volatile boolean draining;
    private volatile long unsentAtClose;

    ClientShutdown(
        final Connection connection, final Outbound outbound, final Inbound inbound, final ClientConductor conductor,
        final Subscriptions subscriptions, final HandlerQueues handlerQueues, final PendingRequests requests,
        final ErrorHandler errorHandler, final long closeTimeoutNs)
    {
        this.connection = connection;
        this.outbound = outbound;
        this.inbound = inbound;
        this.conductor = conductor;
        this.subscriptions = subscriptions;
        this.handlerQueues = handlerQueues;
        this.requests = requests;
        this.errorHandler = errorHandler;
        this.closeTimeoutNs = closeTimeoutNs;
    }

    void close()
    {
        closeWithin(closeTimeoutNs);
    }

    boolean drain(final Duration timeout)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        if (conductor.isWorkThread())
        {
            throw new IllegalStateException("drain() cannot be called from a handler: the PONG would never be read");
        }
        connection.checkOpen();
        draining = true;
        final boolean delivered = unsubscribeAllAndAwaitPong(deadline);
        // Handlers on executors: what they had queued is handled before the close, within the deadline.
        final boolean handled = handlerQueues.awaitIdle(deadline) && delivered;
        int idle = 0;
        while (!outbound.sendLocked(false) && !connection.isClosing() && connection.state() != Connection.CLOSED)
        {
            if (System.nanoTime() - deadline >= 0)
            {
                break;
            }
            idle = conductor.pause(idle, true);
        }
        final boolean closedInTime = closeWithin(Math.max(0, deadline - System.nanoTime()));
        return handled && closedInTime;
    }

    /** @return true once drain() began: it refuses new subscriptions. */
    boolean isDraining()
    {
        return draining;
    }

    long unsentAtClose()
    {
        return unsentAtClose;
    }

    /**
     * The bounded close shared by close() and drain().
     *
     * @return true when the batch left, no handler was running at the end, and nothing accepted was unsent.
     */
    private boolean closeWithin(final long timeoutNs)
    {
        if (connection.state() == Connection.CLOSED || connection.isClosing())
        {
            return connection.state() == Connection.CLOSED && unsentAtClose == 0;
        }
        requests.close();
        final long deadline = System.nanoTime() + timeoutNs;
        // First: from here no handler starts and waiting publishers give up (see Inbound, BlockingPublish).
        connection.closing();
        // Handlers on executors stop after the running one (what was queued is counted); an I/O thread waiting for
        // room in a queue under the block policy wakes, so the conductor can stop.
        handlerQueues.closeAll();
        int idle = 0;
        while (connection.state() == Connection.CONNECTED && !outbound.sendLocked(false) &&
            System.nanoTime() - deadline < 0)
        {
            idle = conductor.pause(idle, false);
        }
        final boolean stopped = conductor.stop(Math.max(0, deadline - System.nanoTime()));
        if (stopped)
        {
            // A descriptor per client that ever waited in POLL mode, else (ClientSharedMemoryTest counts them).
            conductor.releasePollSpin();
        }
        final int unsent;
        outbound.lock().lock();
        try
        {
            // Counted and closed under the lock: a publish either got in before (and is counted here) or
            // finds the client closed; none is accepted and then lost unseen.
            unsent = outbound.batch().countPublishes();
            outbound.detach();
            connection.closedByUser();
            connection.state(Connection.CLOSED);
            outbound.batch().clear();
        }
        finally
        {
            outbound.lock().unlock();
        }
        if (unsent > 0)
        {
            unsentAtClose = unsent;
            try
            {
                errorHandler.onError(new BusError(0, false, 0, unsent + " accepted publishes were not sent: " +
                    "the client closed before the seqbus broker at " + connection.socket() + " took them"));
            }
            catch (final Throwable ex)
            {
                errorHandler.onHandlerException(ex, null, null);
            }
        }
        return stopped && unsent == 0;
    }

    /**
     * Drain's first step: UNSUBSCRIBE for every live subscription, then PING, and waiting for the PONG
     * while the handlers of what the broker queued before run.
     *
     * @return true when the PONG came before the deadline.
     */
    private boolean unsubscribeAllAndAwaitPong(final long deadline)
    {
        final Subscription[] live = subscriptions.all();
        int next = 0;
        long token = 0;
        long epoch = 0;
        int idle = 0;
        while (token == 0)
        {
            outbound.lock().lock();
            try
            {
                if (connection.state() != Connection.CONNECTED)
                {
                    // Nothing is on its way over a connection that is not there, and a reconnect must not
                    // subscribe again.
                    for (final Subscription subscription : live)
                    {
                        subscription.drained();
                    }
                    return true;
                }
                while (next < live.length)
                {
                    final Subscription subscription = live[next];
                    if (subscription.isClosed() || subscription.error() != null || subscription.isDrained())
                    {
                        next++;
                        continue;
                    }
                    if (!outbound.batch().reserve(UnsubscribeFrame.LENGTH))
                    {
                        break;
                    }
                    outbound.batch().advance(UnsubscribeFrame.encode(
                        outbound.batch().buffer(), outbound.batch().position(), subscription.id()));
                    subscription.drained();
                    next++;
                }
                if (next == live.length)
                {
                    token = outbound.ping();
                    epoch = connection.connectionEpoch();
                }
            }
            finally
            {
                outbound.lock().unlock();
            }
            if (token == 0)
            {
                if (System.nanoTime() - deadline >= 0)
                {
                    return false;
                }
                idle = conductor.pause(idle, true);
            }
        }
        while (inbound.lastPongToken() < token)
        {
            if (connection.connectionEpoch() != epoch || connection.state() != Connection.CONNECTED)
            {
                return true;
            }
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            idle = conductor.pause(idle, true);
        }
        return true;
    }
}

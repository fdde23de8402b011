package io.seqbus.client;

import io.seqbus.wire.ResponseFrame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This client's requests waiting for their RESPONSE (SPEC.md, "Requests and replies"), by request_id: each ends
 * once, with the RESPONSE (read on the client's thread), at the client's own timer, or when the connection it went
 * out on is gone (the broker forgets the requests of a closed connection, so no RESPONSE would come).
 *
 * <p>Completion never runs a caller's callback on the client's thread: a future with dependents is completed on
 * {@link ClientOptions#requestExecutor()}; one without (a caller waiting in {@code get()}) is completed in place,
 * which only wakes that caller.
 */
final class PendingRequests
{
    private static final class Pending
    {
        final CompletableFuture<Message> future;
        final String topic;
        ScheduledFuture<?> timer;

        Pending(final CompletableFuture<Message> future, final String topic)
        {
            this.future = future;
            this.topic = topic;
        }
    }

    private final ConcurrentHashMap<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private final Executor executor;
    private final String socket;
    private volatile ScheduledThreadPoolExecutor timers;

    PendingRequests(final Executor executor, final String socket)
    {
        this.executor = executor;
        this.socket = socket;
    }

    /**
     * Registers a request about to be sent.
     *
     * @return its request_id: not 0, not pending.
     */
    int register(final CompletableFuture<Message> future, final String topic)
    {
        final Pending p = new Pending(future, topic);
        while (true)
        {
            final int id = nextId.incrementAndGet();
            if (id != 0 && pending.putIfAbsent(id, p) == null)
            {
                return id;
            }
        }
    }

    /** Starts the client's own timer for a registered request (after it was sent). */
    void startTimer(final int id, final long timeoutNs)
    {
        final Pending p = pending.get(id);
        if (p == null)
        {
            return;
        }
        p.timer = timers().schedule(() -> timedOut(id), timeoutNs, TimeUnit.NANOSECONDS);
        if (p.future.isDone())
        {
            p.timer.cancel(false);
        }
    }

    /** A request that could not be sent: forgotten, its future failed. */
    void abandon(final int id, final Throwable why)
    {
        final Pending p = pending.remove(id);
        if (p != null)
        {
            complete(p, null, why);
        }
    }

    /**
     * The client's thread: a RESPONSE.
     *
     * @param id     its request_id.
     * @param status its status.
     * @param reply  the reply (a copy the caller owns) with {@link ResponseFrame#REPLIED}, else null.
     */
    void onResponse(final int id, final int status, final Message reply)
    {
        final Pending p = pending.remove(id);
        if (p == null)
        {
            return; // timed out here already, or abandoned
        }
        switch (status)
        {
            case ResponseFrame.REPLIED:
                complete(p, reply, null);
                break;
            case ResponseFrame.NO_RESPONDERS:
                complete(p, null, new NoRespondersException("request to '" + p.topic + "': no responders (nothing " +
                    "subscribes to it at the seqbus broker at " + socket + ")"));
                break;
            case ResponseFrame.RESPONDERS_GONE:
                complete(p, null, new RespondersGoneException("request to '" + p.topic + "': every subscriber it " +
                    "was delivered to went away before replying (seqbus broker at " + socket + ")"));
                break;
            case ResponseFrame.TIMED_OUT:
                complete(p, null, new TimeoutException("request to '" + p.topic + "' timed out at the broker"));
                break;
            case ResponseFrame.DENIED:
                complete(p, null, new AccessDeniedException("request to '" + p.topic + "' refused by the access " +
                    "rules of the seqbus broker at " + socket));
                break;
            case ResponseFrame.TOO_MANY_REQUESTS:
                complete(p, null, new BusException("request to '" + p.topic + "' refused: too many requests " +
                    "pending (max_pending_requests_per_connection, _per_uid or _total of the seqbus broker at " +
                    socket + ")"));
                break;
            default:
                complete(p, null, new BusException("request to '" + p.topic + "' ended with an unknown status " +
                    status + " (seqbus broker at " + socket + ")"));
                break;
        }
    }

    /** The connection the requests went out on is gone: none of them will be answered. */
    void connectionLost(final String why)
    {
        if (pending.isEmpty())
        {
            return;
        }
        final List<Integer> ids = new ArrayList<>(pending.keySet());
        for (final Integer id : ids)
        {
            abandon(id, new BusException("request lost: " + why));
        }
    }

    /** The client closes: every pending request fails, the timer thread stops. */
    void close()
    {
        connectionLost("the BusClient was closed");
        final ScheduledThreadPoolExecutor t = timers;
        if (t != null)
        {
            t.shutdownNow();
        }
    }

    /**
     * @param id a request_id.
     * @return the UTF-8 of its topic, for the reply message (empty when it is not pending).
     */
    byte[] topicBytes(final int id)
    {
        final Pending p = pending.get(id);
        return p == null ? new byte[0] : p.topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** @return requests waiting now. */
    int size()
    {
        return pending.size();
    }

    private void timedOut(final int id)
    {
        final Pending p = pending.remove(id);
        if (p != null)
        {
            complete(p, null, new TimeoutException("request to '" + p.topic + "': no reply in time"));
        }
    }

    private void complete(final Pending p, final Message value, final Throwable failure)
    {
        if (p.timer != null)
        {
            p.timer.cancel(false);
        }
        final CompletableFuture<Message> f = p.future;
        if (f.getNumberOfDependents() == 0)
        {
            // Nobody chained to it: completing only wakes a caller in get()/join().
            finish(f, value, failure);
            return;
        }
        executor.execute(() -> finish(f, value, failure));
    }

    private static void finish(final CompletableFuture<Message> f, final Message value, final Throwable failure)
    {
        if (failure != null)
        {
            f.completeExceptionally(failure);
        }
        else
        {
            f.complete(value);
        }
    }

    private ScheduledThreadPoolExecutor timers()
    {
        ScheduledThreadPoolExecutor t = timers;
        if (t == null)
        {
            synchronized (this)
            {
                t = timers;
                if (t == null)
                {
                    t = new ScheduledThreadPoolExecutor(1, (r) ->
                    {
                        final Thread thread = new Thread(r, "seqbus-request-timer");
                        thread.setDaemon(true);
                        return thread;
                    });
                    t.setRemoveOnCancelPolicy(true);
                    timers = t;
                }
            }
        }
        return t;
    }
}

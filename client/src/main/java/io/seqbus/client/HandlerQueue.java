package io.seqbus.client;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue between the client's I/O thread and a subscription's handler, for a subscription with an
 * {@link SubscriptionOptions#executor(Executor) executor} or a {@link SubscriptionOptions#pull() pull} one.
 * <p>
 * It is the subscription's {@link MessageHandler} as far as {@link Inbound} knows: its {@link #onMessage} runs on the
 * I/O thread, copies the message and queues the copy. With an executor, one drain task at a time runs on it (a serial
 * executor: the {@code scheduled} flag says a task is submitted or running; the task hands messages to the handler,
 * then clears the flag and submits itself again if more came meanwhile), so the subscription's order holds on any
 * number of executor threads and the handler's writes are seen by its next run. Pull mode has no task: callers of
 * {@link #next} take from the queue.
 * <p>
 * The lock guards only the deque, never user code: the I/O thread holds it to add, a drain or a {@code next} to take.
 * A full queue follows the policy (see {@link #onMessage}). Closing stops the drain after the handler it runs and
 * counts what was still queued.
 * <p>
 * With an executor, descriptors a message carries (besides a memfd payload, which is copied) move to its copy: the
 * handler may take them on the executor, and those it does not take are closed when it returns, or when the copy is
 * dropped or was still queued at close. A pull copy carries none (they are closed on the I/O thread).
 */
final class HandlerQueue implements MessageHandler, Runnable
{
    // Messages one drain task hands over before it submits itself again, so that one busy subscription does not
    // keep an executor thread from the others.
    private static final int DRAIN_BATCH = 64;

    private final MessageHandler handler;
    private final Executor executor;
    private final int capacity;
    private final SlowConsumerPolicy policy;
    private final ErrorHandler errorHandler;
    private final HandlerQueues owner;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition notEmpty = lock.newCondition();
    // Messages (copies) and, with an executor, QueuedGaps in between, in the order the I/O thread read them.
    private final ArrayDeque<Object> queue;
    // Under the lock: the QueuedGaps in the queue; they do not count against the capacity nor as pending messages.
    private int queuedGaps;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong drops = new AtomicLong();
    private final AtomicLong unhandled = new AtomicLong();
    private final AtomicLong handlerErrors = new AtomicLong();
    // Set by the I/O thread at the first message: the subscription this queue serves.
    private volatile Subscription subscription;
    private volatile boolean closed;
    private volatile boolean rejectedReported;

    /**
     * @param handler  runs on the executor; null in pull mode.
     * @param executor null in pull mode.
     * @param policy   on overflow; {@code DEFAULT} acts as {@code BLOCK}, the broker's own default.
     */
    HandlerQueue(
        final MessageHandler handler, final Executor executor, final int capacity, final SlowConsumerPolicy policy,
        final ErrorHandler errorHandler, final HandlerQueues owner)
    {
        this.handler = handler;
        this.executor = executor;
        this.capacity = capacity;
        this.policy = policy == SlowConsumerPolicy.DEFAULT ? SlowConsumerPolicy.BLOCK : policy;
        this.errorHandler = errorHandler;
        this.owner = owner;
        this.queue = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    boolean isPull()
    {
        return executor == null;
    }

    void subscription(final Subscription subscription)
    {
        this.subscription = subscription;
    }

    /**
     * On the I/O thread: queues a copy. When the queue is full: {@code DROP_NEWEST} drops this message,
     * {@code DROP_OLDEST} the oldest queued one (both counted); {@code BLOCK} waits for room, so the I/O thread reads
     * nothing more for this client until the handler catches up or the queue is closed; {@code DISCONNECT} drops it,
     * closes the subscription and tells the error handler.
     */
    @Override
    public void onMessage(final Message message)
    {
        if (closed)
        {
            // Counted as delivered by Inbound a moment before the close: unhandled, so the sums stay exact.
            notQueued();
            return;
        }
        final Message copy = message.copy(executor != null);
        boolean overflowed = false;
        lock.lock();
        try
        {
            while (queue.size() - queuedGaps >= capacity && !closed)
            {
                if (policy == SlowConsumerPolicy.BLOCK)
                {
                    notFull.awaitUninterruptibly();
                    continue;
                }
                drop();
                if (policy == SlowConsumerPolicy.DROP_OLDEST)
                {
                    dropOldestMessage();
                    continue;
                }
                overflowed = true;
                break;
            }
            if (closed)
            {
                copy.releaseCopy();
                notQueued();
                return;
            }
            if (!overflowed)
            {
                queue.addLast(copy);
                notEmpty.signal();
            }
        }
        finally
        {
            lock.unlock();
        }
        if (overflowed)
        {
            copy.releaseCopy();
            if (policy == SlowConsumerPolicy.DISCONNECT)
            {
                disconnect(copy.subscription());
            }
            return;
        }
        if (executor != null && scheduled.compareAndSet(false, true))
        {
            submit();
        }
    }

    /** Under the lock: the oldest queued message goes; a gap stays (it tells of loss at the broker). */
    private void dropOldestMessage()
    {
        final java.util.Iterator<Object> entries = queue.iterator();
        while (entries.hasNext())
        {
            if (entries.next() instanceof Message message)
            {
                entries.remove();
                message.releaseCopy();
                return;
            }
        }
    }

    /**
     * On the I/O thread, with an executor: the gap goes into the queue behind the messages read before it, so the
     * gap handler runs on the executor between them and the ones after. Never dropped nor waited for: a gap is what
     * tells of loss, and it takes no room from the messages. Dropped only when the queue is closed.
     *
     * @param handler the subscription's gap handler (or the client's).
     * @param gap     a copy the queue keeps.
     */
    void onGap(final GapHandler handler, final Gap gap)
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            queue.addLast(new QueuedGap(handler, gap));
            queuedGaps++;
        }
        finally
        {
            lock.unlock();
        }
        if (scheduled.compareAndSet(false, true))
        {
            submit();
        }
    }

    /** A gap waiting in the queue with the handler to tell. */
    private record QueuedGap(GapHandler handler, Gap gap)
    {
    }

    private void notQueued()
    {
        unhandled.incrementAndGet();
        owner.unhandled(1);
    }

    private void drop()
    {
        drops.incrementAndGet();
        owner.dropped();
    }

    /** The DISCONNECT policy on a full queue: the subscription is closed (what was queued is counted) with an error. */
    private void disconnect(final Subscription subscription)
    {
        final BusError error = new BusError(ErrorCode.CLIENT, false, subscription.id(), "subscription " +
            subscription.id() + " on '" + subscription.pattern() + "' closed: its handler queue of " + capacity +
            " messages was full (policy disconnect)");
        subscription.close();
        subscription.fail(error);
        try
        {
            errorHandler.onError(error);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex, subscription, null);
        }
    }

    private void submit()
    {
        try
        {
            executor.execute(this);
        }
        catch (final RejectedExecutionException ex)
        {
            // The next message tries again; what is queued stays queued (and is counted if the queue is closed).
            scheduled.set(false);
            if (!rejectedReported)
            {
                rejectedReported = true;
                errorHandler.onHandlerException(ex, subscription, null);
            }
        }
    }

    /** The drain task, on the executor: at most one runs at a time for this queue. */
    @Override
    public void run()
    {
        try
        {
            for (int i = 0; i < DRAIN_BATCH; i++)
            {
                final Object entry = take();
                if (entry == null)
                {
                    break;
                }
                if (entry instanceof QueuedGap queued)
                {
                    handleGap(queued);
                }
                else
                {
                    handle((Message)entry);
                }
            }
        }
        finally
        {
            scheduled.set(false);
            // A message queued after the last take() found its CAS failing: this task submits for it.
            if (!closed && !isEmpty() && scheduled.compareAndSet(false, true))
            {
                submit();
            }
        }
    }

    private void handle(final Message message)
    {
        try
        {
            handler.onMessage(message);
        }
        catch (final Throwable ex)
        {
            handlerErrors.incrementAndGet();
            owner.handlerError();
            errorHandler.onHandlerException(ex, message.subscription(), message);
        }
        finally
        {
            message.releaseCopy(); // descriptors the handler did not take, as on the I/O thread
        }
    }

    private void handleGap(final QueuedGap queued)
    {
        try
        {
            queued.handler().onGap(queued.gap());
        }
        catch (final Throwable ex)
        {
            handlerErrors.incrementAndGet();
            owner.handlerError();
            errorHandler.onHandlerException(ex, queued.gap().subscription(), null);
        }
    }

    /** @return the oldest queued message or gap, or null when empty or closed. */
    private Object take()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return null;
            }
            final Object entry = queue.pollFirst();
            if (entry instanceof QueuedGap)
            {
                queuedGaps--;
            }
            else if (entry != null)
            {
                notFull.signalAll();
            }
            return entry;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Pull mode: the oldest queued message, waiting up to the timeout.
     *
     * @return the message, or null when none came in time.
     * @throws IllegalStateException when the queue was closed (before or while waiting).
     */
    Message next(final long timeoutNs)
    {
        long remainingNs = timeoutNs;
        lock.lock();
        try
        {
            while (true)
            {
                if (closed)
                {
                    return null;
                }
                // Pull mode queues no gaps (Inbound tells them to the gap handler at once).
                final Message message = (Message)queue.pollFirst();
                if (message != null)
                {
                    notFull.signalAll();
                    return message;
                }
                if (remainingNs <= 0)
                {
                    return null;
                }
                try
                {
                    remainingNs = notEmpty.awaitNanos(remainingNs);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting in next()", ex);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Any thread, idempotent: no handler starts after the one running now, no message is queued any more, and what
     * was queued is counted as unhandled. Wakes the I/O thread if it waits for room, and the callers of next().
     */
    void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            final int left = queue.size() - queuedGaps;
            for (final Object entry : queue)
            {
                if (entry instanceof Message message)
                {
                    message.releaseCopy();
                }
            }
            queue.clear();
            queuedGaps = 0;
            unhandled.addAndGet(left);
            owner.unhandled(left);
            notFull.signalAll();
            notEmpty.signalAll();
        }
        finally
        {
            lock.unlock();
        }
        owner.remove(this);
    }

    boolean isClosed()
    {
        return closed;
    }

    /** @return true when nothing is queued and no drain task is submitted or running. */
    boolean isIdle()
    {
        return isEmpty() && !scheduled.get();
    }

    private boolean isEmpty()
    {
        lock.lock();
        try
        {
            return queue.isEmpty();
        }
        finally
        {
            lock.unlock();
        }
    }

    int pending()
    {
        lock.lock();
        try
        {
            return queue.size() - queuedGaps;
        }
        finally
        {
            lock.unlock();
        }
    }

    long drops()
    {
        return drops.get();
    }

    long unhandled()
    {
        return unhandled.get();
    }

    long handlerErrors()
    {
        return handlerErrors.get();
    }

    /** Waits, bounded, until {@link #isIdle()}; for drain(). */
    boolean awaitIdle(final long deadlineNs)
    {
        while (!isIdle() && !closed)
        {
            final long leftNs = deadlineNs - System.nanoTime();
            if (leftNs <= 0)
            {
                return false;
            }
            lock.lock();
            try
            {
                if (!queue.isEmpty())
                {
                    notFull.await(Math.min(leftNs, 1_000_000L), TimeUnit.NANOSECONDS);
                    continue;
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
            finally
            {
                lock.unlock();
            }
            // Empty, the last handler still running: it clears the flag when it returns.
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(leftNs, 100_000L));
        }
        return true;
    }
}

package io.seqbus.client;


import io.seqbus.wire.Groups;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Options of one subscription: what the broker does when this subscriber is slow, how much it
 * may queue, and who hears about gaps. Setters return this for chaining.
 */
public final class SubscriptionOptions
{
    /**
     * Messages that may wait for a handler on its {@link #executor(Executor) executor}, or for
     * {@link Subscription#next}, unless {@link #maxPending(int)} says otherwise.
     */
    public static final int DEFAULT_MAX_PENDING = 1024;

    private SlowConsumerPolicy policy = SlowConsumerPolicy.DEFAULT;
    private long maxQueueBytes;
    private GapHandler gapHandler;
    private Executor executor;
    private int maxPending = DEFAULT_MAX_PENDING;
    private boolean pull;
    private String group;

    /**
     * Options with the broker's defaults and the client's gap handler.
     */
    public SubscriptionOptions()
    {
    }

    /**
     * @param policy what the broker does when this subscriber falls behind; {@code DEFAULT} = the broker's.
     * @return this.
     */
    public SubscriptionOptions policy(final SlowConsumerPolicy policy)
    {
        this.policy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * @return the slow-consumer policy.
     */
    public SlowConsumerPolicy policy()
    {
        return policy;
    }

    /**
     * @param maxQueueBytes bound of this subscriber's queue at the broker, 0 for the broker's default,
     *                      at most 4 GiB - 1.
     * @return this.
     * @throws IllegalArgumentException when negative or above the u32 range.
     */
    public SubscriptionOptions maxQueueBytes(final long maxQueueBytes)
    {
        if (maxQueueBytes < 0 || maxQueueBytes > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("maxQueueBytes must be 0..4294967295: " + maxQueueBytes);
        }
        this.maxQueueBytes = maxQueueBytes;
        return this;
    }

    /**
     * @return the queue bound in bytes, 0 for the broker's default.
     */
    public long maxQueueBytes()
    {
        return maxQueueBytes;
    }

    /**
     * @param gapHandler told about this subscription's gaps; null = the client's
     *                   {@link ClientOptions#gapHandler()}.
     * @return this.
     */
    public SubscriptionOptions gapHandler(final GapHandler gapHandler)
    {
        this.gapHandler = gapHandler;
        return this;
    }

    /**
     * @return this subscription's gap handler, or null for the client's.
     */
    public GapHandler gapHandler()
    {
        return gapHandler;
    }

    // Handlers off the I/O thread, and pull (issue 19).

    /**
     * Options for a pull subscription, made with {@link BusClient#subscribe(String, SubscriptionOptions)} and read
     * with {@link Subscription#next}: no handler; the client queues a copy of each message (up to
     * {@link #maxPending(int)}) for the callers of {@code next}. A pulled message carries no descriptors: those a
     * publisher attached (not a memfd payload, which is copied) are closed on the I/O thread; take them in a handler,
     * on the I/O thread or an executor, to keep them.
     *
     * @return new options in pull mode, with the broker's defaults otherwise.
     */
    public static SubscriptionOptions pull()
    {
        final SubscriptionOptions options = new SubscriptionOptions();
        options.pull = true;
        return options;
    }

    /**
     * @return true for a pull subscription (made by {@link #pull()}).
     */
    public boolean isPull()
    {
        return pull;
    }

    /**
     * Runs this subscription's message handler on an executor instead of the client's I/O thread. The I/O thread
     * copies each message (an allocation per message, only in this mode and in pull mode: the copy is the
     * application's and stays valid after the handler returns) into the subscription's queue of at most
     * {@link #maxPending(int)} messages; one task at a time drains it on the executor, so messages reach the
     * handler in order, one at a time, whatever the number of executor threads (virtual threads too). The gap
     * handler runs on the executor too, in the same order: a gap is queued (a copy of the {@link Gap}, never dropped
     * nor counted against {@code maxPending}) behind the messages read before it and handled before those after it.
     * Descriptors the publisher attached move with the copy: the handler may {@link Message#takeDescriptors() take}
     * them, and those it does not take are closed when it returns, or when the copy is dropped or not handled.
     * <p>
     * When the queue is full the subscription's {@link #policy(SlowConsumerPolicy) policy} applies, in the client:
     * <ul>
     * <li>{@code DROP_OLDEST} / {@code DROP_NEWEST}: the oldest queued message, or the new one, is dropped and
     * counted ({@link SubscriptionStats#handlerDrops()}); no gap is told (the broker lost nothing).</li>
     * <li>{@code BLOCK} (and {@code DEFAULT}, as the broker's own default): the I/O thread (in {@link ThreadMode#POLL}
     * the thread in {@link BusClient#poll()}) waits for room, so the
     * client reads nothing more from the broker meanwhile, for any of its subscriptions: their queues at the broker
     * fill and the broker applies each one's policy (held publishers, gaps, or eviction of this client after its
     * stall timeout). Nothing is lost in the client. A handler that waits for the I/O thread
     * ({@link BusClient#sync}) then waits until its timeout. {@link Subscription#close()} and
     * {@link BusClient#close()} wake the waiting I/O thread.</li>
     * <li>{@code DISCONNECT}: the subscription is closed (what was queued is counted as
     * {@link SubscriptionStats#unhandled()}), the new message is counted as a drop, and the error handler is
     * told with a {@link BusError} of code {@link ErrorCode#CLIENT} whose {@code ref} is the subscription's id;
     * {@link Subscription#error()} returns it.</li>
     * </ul>
     * Closing the subscription or the client stops the drain after the handler running then; what was still
     * queued is not handled and is counted in {@link SubscriptionStats#unhandled()}. {@link BusClient#drain} waits
     * (within its timeout) for the queues to empty before it closes. Handler exceptions go to the error handler on
     * the executor's thread.
     *
     * @param executor runs the handler; null for the client's {@link ClientOptions#handlerExecutor(Executor)}
     *                 (by default none: the I/O thread runs handlers).
     * @return this.
     */
    public SubscriptionOptions executor(final Executor executor)
    {
        this.executor = executor;
        return this;
    }

    /**
     * @return the executor for this subscription's handler, or null for the client's.
     */
    public Executor executor()
    {
        return executor;
    }

    /**
     * @param maxPending messages that may wait in the client for the handler on its executor or for
     *                   {@link Subscription#next}, at least 1. Default {@link #DEFAULT_MAX_PENDING} (1,024).
     * @return this.
     * @throws IllegalArgumentException when below 1.
     */
    public SubscriptionOptions maxPending(final int maxPending)
    {
        if (maxPending < 1)
        {
            throw new IllegalArgumentException("maxPending must be at least 1: " + maxPending);
        }
        this.maxPending = maxPending;
        return this;
    }

    /**
     * Makes the subscription a member of a queue group: each message on a matching topic goes to one member of the
     * group (on this broker), picked round robin among those with room, while ordinary subscriptions still get
     * every message. A member sees gaps in each publisher's sequence (the messages other members got): these are
     * not reported as loss. What was queued at the broker for a member that goes away is discarded and counted
     * there (SPEC.md, "Queue groups").
     *
     * @param group the group's name: 1 to 64 bytes of one topic token (no {@code .}, {@code *}, {@code >}, space or
     *              control character); null for an ordinary subscription.
     * @return this.
     * @throws IllegalArgumentException for an invalid name.
     */
    public SubscriptionOptions group(final String group)
    {
        if (group != null && !Groups.isValidGroup(group))
        {
            throw new IllegalArgumentException("invalid queue group name '" + group + "': 1 to " +
                Groups.MAX_GROUP_LENGTH + " bytes of one topic token (no '.', '*', '>', space or control character)");
        }
        this.group = group;
        return this;
    }

    /**
     * @return the bound of the client's queue for this subscription, in messages.
     */
    public int maxPending()
    {
        return maxPending;
    }

    /**
     * @return the queue group's name, or null for an ordinary subscription.
     */
    public String group()
    {
        return group;
    }
}

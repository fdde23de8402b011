package io.seqbus.broker.fanout;

import io.seqbus.broker.quota.UidAccount;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import org.agrona.collections.Int2ObjectHashMap;

import java.io.IOException;
import java.util.Collection;
import java.util.Collections;

/**
 * One client as the fan-out sees it, and the one owner of everything queued for it: its {@link Outbox}, the
 * bound on it, whether it is over that bound (the block policy), the GAPs it is owed (drop-newest), whether it
 * waits to be flushed or for room in the kernel, whether it is being evicted and why, and its subscriptions with
 * what they are charged, and what its traffic came to ({@link SubscriberCounts}). Every change to these goes through a method here; other classes only ask.
 *
 * <p>How the queued datagrams reach the client is its {@link Transport}: the seam where a second transport
 * (descriptors over SCM_RIGHTS, a shared-memory ring) plugs in without the fan-out knowing. Owned by the agent
 * thread; nothing here allocates per message.
 */
public final class Subscriber
{
    private final Transport transport;
    private final Outbox outbox;
    private final UidAccount account;
    private final FlushList flushList;
    private final Backpressure backpressure;
    private final SubscriberCounts counts = new SubscriberCounts();
    private final Int2ObjectHashMap<Subscription> subscriptions = new Int2ObjectHashMap<>();
    private final Collection<Subscription> subscriptionsView =
        Collections.unmodifiableCollection(subscriptions.values());
    private int queueLimit;
    private long subscriptionBytes;
    private boolean flushPending;
    private boolean writeBlocked;
    private boolean overLimit;
    private long overLimitSinceNs;
    private boolean evicting;
    private String evictReason;
    private int pendingGaps;
    private boolean acceptsDescriptors;

    Subscriber(
        final Transport transport, final DatagramPool pool, final UidAccount account, final FlushList flushList,
        final Backpressure backpressure, final int queueLimit)
    {
        this.transport = transport;
        this.outbox = new Outbox(pool, account);
        this.account = account;
        this.flushList = flushList;
        this.backpressure = backpressure;
        this.queueLimit = queueLimit;
    }

    /** @return who it is, for logs. */
    public String label()
    {
        return transport.label();
    }

    /** @return what its uid holds at the broker. */
    public UidAccount account()
    {
        return account;
    }

    /** @return what its traffic came to since it connected, for the STAT document. */
    public SubscriberCounts counts()
    {
        return counts;
    }

    /** @return bytes waiting for the client. */
    public long queuedBytes()
    {
        return outbox.queuedBytes();
    }

    /**
     * @param accepts true when its HELLO had DESCRIPTORS: it reads with a control buffer and understands
     *                DELIVER_FDS (set by the handshake).
     */
    public void acceptsDescriptors(final boolean accepts)
    {
        this.acceptsDescriptors = accepts;
    }

    /** @return true when it may be sent descriptors; without, descriptor messages become GAP 7. */
    public boolean acceptsDescriptors()
    {
        return acceptsDescriptors;
    }

    /** @return payload bytes of the descriptor messages queued for it, not yet handed to its socket. */
    public long descriptorBytesQueued()
    {
        return outbox.descriptorBytes();
    }

    /**
     * @return descriptors handed to its socket that it may not have read yet: counted at each send, reset when
     * the kernel says it read everything (SIOCOUTQ 0). Conservative: never less than the truth.
     */
    public int descriptorsUnread()
    {
        return 0;
    }

    /** @return bytes queued before its slow-consumer policy applies. */
    public int queueLimit()
    {
        return queueLimit;
    }

    /** @return its live subscriptions, read only. */
    public Collection<Subscription> subscriptions()
    {
        return subscriptionsView;
    }

    /** @return how many subscriptions it has. */
    public int subscriptionCount()
    {
        return subscriptions.size();
    }

    /**
     * @param id the client's subscription id.
     * @return the subscription, or null.
     */
    public Subscription subscription(final int id)
    {
        return subscriptions.get(id);
    }

    /** @return heap charged for its subscriptions, bytes. */
    public long subscriptionBytes()
    {
        return subscriptionBytes;
    }

    /** @return true while the kernel's queue for it is full. */
    public boolean isWriteBlocked()
    {
        return writeBlocked;
    }

    /** @return true while it is over its bound under the block policy, holding publishers back. */
    public boolean isOverLimit()
    {
        return overLimit;
    }

    /** @return since when it is over its bound, ns; meaningful while {@link #isOverLimit()}. */
    public long overLimitSinceNs()
    {
        return overLimitSinceNs;
    }

    /** @return true once a policy evicts it: nothing more is queued for it. */
    public boolean isEvicting()
    {
        return evicting;
    }

    /** @return why a policy evicts it, for its SLOW_CONSUMER ERROR. */
    public String evictReason()
    {
        return evictReason;
    }

    /** Lists it among the subscribers to flush this duty cycle, once. */
    public void markForFlush()
    {
        if (!flushPending)
        {
            flushPending = true;
            flushList.add(this);
        }
    }

    /** The kernel has room again: flush what waits. */
    public void onWritable()
    {
        writeBlocked = false;
        markForFlush();
    }

    /**
     * Ends its part in the slow-consumer policies and drops what it never read, so a last ERROR is the next
     * thing it sees: it is being evicted or closed.
     *
     * @return messages discarded, for the ERROR that tells the client how many.
     */
    public long discardQueue()
    {
        evicting = true;
        leaveBlock();
        final long messages = outbox.queuedMessages();
        outbox.clear();
        return messages;
    }

    /** Closed: gives every queued buffer back and ends its part in the block policy. */
    public void close()
    {
        leaveBlock();
        outbox.clear();
    }

    /** Stops holding publishers back for it: it is closing. */
    public void leaveBlock()
    {
        if (overLimit)
        {
            overLimit = false;
            backpressure.underLimit();
        }
    }

    /**
     * Writes what is queued now, until done or the kernel's queue is full: for the closing linger, which writes
     * whatever the state.
     *
     * @param counter counts each datagram written.
     * @return true when nothing is left queued.
     * @throws IOException when the client is gone.
     */
    public boolean drain(final WriteCounter counter) throws IOException
    {
        return outbox.flush(transport, counter) == Outbox.DRAINED;
    }

    /** Flushes at the end of a duty cycle; see {@link FlushList}. */
    void flush(final WriteCounter counter)
    {
        flushPending = false;
        outbox.settle();
        if (writeBlocked || transport.isClosing())
        {
            return;
        }
        try
        {
            if (outbox.flush(transport, counter) == Outbox.BLOCKED)
            {
                writeBlocked = true;
                transport.onWriteBlocked();
            }
            outbox.settle();
            onQueueShrunk();
        }
        catch (final IOException ex)
        {
            transport.onWriteFailed(ex);
        }
    }

    /**
     * After a flush: releases publishers held for it and reports drops once there is room.
     */
    private void onQueueShrunk()
    {
        final long queued = outbox.queuedBytes();
        // Hysteresis: release publishers only once half the bound is free, so a subscriber at
        // the edge does not flip the broker between reading and not reading every cycle.
        if (overLimit && queued <= queueLimit / 2)
        {
            overLimit = false;
            backpressure.underLimit();
        }
        if (pendingGaps > 0 && queued + (long)GapFrame.LENGTH * pendingGaps <= queueLimit)
        {
            final Int2ObjectHashMap<Subscription>.ValueIterator it = subscriptions.values().iterator();
            while (it.hasNext())
            {
                final Subscription s = it.next();
                if (s.droppedCount() > 0)
                {
                    reportDrops(s);
                }
            }
        }
    }

    /** Queues the GAP that reports a subscription's drop-newest drops, before anything else queued for it. */
    void reportDrops(final Subscription s)
    {
        ClientProxy.gap(this, s.id(), s.droppedSourceNode(), s.droppedPublisherId(), s.droppedFromSequence(),
            s.droppedCount(), GapReason.DROPPED_NEWEST);
        s.dropsReported();
        pendingGaps--;
    }

    /** Counts one message not queued for a subscription (drop-newest), to report by a GAP later. */
    void dropNewest(final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        counts.onDroppedNewest();
        if (s.recordDrop(sourceNode, publisherId, sequence))
        {
            pendingGaps++;
        }
    }

    /** Over its bound under the block policy: publishers wait until it drains to half of it. */
    void enterBlock(final long nowNs)
    {
        if (!overLimit)
        {
            overLimit = true;
            overLimitSinceNs = nowNs;
            backpressure.overLimit();
        }
    }

    /** A policy evicts it: nothing more is queued; the agent sends the ERROR and closes it. */
    void markEvicting(final String why)
    {
        evicting = true;
        evictReason = why;
    }

    Outbox outbox()
    {
        return outbox;
    }

    void add(final Subscription s)
    {
        subscriptions.put(s.id(), s);
        subscriptionBytes += s.cost();
    }

    Subscription remove(final int id)
    {
        final Subscription s = subscriptions.remove(id);
        if (s != null)
        {
            subscriptionBytes -= s.cost();
        }
        return s;
    }

    /** The bound of its queue is the largest its subscriptions asked for, and the default while it has none. */
    void refreshQueueLimit(final int defaultQueueBytes)
    {
        if (subscriptions.isEmpty())
        {
            queueLimit = defaultQueueBytes;
            return;
        }
        int limit = 0;
        final Int2ObjectHashMap<Subscription>.ValueIterator it = subscriptions.values().iterator();
        while (it.hasNext())
        {
            limit = Math.max(limit, it.next().queueBytes());
        }
        queueLimit = limit;
    }

    Int2ObjectHashMap<Subscription> subscriptionMap()
    {
        return subscriptions;
    }
}

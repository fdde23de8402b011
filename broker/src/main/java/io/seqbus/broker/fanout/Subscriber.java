package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
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
    private Transport transport;
    private final Outbox outbox;
    private final UidAccount account;
    private final FlushList flushList;
    private final Backpressure backpressure;
    private final SubscriberCounts counts = new SubscriberCounts();
    private final Int2ObjectHashMap<Subscription> subscriptions = new Int2ObjectHashMap<>();
    // Queue group of each subscription id that was a member, kept past its UNSUBSCRIBE (what was queued for it is
    // still sent), so a close can count what each group loses with this queue. Made at the first group member.
    private Int2ObjectHashMap<Group> groupOf;
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
    private boolean acceptsHeaders;
    private final BrokerCounters counters;
    private final DescriptorLoad load;
    // Descriptors handed to its socket and perhaps unread, and their payload bytes (reset by SIOCOUTQ 0).
    private int unreadDescriptors;
    private long unreadDescriptorBytes;
    // A send of descriptors had to wait (in-flight bound, ETOOMANYREFS): retried each duty cycle.
    private boolean sendWaiting;
    // A descriptor delivery met its descriptor bound while it had some unread: re-checked each duty cycle.
    private boolean overDescriptorBound;
    // The connection this endpoint belongs to, for the tables above fanout (requests); set once by its owner.
    private Object owner;
    /** Its place in {@link DescriptorLoad}'s list of subscribers with unread descriptors, -1 when not there. */
    int unreadIndex = -1;
    /** True while on {@link DescriptorLoad}'s list of subscribers re-checked each duty cycle. */
    boolean descriptorWaiting;

    Subscriber(
        final Transport transport, final DatagramPool pool, final UidAccount account, final FlushList flushList,
        final Backpressure backpressure, final int queueLimit, final BrokerCounters counters,
        final DescriptorLoad load)
    {
        this.transport = transport;
        this.counters = counters;
        this.load = load;
        this.outbox = new Outbox(pool, account, load);
        this.account = account;
        this.flushList = flushList;
        this.backpressure = backpressure;
        this.queueLimit = queueLimit;
    }

    /**
     * @param owner the connection this endpoint belongs to, once, at its creation.
     */
    public void owner(final Object owner)
    {
        this.owner = owner;
    }

    /** @return the connection this endpoint belongs to, as its owner set it. */
    public Object owner()
    {
        return owner;
    }

    /** @return how its queued datagrams reach it. */
    public Transport transport()
    {
        return transport;
    }

    /**
     * Switches how its datagrams reach it: once, at the handshake, after what was queued before went out the old
     * way (a shared-memory client gets WELCOME and SHM_READY on its socket, everything later in its ring).
     *
     * @param next the transport from now on.
     */
    public void useTransport(final Transport next)
    {
        this.transport = next;
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

    /**
     * @param accepts true when its HELLO had SERVICES: it reads header blocks (SPEC.md, "Headers"); set by the
     *                handshake. A client from before them would take a HEADERS flag for a protocol violation.
     */
    public void acceptsHeaders(final boolean accepts)
    {
        this.acceptsHeaders = accepts;
    }

    /** @return true when its HELLO had SERVICES, so it knows DELIVER_REQUEST; without, it is sent no request. */
    public boolean acceptsRequests()
    {
        return acceptsHeaders; // the one SERVICES capability
    }

    /** @return true when its deliveries may carry header blocks; without, they go without the block. */
    public boolean acceptsHeaders()
    {
        return acceptsHeaders;
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
        return unreadDescriptors;
    }

    /** @return descriptor messages queued for it, each holding one of the pool's holders (a walk: rare use). */
    public int descriptorMessagesQueued()
    {
        return outbox.queuedDescriptorMessages();
    }

    /** @return payload bytes of the descriptors handed to its socket and perhaps unread. */
    public long descriptorBytesUnread()
    {
        return unreadDescriptorBytes;
    }

    /**
     * Asks the kernel whether it has read everything sent (SIOCOUTQ 0), and if so forgets its unread descriptors.
     *
     * @return true when the kernel answered; false when the question failed (the next send will tell why).
     */
    boolean refreshUnread()
    {
        if (unreadDescriptors == 0)
        {
            return true;
        }
        try
        {
            if (transport.peerReadAll())
            {
                final int descriptors = unreadDescriptors;
                final long bytes = unreadDescriptorBytes;
                unreadDescriptors = 0;
                unreadDescriptorBytes = 0;
                overDescriptorBound = false;
                load.unread(this, -descriptors, -bytes);
            }
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** @return true while a descriptor bound still holds it back: its send waits, or its reader lags. */
    boolean stillWaitsOnDescriptors()
    {
        return sendWaiting || (overDescriptorBound && unreadDescriptors > 0);
    }

    /** A descriptor delivery met its own descriptor bound: it is re-checked each duty cycle until it reads. */
    void onDescriptorBound()
    {
        overDescriptorBound = true;
        load.wait(this);
    }

    /** Counts the descriptors its last flush handed to the kernel as unread until its socket is empty. */
    private void afterSend()
    {
        final int refused = outbox.takeTooManyRefs();
        if (refused > 0)
        {
            counters.add(BrokerCounters.DESCRIPTOR_REFUSALS_ETOOMANYREFS, refused);
        }
        final int sent = outbox.takeSentDescriptors();
        if (sent == 0)
        {
            return;
        }
        final long bytes = outbox.takeSentDescriptorBytes();
        unreadDescriptors += sent;
        unreadDescriptorBytes += bytes;
        load.unread(this, sent, bytes);
        counters.add(BrokerCounters.DESCRIPTORS_PASSED, sent);
        counters.add(BrokerCounters.DESCRIPTOR_BYTES_PASSED, bytes);
    }

    /**
     * @return bytes of the frames queued for it, without the memfd payloads they stand for: what its queue costs
     * the broker's memory (max_total_queued_bytes).
     */
    public long frameBytesQueued()
    {
        return outbox.frameBytes();
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
        countGroupDiscards();
        outbox.clear();
        return messages;
    }

    /**
     * Closed: gives every queued buffer and descriptor back, ends its part in the block policy, and forgets what
     * its socket held unread (the kernel drops it with the socket).
     */
    public void close()
    {
        leaveBlock();
        countGroupDiscards();
        outbox.clear();
        final int descriptors = unreadDescriptors;
        final long bytes = unreadDescriptorBytes;
        unreadDescriptors = 0;
        unreadDescriptorBytes = 0;
        sendWaiting = false;
        overDescriptorBound = false;
        load.unread(this, -descriptors, -bytes);
        load.forget(this);
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
        refreshUnread();
        final boolean drained = outbox.flush(transport, counter) == Outbox.DRAINED;
        transport.afterFlush();
        afterSend();
        return drained;
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
        refreshUnread();
        try
        {
            final int result = outbox.flush(transport, counter);
            transport.afterFlush();
            afterSend();
            sendWaiting = result == Outbox.WAITING;
            if (result == Outbox.BLOCKED)
            {
                writeBlocked = true;
                transport.onWriteBlocked();
            }
            else if (sendWaiting)
            {
                // No EPOLLOUT says when descriptors may go again: retried each cycle, after asking every
                // subscriber with unread ones whether it has read them.
                load.wait(this);
                load.recheckAllUnread();
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

    /**
     * Queues the GAP that reports a subscription's unreported drops (drop-newest, or DESCRIPTORS_UNSUPPORTED),
     * before anything else queued for it.
     */
    void reportDrops(final Subscription s)
    {
        ClientProxy.gap(this, s.id(), s.droppedSourceNode(), s.droppedPublisherId(), s.droppedFromSequence(),
            s.droppedCount(), s.droppedReason());
        s.dropsReported();
        pendingGaps--;
    }

    /** Counts one message not queued for a subscription (drop-newest), to report by a GAP later. */
    void dropNewest(final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        counts.onDroppedNewest();
        if (s.droppedCount() > 0 && s.droppedReason() != GapReason.DROPPED_NEWEST)
        {
            reportDrops(s); // a GAP has one reason: the other one's drops go first
        }
        if (s.recordDrop(sourceNode, publisherId, sequence, GapReason.DROPPED_NEWEST))
        {
            pendingGaps++;
        }
    }

    /**
     * Counts one descriptor message it cannot receive (its HELLO lacked DESCRIPTORS), to report by a GAP
     * DESCRIPTORS_UNSUPPORTED sent as drop-newest GAPs are. That GAP is exact (one publisher, consecutive
     * sequences): pending drops it does not continue are reported first.
     */
    void dropUnsupported(final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        counts.onDescriptorsUnsupported();
        if (s.droppedCount() > 0 &&
            !s.continuesDrop(GapReason.DESCRIPTORS_UNSUPPORTED, sourceNode, publisherId, sequence))
        {
            reportDrops(s);
        }
        if (s.recordDrop(sourceNode, publisherId, sequence, GapReason.DESCRIPTORS_UNSUPPORTED))
        {
            pendingGaps++;
        }
        // Nothing else may come to flush it: the GAP goes at the end of this cycle if its queue has room.
        markForFlush();
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

    /**
     * A queue group's messages still queued for this member are lost with its queue: discarded, not moved to another
     * member, and counted per group (SPEC.md, "Queue groups"). Runs only for a member's queue, on its close.
     */
    private void countGroupDiscards()
    {
        if (groupOf == null || groupOf.isEmpty())
        {
            return;
        }
        outbox.queuedDeliveries((subscriptionId, messages) ->
        {
            final Group group = groupOf.get(subscriptionId);
            if (group != null)
            {
                counters.groupDiscarded(group.name(), messages);
            }
        });
        groupOf.clear();
    }

    /**
     * Messages queued at the broker for one subscription (a walk of the queue: for STAT, which shows it for a queue
     * group's member, so an operator sees what a member's departure would discard).
     *
     * @param subscriptionId the subscription.
     * @return messages in its queued delivery frames.
     */
    public long queuedMessagesOf(final int subscriptionId)
    {
        final long[] messages = new long[1];
        outbox.queuedDeliveries((id, count) ->
        {
            if (id == subscriptionId)
            {
                messages[0] += count;
            }
        });
        return messages[0];
    }

    void add(final Subscription s)
    {
        if (s.group() != null)
        {
            if (groupOf == null)
            {
                groupOf = new Int2ObjectHashMap<>();
            }
            groupOf.put(s.id(), s.group());
        }
        else if (groupOf != null)
        {
            groupOf.remove(s.id());
        }
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

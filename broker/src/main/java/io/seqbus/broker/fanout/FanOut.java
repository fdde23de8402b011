package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.quota.UidAccount;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.wire.Bytes;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.List;

/**
 * Turns one message into a delivery for every matching subscription, appended to each
 * {@link Subscriber}'s queue: a new DELIVER_RUN frame, or one more entry in the run the
 * subscription wrote last when the message continues it (same publisher, next sequence). Nothing is written to a
 * socket here: the agent flushes every touched subscriber once per duty cycle ({@link FlushList}), which is what
 * makes one datagram carry many frames.
 *
 * <p>When a subscriber's queue is at a bound, the subscription's {@link FlowControl} decides (block, drop-oldest,
 * drop-newest, disconnect); this class offers them the few actions they take.
 */
public final class FanOut implements OldestDropper.Policy, GroupDispatch.Room
{
    private final GroupDispatch groupDispatch = new GroupDispatch(this);
    private LanGroups lanGroups;
    // True while delivering a message from the LAN: each group run then asks lanGroups whether this broker is the
    // one that delivers it to the group.
    private boolean fromLan;
    private final TopicIndex<Subscription> index;
    private final BrokerCounters counters;
    private final DatagramPool pool;
    private final QueueBounds bounds;
    private final FlushList flushList = new FlushList();
    private final Backpressure backpressure;
    private final DescriptorPool descriptorPool;
    private final DescriptorLoad descriptorLoad;
    private int maxDescriptorsPerDatagram;
    private long maxDescriptorBytesPerSubscriber;
    private long maxDescriptorBytesTotal;
    // The memfd bytes of the descriptor delivery being checked against the bounds; 0 for other deliveries.
    private long pendingDescriptorBytes;
    private long queuedBytesPerUid;
    private long hardQueuedMemory;
    private boolean evictionsPending;
    private Subscriber dropping;

    /**
     * @param index        the topic index to match against.
     * @param counters     where drops are counted.
     * @param pool         whose buffers hold every queue: the memory bound is on them.
     * @param bounds       the bounds beyond each subscriber's own.
     * @param backpressure what holds publishers back.
     * @param descriptorPool holders of the descriptor messages being delivered.
     */
    public FanOut(
        final TopicIndex<Subscription> index, final BrokerCounters counters, final DatagramPool pool,
        final QueueBounds bounds, final Backpressure backpressure, final DescriptorPool descriptorPool)
    {
        this.descriptorPool = descriptorPool;
        this.descriptorLoad = new DescriptorLoad();
        backpressure.descriptorPool(descriptorPool);
        this.index = index;
        this.counters = counters;
        this.pool = pool;
        this.bounds = bounds;
        this.backpressure = backpressure;
        refreshBounds();
    }

    /**
     * Opens the endpoint of a new client.
     *
     * @param transport  how its datagrams reach it.
     * @param account    what its uid holds; its queue is charged there.
     * @param queueLimit its queue's bound until it subscribes.
     * @return its subscriber endpoint.
     */
    public Subscriber newSubscriber(final Transport transport, final UidAccount account, final int queueLimit)
    {
        return new Subscriber(
            transport, pool, account, flushList, backpressure, queueLimit, counters, descriptorLoad);
    }

    /** @return the subscribers to flush at the end of this duty cycle. */
    public FlushList flushList()
    {
        return flushList;
    }

    /**
     * Reads the bounds again (they change on reload); the agent calls it once per duty cycle, so
     * each delivery reads plain fields. It also asks again about the subscribers a descriptor bound holds back
     * (no EPOLLOUT tells when they read), listing them for this cycle's flush, and ends the queue groups' turns.
     */
    public void refreshBounds()
    {
        groupDispatch.newCycle();
        queuedBytesPerUid = bounds.queuedBytesPerUid();
        hardQueuedMemory = bounds.hardQueuedMemory();
        backpressure.maxTotalQueuedBytes(bounds.maxTotalQueuedBytes());
        maxDescriptorsPerDatagram = bounds.maxDescriptorsPerDatagram();
        maxDescriptorBytesPerSubscriber = bounds.maxDescriptorBytesPerSubscriber();
        maxDescriptorBytesTotal = bounds.maxDescriptorBytesTotal();
        descriptorLoad.maxInFlight(bounds.maxDescriptorsInFlight());
        backpressure.descriptorReserve(maxDescriptorsPerDatagram);
        descriptorLoad.recheck(System.nanoTime());
    }

    /**
     * @return true while a subscriber waits on a descriptor bound: the agent re-checks it each duty cycle, so it
     * must not sleep long in epoll_wait.
     */
    public boolean hasDescriptorWaiters()
    {
        return descriptorLoad.hasWaiting();
    }

    /** @return descriptors sent to subscribers and not known read, over all of them. */
    public long descriptorsInFlight()
    {
        return descriptorLoad.unreadDescriptors();
    }

    /** @return memfd payload bytes queued or unread, over all subscribers. */
    public long descriptorBytesLoad()
    {
        return descriptorLoad.bytes();
    }

    /**
     * The bounds on queued bytes beyond each subscriber's own, read at each delivery (they change
     * on reload).
     */
    public interface QueueBounds
    {
        /** @return bytes queued for all connections of one uid before their policies apply. */
        long queuedBytesPerUid();

        /** @return memory of all queues past which nothing more is queued. */
        long hardQueuedMemory();

        /** @return memory of all queues past which every publisher waits. */
        long maxTotalQueuedBytes();

        /** @return most descriptors in one datagram (max_descriptors_per_datagram). */
        default int maxDescriptorsPerDatagram()
        {
            return 64;
        }

        /** @return descriptor bytes queued and unread for one subscriber before its policy applies. */
        default long maxDescriptorBytesPerSubscriber()
        {
            return 2L << 30;
        }

        /** @return descriptor bytes queued and unread over all subscribers before their policies apply. */
        default long maxDescriptorBytesTotal()
        {
            return 16L << 30;
        }

        /** @return descriptors sent and not yet read over all subscribers, past which sends wait. */
        default int maxDescriptorsInFlight()
        {
            return 8192;
        }
    }

    /**
     * Which broker of the LAN delivers a message from another to a queue group (SPEC.md, "Queue groups across the
     * LAN"): asked once per group with local matching members, per message from the LAN.
     */
    public interface LanGroups
    {
        /**
         * @param group       the group's name.
         * @param buffer      holding the topic.
         * @param topicIndex  of its first byte.
         * @param topicLength its bytes.
         * @param sourceNode  the publisher's broker.
         * @param publisherId the publisher.
         * @param sequence    its sequence.
         * @return true when this broker delivers it to one of its members.
         */
        boolean deliversHere(String group, DirectBuffer buffer, int topicIndex, int topicLength, int sourceNode,
            long publisherId, long sequence);
    }

    /** @param lanGroups the LAN's rule for groups, or null without a LAN (every broker serves its own). */
    public void lanGroups(final LanGroups lanGroups)
    {
        this.lanGroups = lanGroups;
    }

    /**
     * As {@link #deliver}, for a message that came from another broker: a queue group gets it here only when the
     * LAN's rule says this broker is the one ({@link LanGroups}).
     *
     * @return deliveries queued.
     */
    public int deliverFromLan(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final int headerFlag, final long nowNs)
    {
        fromLan = lanGroups != null;
        try
        {
            return deliver(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence,
                timestampNs, uid, pid, headerFlag, nowNs);
        }
        finally
        {
            fromLan = false;
        }
    }

    /**
     * As {@link #deliverDescriptors}, for a memfd message that came from another broker (see
     * {@link #deliverFromLan}).
     *
     * @return deliveries queued.
     */
    public int deliverDescriptorsFromLan(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int inlineLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final SharedDescriptors held, final int fdFlags, final int headerFlag,
        final long nowNs)
    {
        fromLan = lanGroups != null;
        try
        {
            return deliverDescriptors(buffer, topicIndex, topicLength, inlineLength, sourceNode, publisherId,
                sequence, timestampNs, uid, pid, held, fdFlags, headerFlag, nowNs);
        }
        finally
        {
            fromLan = false;
        }
    }

    /**
     * Delivers one message to every subscription matching its topic.
     *
     * @param buffer        holding topic then payload, back to back.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the payload right after the topic.
     * @param sourceNode    node id of the publisher's broker.
     * @param publisherId   of the publisher.
     * @param sequence      the publisher's sequence for this message.
     * @param timestampNs   source broker's receive time.
     * @param uid           publisher's uid.
     * @param pid           publisher's pid.
     * @param nowNs         the agent's clock, for the block policy.
     * @return deliveries queued.
     */
    public int deliver(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final long nowNs)
    {
        return deliver(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence, timestampNs,
            uid, pid, 0, nowNs);
    }

    /**
     * Delivers one message to every subscription matching its topic, with its frame-header flags: with
     * {@link Protocol#FLAG_HEADERS} its payload starts with a header block (SPEC.md, "Headers"), and it joins only a
     * run whose messages have one too.
     *
     * @param headerFlag    {@link Protocol#FLAG_HEADERS} or 0.
     * @return deliveries queued.
     * @see #deliver(DirectBuffer, int, int, int, int, long, long, long, int, int, long)
     */
    public int deliver(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final int headerFlag, final long nowNs)
    {
        final List<Subscription> matches = index.match(buffer, topicIndex, topicLength);
        final int frameLength = DeliverRunFrame.frameLength(topicLength, payloadLength);
        // A subscriber from before headers (no SERVICES in its HELLO) gets the message without its block.
        final int blockLength = headerFlag != 0 ? HeaderBlock.blockLength(buffer, topicIndex + topicLength) : 0;
        int queued = 0;
        for (int i = 0, n = matches.size(); i < n; i++)
        {
            Subscription subscription = matches.get(i);
            final Group group = subscription.group();
            if (group != null)
            {
                // A queue group's matching members are one run of the result: one of them gets the message.
                final int first = i;
                i = groupEnd(matches, i, group) - 1;
                if (!servesHere(group, buffer, topicIndex, topicLength, sourceNode, publisherId, sequence))
                {
                    continue;
                }
                subscription = groupDispatch.pick(matches, first, i + 1, frameLength, false);
            }
            final Subscriber to = subscription.subscriber();
            if (to.isEvicting() || !hasRoom(subscription, to, frameLength, sourceNode, publisherId, sequence, nowNs))
            {
                continue;
            }
            if (group != null)
            {
                counters.increment(BrokerCounters.GROUP_DELIVERIES);
            }
            final Outbox outbox = to.outbox();
            if (subscription.droppedCount() > 0)
            {
                to.reportDrops(subscription);
            }
            final boolean withBlock = headerFlag != 0 && to.acceptsHeaders();
            final int skip = headerFlag != 0 && !withBlock ? blockLength : 0;
            if (!extendRun(subscription, outbox, buffer, topicIndex, topicLength, payloadLength,
                sourceNode, publisherId, sequence, timestampNs, withBlock ? headerFlag : 0, skip))
            {
                final int length = skip == 0 ? frameLength : DeliverRunFrame.frameLength(topicLength, payloadLength - skip);
                final MutableDirectBuffer out = outbox.reserve(length);
                final int at = outbox.writeOffset();
                DeliverRunFrame.encode(
                    out, at, subscription.id(), sourceNode, publisherId, sequence, timestampNs,
                    uid, pid, buffer, topicIndex, topicLength, payloadLength - skip);
                if (withBlock)
                {
                    out.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
                }
                else if (skip > 0)
                {
                    // encode copied from the block's start: the payload proper goes over it.
                    out.putBytes(at + DeliverRunFrame.TOPIC_OFFSET + topicLength + DeliverRunFrame.ENTRY_HEADER_LENGTH,
                        buffer, topicIndex + topicLength + skip, payloadLength - skip);
                }
                outbox.commit(length);
                subscription.runOffset = at;
                subscription.runPublisherId = publisherId;
                subscription.runSourceNode = sourceNode;
                subscription.runTimestampNs = timestampNs;
            }
            subscription.runNextSequence = sequence + 1;
            subscription.runVersion = outbox.version();
            to.markForFlush();
            to.counts().onDelivered(payloadLength);
            queued++;
        }
        return queued;
    }

    /**
     * Delivers one message that passed descriptors to every subscription matching its topic: a DELIVER_FDS frame
     * per delivery, which retains {@code held} until its datagram is sent or dropped. Its charge is the frame
     * and the memfd's size against the subscriber's own bound and the descriptor bounds, not against its uid's
     * account nor the memory bound (the memfd is the publisher's memory). Subscribers without DESCRIPTORS get a
     * GAP DESCRIPTORS_UNSUPPORTED instead, counted as drop-newest GAPs are.
     *
     * @param buffer       holding topic then inline payload, back to back (no inline with MEMFD_PAYLOAD).
     * @param topicIndex   of the first topic byte.
     * @param topicLength  bytes of the topic.
     * @param inlineLength bytes of inline payload right after the topic.
     * @param sourceNode   node id of the publisher's broker.
     * @param publisherId  of the publisher.
     * @param sequence     the publisher's sequence for this message.
     * @param timestampNs  source broker's receive time.
     * @param uid          publisher's uid.
     * @param pid          publisher's pid.
     * @param held         the descriptors; the caller holds one reference and releases it after this returns.
     * @param fdFlags      as in PUBLISH_FDS.
     * @param nowNs        the agent's clock, for the block policy.
     * @return deliveries queued.
     */
    public int deliverDescriptors(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int inlineLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final SharedDescriptors held, final int fdFlags, final long nowNs)
    {
        return deliverDescriptors(buffer, topicIndex, topicLength, inlineLength, sourceNode, publisherId, sequence,
            timestampNs, uid, pid, held, fdFlags, 0, nowNs);
    }

    /**
     * As {@link #deliverDescriptors(DirectBuffer, int, int, int, int, long, long, long, int, int, SharedDescriptors,
     * int, long)}, with the frame-header flags to deliver.
     *
     * @param headerFlag {@link Protocol#FLAG_HEADERS} when the inline part starts with a header block, else 0.
     * @return deliveries queued.
     */
    public int deliverDescriptors(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int inlineLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final SharedDescriptors held, final int fdFlags, final int headerFlag,
        final long nowNs)
    {
        final List<Subscription> matches = index.match(buffer, topicIndex, topicLength);
        final int frameLength = DeliverFdsFrame.frameLength(topicLength, inlineLength);
        final long payloadBytes = held.payloadBytes();
        final int fdCount = held.count();
        int queued = 0;
        for (int i = 0, n = matches.size(); i < n; i++)
        {
            Subscription subscription = matches.get(i);
            final Group group = subscription.group();
            if (group != null)
            {
                final int first = i;
                i = groupEnd(matches, i, group) - 1;
                if (!servesHere(group, buffer, topicIndex, topicLength, sourceNode, publisherId, sequence))
                {
                    continue;
                }
                subscription = groupDispatch.pick(matches, first, i + 1, frameLength + payloadBytes, true);
            }
            final Subscriber to = subscription.subscriber();
            if (to.isEvicting())
            {
                continue;
            }
            if (!to.acceptsDescriptors())
            {
                to.dropUnsupported(subscription, sourceNode, publisherId, sequence);
                continue;
            }
            pendingDescriptorBytes = payloadBytes;
            final boolean room = hasRoomForDescriptors(
                subscription, to, frameLength, payloadBytes, sourceNode, publisherId, sequence, nowNs);
            pendingDescriptorBytes = 0;
            if (!room)
            {
                continue;
            }
            final Outbox outbox = to.outbox();
            if (subscription.droppedCount() > 0)
            {
                to.reportDrops(subscription);
            }
            // A subscriber from before headers (no SERVICES in its HELLO) gets the message without its block.
            final int skip = headerFlag != 0 && !to.acceptsHeaders() ?
                HeaderBlock.blockLength(buffer, topicIndex + topicLength) : 0;
            final int length = skip == 0 ? frameLength : DeliverFdsFrame.frameLength(topicLength, inlineLength - skip);
            final MutableDirectBuffer out =
                outbox.reserveWithDescriptors(length, fdCount, maxDescriptorsPerDatagram);
            final int at = outbox.writeOffset();
            DeliverFdsFrame.encode(
                out, at, subscription.id(), sourceNode, publisherId, sequence, timestampNs, uid, pid,
                fdCount, fdFlags, payloadBytes, buffer, topicIndex, topicLength, inlineLength - skip);
            if (skip == 0)
            {
                out.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
            }
            else
            {
                out.putBytes(at + DeliverFdsFrame.TOPIC_OFFSET + topicLength, buffer, topicIndex + topicLength + skip,
                    inlineLength - skip);
            }
            // Its version changes here, so no DELIVER_RUN extends across this frame.
            outbox.commitWithDescriptors(length, held);
            if (group != null)
            {
                counters.increment(BrokerCounters.GROUP_DELIVERIES);
            }
            to.markForFlush();
            to.counts().onDelivered(inlineLength + payloadBytes);
            queued++;
        }
        return queued;
    }

    /**
     * Who a request may go to, and the record of those it went to (the broker's request table): asked before a
     * DELIVER_REQUEST is queued for a subscription, told after.
     */
    public interface RequestRecipients
    {
        /**
         * @param to a subscriber with a subscription matching the request's topic.
         * @return true when it may receive the request: its HELLO said SERVICES (so it also reads header blocks) and
         *         its rules let it reply on the topic.
         */
        boolean mayReceive(Subscriber to);

        /**
         * @param to a subscriber a DELIVER_REQUEST was queued for (once per matching subscription).
         */
        void delivered(Subscriber to);
    }

    /**
     * Delivers one request to every subscription matching its topic whose subscriber {@code recipients} allows: a
     * DELIVER_REQUEST each, never part of a DELIVER_RUN (the frame changes the outbox's version, so no run extends
     * across it). Room is asked of each subscription's {@link FlowControl} as for a message.
     *
     * @param buffer        holding topic then payload, back to back.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the payload right after the topic.
     * @param sourceNode    node id of the requester's broker.
     * @param publisherId   of the requester.
     * @param sequence      the requester's sequence for this request.
     * @param timestampNs   source broker's receive time.
     * @param uid           requester's uid.
     * @param pid           requester's pid.
     * @param replyToken    what a REPLY to it names.
     * @param headerFlag    the REQUEST's {@code HEADERS} flag: its payload starts with a block, carried on.
     * @param recipients    asked and told per subscriber.
     * @param nowNs         the agent's clock, for the block policy.
     * @return deliveries queued.
     */
    public int deliverRequest(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final long replyToken, final int headerFlag, final RequestRecipients recipients,
        final long nowNs)
    {
        final List<Subscription> matches = index.match(buffer, topicIndex, topicLength);
        final int frameLength = DeliverRequestFrame.frameLength(topicLength, payloadLength);
        int queued = 0;
        for (int i = 0, n = matches.size(); i < n; i++)
        {
            Subscription subscription = matches.get(i);
            if (subscription.group() != null)
            {
                // A request to a queue group goes to one member of it on this broker that may take it: load-balanced
                // services.
                final int first = i;
                i = groupEnd(matches, i, subscription.group()) - 1;
                subscription = groupDispatch.pick(matches, first, i + 1, frameLength, false, recipients);
                if (subscription == null)
                {
                    continue;
                }
            }
            final Subscriber to = subscription.subscriber();
            if (to.isEvicting() || !recipients.mayReceive(to) ||
                !hasRoom(subscription, to, frameLength, sourceNode, publisherId, sequence, nowNs))
            {
                continue;
            }
            final Outbox outbox = to.outbox();
            if (subscription.droppedCount() > 0)
            {
                to.reportDrops(subscription);
            }
            // Every recipient said SERVICES (mayReceive), so it reads header blocks: the block goes on with the flag.
            final MutableDirectBuffer out = outbox.reserve(frameLength);
            final int at = outbox.writeOffset();
            DeliverRequestFrame.encode(out, at, subscription.id(), sourceNode, publisherId,
                sequence, timestampNs, uid, pid, replyToken, buffer, topicIndex, topicLength, payloadLength);
            out.putByte(at + Protocol.FLAGS_OFFSET, (byte)headerFlag);
            outbox.commit(frameLength);
            to.markForFlush();
            to.counts().onDelivered(payloadLength);
            recipients.delivered(to);
            queued++;
        }
        return queued;
    }

    private boolean hasRoomForDescriptors(
        final Subscription subscription, final Subscriber to, final int frameLength, final long payloadBytes,
        final int sourceNode, final long publisherId, final long sequence, final long nowNs)
    {
        final long charge = frameLength + payloadBytes;
        final long descriptorBytesHeld = to.descriptorBytesQueued() + to.descriptorBytesUnread();
        // The common case first, in plain field reads. The memfd is the publisher's memory: the uid's account
        // and the memory bound see the frame alone.
        if (to.queuedBytes() + charge <= to.queueLimit() &&
            to.account().queuedBytes() + frameLength <= queuedBytesPerUid &&
            pool.memoryInUse() + frameLength <= hardQueuedMemory &&
            descriptorBytesHeld + payloadBytes <= maxDescriptorBytesPerSubscriber &&
            descriptorLoad.bytes() + payloadBytes <= maxDescriptorBytesTotal)
        {
            return true;
        }
        if (pool.memoryInUse() + frameLength > hardQueuedMemory)
        {
            subscription.flowControl().onMemoryFull(this, subscription, sourceNode, publisherId, sequence);
            return false;
        }
        long over = to.queuedBytes() + charge - to.queueLimit();
        boolean atAnotherBound = false;
        final long uidOver = to.account().queuedBytes() + frameLength - queuedBytesPerUid;
        if (uidOver > 0)
        {
            counters.increment(BrokerCounters.LIMIT_QUEUED_PER_UID);
            over = Math.max(over, uidOver);
            atAnotherBound = true;
        }
        // One message always fits a subscriber that holds none (a payload larger than the bound included).
        final long subscriberOver = descriptorBytesHeld + payloadBytes - maxDescriptorBytesPerSubscriber;
        if (subscriberOver > 0 && descriptorBytesHeld > 0)
        {
            over = Math.max(over, subscriberOver);
            atAnotherBound = true;
            to.onDescriptorBound();
        }
        final long totalOver = descriptorLoad.bytes() + payloadBytes - maxDescriptorBytesTotal;
        if (totalOver > 0 && descriptorLoad.bytes() > 0)
        {
            over = Math.max(over, Math.min(totalOver, to.descriptorBytesQueued() + frameLength));
            atAnotherBound = true;
            to.onDescriptorBound();
            descriptorLoad.recheckAllUnread();
        }
        if (!atAnotherBound && to.queuedBytes() == 0)
        {
            // One frame always fits an empty queue, however small a bound the subscription chose.
            return true;
        }
        if (over <= 0)
        {
            return true;
        }
        return subscription.flowControl().onQueueFull(
            this, subscription, frameLength, over, sourceNode, publisherId, sequence, nowNs);
    }

    /** @return the holders of descriptor messages: the reader acquires one per accepted PUBLISH_FDS. */
    public DescriptorPool descriptorPool()
    {
        return descriptorPool;
    }

    /**
     * Adds the message to the subscription's open DELIVER_RUN when it continues it: same
     * publisher, next sequence, same receive time and topic, and nothing else written since.
     */
    private static boolean extendRun(
        final Subscription s, final Outbox outbox, final DirectBuffer buffer, final int topicIndex,
        final int topicLength, final int payloadLength, final int sourceNode, final long publisherId,
        final long sequence, final long timestampNs, final int headerFlag, final int skip)
    {
        if (s.runVersion != outbox.version() || s.runNextSequence != sequence || s.runPublisherId != publisherId ||
            s.runTimestampNs != timestampNs || s.runSourceNode != sourceNode ||
            !outbox.tailHasRoom(DeliverRunFrame.ENTRY_HEADER_LENGTH + payloadLength - skip))
        {
            return false;
        }
        final MutableDirectBuffer out = outbox.tailBuffer();
        final int run = s.runOffset;
        // A run's flags are every entry's: a message with a header block joins only a run of such messages.
        if (out.getByte(run + Protocol.FLAGS_OFFSET) != headerFlag ||
            (out.getShort(run + DeliverRunFrame.TOPIC_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF) != topicLength ||
            !Bytes.equal(out, run + DeliverRunFrame.TOPIC_OFFSET, buffer, topicIndex, topicLength))
        {
            return false;
        }
        outbox.grew(DeliverRunFrame.append(out, run, buffer, topicIndex + topicLength + skip, payloadLength - skip));
        return true;
    }

    private boolean hasRoom(
        final Subscription subscription, final Subscriber to, final int frameLength,
        final int sourceNode, final long publisherId, final long sequence, final long nowNs)
    {
        // The common case first, in plain field reads: every bound has room.
        if (to.queuedBytes() + frameLength <= to.queueLimit() &&
            to.account().queuedBytes() + frameLength <= queuedBytesPerUid &&
            pool.memoryInUse() + frameLength <= hardQueuedMemory)
        {
            return true;
        }
        return hasRoomAtABound(subscription, to, frameLength, sourceNode, publisherId, sequence, nowNs);
    }

    private boolean hasRoomAtABound(
        final Subscription subscription, final Subscriber to, final int frameLength,
        final int sourceNode, final long publisherId, final long sequence, final long nowNs)
    {
        if (pool.memoryInUse() + frameLength > hardQueuedMemory)
        {
            // Past the hard bound nothing is queued, whatever the policy: reading stopped at the soft
            // bound, and only one datagram's fan-out gets here.
            subscription.flowControl().onMemoryFull(this, subscription, sourceNode, publisherId, sequence);
            return false;
        }
        long over = to.queuedBytes() + frameLength - to.queueLimit();
        final long uidOver = to.account().queuedBytes() + frameLength - queuedBytesPerUid;
        if (uidOver > 0)
        {
            counters.increment(BrokerCounters.LIMIT_QUEUED_PER_UID);
            over = Math.max(over, uidOver);
        }
        else if (to.queuedBytes() == 0)
        {
            // One frame always fits an empty queue, however small a bound the subscription chose.
            return true;
        }
        if (over <= 0)
        {
            return true;
        }
        return subscription.flowControl().onQueueFull(
            this, subscription, frameLength, over, sourceNode, publisherId, sequence, nowNs);
    }

    /**
     * For {@link GroupDispatch}: the common case of {@link #hasRoom}, asking no policy to act (an empty queue always
     * takes one frame); a member being evicted, or one that cannot take descriptors, has none.
     */
    @Override
    public boolean hasRoomNow(final Subscriber to, final long charge, final boolean descriptors)
    {
        if (to.isEvicting() || (descriptors && !to.acceptsDescriptors()))
        {
            return false;
        }
        return (to.queuedBytes() == 0 || to.queuedBytes() + charge <= to.queueLimit()) &&
            to.account().queuedBytes() + charge <= queuedBytesPerUid &&
            pool.memoryInUse() + charge <= hardQueuedMemory;
    }

    /** @return where the flow controls count what they do. */
    BrokerCounters counters()
    {
        return counters;
    }

    /**
     * Cuts the subscriber's drop-oldest messages from its oldest datagrams until {@code over} bytes are free.
     *
     * @return true when the new frame now fits its bounds.
     */
    boolean dropOldest(final Subscriber to, final int frameLength, final long over)
    {
        dropping = to;
        to.outbox().dropOldest(over, this);
        dropping = null;
        final long payloadBytes = pendingDescriptorBytes;
        return to.queuedBytes() + frameLength + payloadBytes <= to.queueLimit() &&
            to.account().queuedBytes() + frameLength <= queuedBytesPerUid &&
            (payloadBytes == 0 || descriptorsFit(to, payloadBytes));
    }

    private boolean descriptorsFit(final Subscriber to, final long payloadBytes)
    {
        final long held = to.descriptorBytesQueued() + to.descriptorBytesUnread();
        return (held == 0 || held + payloadBytes <= maxDescriptorBytesPerSubscriber) &&
            (descriptorLoad.bytes() == 0 || descriptorLoad.bytes() + payloadBytes <= maxDescriptorBytesTotal);
    }

    /** Does not queue one message for a subscription, and owes it a GAP. */
    void dropNewest(final Subscription s, final int sourceNode, final long publisherId, final long sequence)
    {
        s.subscriber().dropNewest(s, sourceNode, publisherId, sequence);
        counters.increment(BrokerCounters.DROPPED_NEWEST);
    }

    /** A message for it could not be queued at the memory bound: it goes. */
    void evictAtMemoryBound(final Subscriber to)
    {
        counters.increment(BrokerCounters.MEMORY_EVICTIONS);
        evict(to, "all queues together reached the broker's memory bound (max_total_queued_bytes and an " +
            "eighth) and a message for it could not be queued");
    }

    /** Marks it evicted; the agent sends its ERROR and closes it after this fan-out ({@link #takeEvictions}). */
    void evict(final Subscriber to, final String why)
    {
        to.markEvicting(why);
        evictionsPending = true;
    }

    /**
     * @return true when a policy evicted a subscriber since the last call: the agent then closes every
     * subscriber that {@link Subscriber#isEvicting()}.
     */
    public boolean takeEvictions()
    {
        final boolean pending = evictionsPending;
        evictionsPending = false;
        return pending;
    }

    @Override
    public boolean mayDrop(final int subscriptionId)
    {
        final Subscription s = dropping.subscription(subscriptionId);
        return s != null && s.policy() == SlowConsumerPolicy.DROP_OLDEST;
    }

    @Override
    public void onDropped(final int subscriptionId, final int messages)
    {
        counters.add(BrokerCounters.DROPPED_OLDEST, messages);
        dropping.counts().onDroppedOldest(messages);
    }

    @Override
    public void onGapsWritten(final int gaps)
    {
        dropping.counts().onGapsSent(gaps);
    }

    // The end (exclusive) of a group's run of members in a match result, which lists each group's members together.
    private static int groupEnd(final List<Subscription> matches, final int first, final Group group)
    {
        int end = first + 1;
        while (end < matches.size() && matches.get(end).group() == group)
        {
            end++;
        }
        return end;
    }

    // Whether this broker's members of the group take the message: always for a local one; from the LAN, as the
    // LAN's rule for groups says.
    private boolean servesHere(
        final Group group, final DirectBuffer buffer, final int topicIndex, final int topicLength, final int sourceNode,
        final long publisherId, final long sequence)
    {
        return !fromLan || lanGroups.deliversHere(group.name(), buffer, topicIndex, topicLength, sourceNode,
            publisherId, sequence);
    }
}

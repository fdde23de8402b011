package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.route.Subscription;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.wire.Bytes;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.SlowConsumerPolicy;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns one message into a delivery for every matching subscription, appended to each
 * subscriber's {@link Outbox}: a new DELIVER_RUN frame, or one more entry in the run the
 * subscription wrote last when the message continues it (same publisher, next sequence). Nothing is written to a socket here: the agent flushes every
 * touched outbox once per duty cycle, which is what makes one datagram carry many frames.
 *
 * <p>When a subscriber's queue is at its bound, its subscription's slow-consumer policy
 * decides, and only that subscriber is affected, except under {@code block}:
 * <ul>
 *   <li>{@code block}: the frame is queued and the subscriber is marked over its bound; while
 *       any is, the agent reads no publisher, so the kernel holds publishers back as AF_UNIX
 *       does. The agent evicts one that stays full past the stall timeout.</li>
 *   <li>{@code drop-newest}: the new message is not queued; a GAP with the count goes out
 *       before the subscription's next delivery, or as soon as its queue has room.</li>
 *   <li>{@code drop-oldest}: queued messages of drop-oldest subscriptions are cut from the
 *       oldest datagrams, leaving a GAP where they stood; then the new one is queued.</li>
 *   <li>{@code disconnect}: the subscriber is evicted with a SLOW_CONSUMER error.</li>
 * </ul>
 */
public final class FanOut implements OldestDropper.Policy
{
    private final TopicIndex<Subscription> index;
    private final BrokerCounters counters;
    private final DatagramPool pool;
    private final QueueBounds bounds;
    private long queuedBytesPerUid;
    private long hardQueuedMemory;
    private final ArrayList<ClientConnection> toFlush = new ArrayList<>();
    private final ArrayList<ClientConnection> toEvict = new ArrayList<>();
    private ClientConnection dropping;
    private int overLimitCount;

    /**
     * @param index    the topic index to match against.
     * @param counters where drops are counted.
     * @param pool     whose buffers hold every queue: the memory bound is on them.
     * @param bounds   the bounds beyond each subscriber's own.
     */
    public FanOut(
        final TopicIndex<Subscription> index, final BrokerCounters counters, final DatagramPool pool,
        final QueueBounds bounds)
    {
        this.index = index;
        this.counters = counters;
        this.pool = pool;
        this.bounds = bounds;
        refreshBounds();
    }

    /**
     * Reads the bounds again (they change on reload); the agent calls it once per duty cycle, so
     * each delivery reads plain fields.
     */
    public void refreshBounds()
    {
        queuedBytesPerUid = bounds.queuedBytesPerUid();
        hardQueuedMemory = bounds.hardQueuedMemory();
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
        final List<Subscription> matches = index.match(buffer, topicIndex, topicLength);
        final int frameLength = DeliverRunFrame.frameLength(topicLength, payloadLength);
        int queued = 0;
        for (int i = 0, n = matches.size(); i < n; i++)
        {
            final Subscription subscription = matches.get(i);
            final ClientConnection to = subscription.connection();
            if (to.evicting || !hasRoom(subscription, to, frameLength, sourceNode, publisherId, sequence, nowNs))
            {
                continue;
            }
            final Outbox outbox = to.outbox();
            if (subscription.droppedCount() > 0)
            {
                appendGap(subscription, GapReason.DROPPED_NEWEST);
            }
            if (!extendRun(subscription, outbox, buffer, topicIndex, topicLength, payloadLength,
                sourceNode, publisherId, sequence, timestampNs))
            {
                final MutableDirectBuffer out = outbox.reserve(frameLength);
                final int at = outbox.writeOffset();
                DeliverRunFrame.encode(
                    out, at, subscription.id(), sourceNode, publisherId, sequence, timestampNs,
                    uid, pid, buffer, topicIndex, topicLength, payloadLength);
                outbox.commit(frameLength);
                subscription.runOffset = at;
                subscription.runPublisherId = publisherId;
                subscription.runSourceNode = sourceNode;
                subscription.runTimestampNs = timestampNs;
            }
            subscription.runNextSequence = sequence + 1;
            subscription.runVersion = outbox.version();
            markForFlush(to);
            queued++;
        }
        return queued;
    }

    /**
     * Adds the message to the subscription's open DELIVER_RUN when it continues it: same
     * publisher, next sequence, same receive time and topic, and nothing else written since.
     */
    private static boolean extendRun(
        final Subscription s, final Outbox outbox, final DirectBuffer buffer, final int topicIndex,
        final int topicLength, final int payloadLength, final int sourceNode, final long publisherId,
        final long sequence, final long timestampNs)
    {
        if (s.runVersion != outbox.version() || s.runNextSequence != sequence || s.runPublisherId != publisherId ||
            s.runTimestampNs != timestampNs || s.runSourceNode != sourceNode ||
            !outbox.tailHasRoom(DeliverRunFrame.ENTRY_HEADER_LENGTH + payloadLength))
        {
            return false;
        }
        final MutableDirectBuffer out = outbox.tailBuffer();
        final int run = s.runOffset;
        if ((out.getShort(run + DeliverRunFrame.TOPIC_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF) != topicLength ||
            !Bytes.equal(out, run + DeliverRunFrame.TOPIC_OFFSET, buffer, topicIndex, topicLength))
        {
            return false;
        }
        outbox.grew(DeliverRunFrame.append(out, run, buffer, topicIndex + topicLength, payloadLength));
        return true;
    }

    private boolean hasRoom(
        final Subscription subscription, final ClientConnection to, final int frameLength,
        final int sourceNode, final long publisherId, final long sequence, final long nowNs)
    {
        // The common case first, in plain field reads: every bound has room.
        if (to.outbox().queuedBytes() + frameLength <= to.queueLimit() &&
            to.account().queuedBytes() + frameLength <= queuedBytesPerUid &&
            pool.memoryInUse() + frameLength <= hardQueuedMemory)
        {
            return true;
        }
        return hasRoomAtABound(subscription, to, frameLength, sourceNode, publisherId, sequence, nowNs);
    }

    private boolean hasRoomAtABound(
        final Subscription subscription, final ClientConnection to, final int frameLength,
        final int sourceNode, final long publisherId, final long sequence, final long nowNs)
    {
        if (pool.memoryInUse() + frameLength > hardQueuedMemory)
        {
            // Past the hard bound nothing is queued, whatever the policy: reading stopped at the soft
            // bound, and only one datagram's fan-out gets here.
            return refuseAtMemoryBound(subscription, to, sourceNode, publisherId, sequence);
        }
        final Outbox outbox = to.outbox();
        long over = outbox.queuedBytes() + frameLength - to.queueLimit();
        final long uidOver = to.account().queuedBytes() + frameLength - queuedBytesPerUid;
        if (uidOver > 0)
        {
            counters.increment(BrokerCounters.LIMIT_QUEUED_PER_UID);
            over = Math.max(over, uidOver);
        }
        else if (outbox.isEmpty())
        {
            // One frame always fits an empty queue, however small a bound the subscription chose.
            return true;
        }
        if (over <= 0)
        {
            return true;
        }
        switch (subscription.policy())
        {
            case DROP_OLDEST:
                dropping = to;
                outbox.dropOldest(over, this);
                dropping = null;
                if (outbox.queuedBytes() + frameLength <= to.queueLimit() &&
                    to.account().queuedBytes() + frameLength <= queuedBytesPerUid)
                {
                    return true;
                }
                // Nothing of this subscription's left to cut: the new message goes instead.
                dropNewest(subscription, to, sourceNode, publisherId, sequence);
                return false;
            case DROP_NEWEST:
                dropNewest(subscription, to, sourceNode, publisherId, sequence);
                return false;
            case DISCONNECT:
                evict(to, "its queue reached " + to.queueLimit() + " bytes (disconnect policy)");
                counters.increment(BrokerCounters.DISCONNECT_EVICTIONS);
                return false;
            default:
                if (!to.overLimit)
                {
                    to.overLimit = true;
                    to.overLimitSinceNs = nowNs;
                    overLimitCount++;
                }
                return true;
        }
    }

    private boolean refuseAtMemoryBound(
        final Subscription subscription, final ClientConnection to, final int sourceNode, final long publisherId,
        final long sequence)
    {
        if (subscription.policy() == SlowConsumerPolicy.DROP_NEWEST ||
            subscription.policy() == SlowConsumerPolicy.DROP_OLDEST)
        {
            dropNewest(subscription, to, sourceNode, publisherId, sequence);
            return false;
        }
        counters.increment(BrokerCounters.MEMORY_EVICTIONS);
        evict(to, "all queues together reached the broker's memory bound (max_total_queued_bytes and an " +
            "eighth) and a message for it could not be queued");
        return false;
    }

    private void evict(final ClientConnection to, final String why)
    {
        to.evicting = true;
        to.evictReason = why;
        toEvict.add(to);
    }

    private void dropNewest(
        final Subscription subscription, final ClientConnection to, final int sourceNode, final long publisherId,
        final long sequence)
    {
        if (subscription.recordDrop(sourceNode, publisherId, sequence))
        {
            to.pendingGaps++;
        }
        counters.increment(BrokerCounters.DROPPED_NEWEST);
    }

    private void appendGap(final Subscription subscription, final int reason)
    {
        final ClientConnection to = subscription.connection();
        final Outbox outbox = to.outbox();
        final MutableDirectBuffer out = outbox.reserve(GapFrame.LENGTH);
        outbox.commit(GapFrame.encode(out, outbox.writeOffset(), subscription.id(), subscription.droppedSourceNode(),
            subscription.droppedPublisherId(), subscription.droppedFromSequence(), subscription.droppedCount(), reason));
        subscription.dropsReported();
        to.pendingGaps--;
        markForFlush(to);
    }

    @Override
    public boolean mayDrop(final int subscriptionId)
    {
        final Subscription s = dropping.subscriptions().get(subscriptionId);
        return s != null && s.policy() == SlowConsumerPolicy.DROP_OLDEST;
    }

    @Override
    public void onDropped(final int subscriptionId, final int messages)
    {
        counters.add(BrokerCounters.DROPPED_OLDEST, messages);
    }

    /**
     * Lists a connection whose outbox has something new, once per duty cycle.
     *
     * @param connection with frames queued.
     */
    public void markForFlush(final ClientConnection connection)
    {
        if (!connection.flushPending)
        {
            connection.flushPending = true;
            toFlush.add(connection);
        }
    }

    /**
     * @return connections to flush this duty cycle; the agent empties it.
     */
    public ArrayList<ClientConnection> toFlush()
    {
        return toFlush;
    }

    /**
     * @return subscribers the disconnect policy evicts; the agent closes them and empties it.
     */
    public ArrayList<ClientConnection> toEvict()
    {
        return toEvict;
    }

    /**
     * Re-checks a connection after its outbox was flushed: releases publishers held for it,
     * and reports drops once there is room.
     *
     * @param connection just flushed.
     */
    public void onQueueShrunk(final ClientConnection connection)
    {
        final long queued = connection.outbox().queuedBytes();
        // Hysteresis: release publishers only once half the bound is free, so a subscriber at
        // the edge does not flip the broker between reading and not reading every cycle.
        if (connection.overLimit && queued <= connection.queueLimit() / 2)
        {
            connection.overLimit = false;
            overLimitCount--;
        }
        if (connection.pendingGaps > 0 && queued + (long)GapFrame.LENGTH * connection.pendingGaps <=
            connection.queueLimit())
        {
            final Int2ObjectHashMap<Subscription>.ValueIterator it = connection.subscriptions().values().iterator();
            while (it.hasNext())
            {
                final Subscription s = it.next();
                if (s.droppedCount() > 0)
                {
                    appendGap(s, GapReason.DROPPED_NEWEST);
                }
            }
        }
    }

    /**
     * Forgets a closing connection's part in the block policy.
     *
     * @param connection being closed.
     */
    public void onClosed(final ClientConnection connection)
    {
        if (connection.overLimit)
        {
            connection.overLimit = false;
            overLimitCount--;
        }
    }

    /**
     * @return subscribers over their bound now; publishers are held back while above 0.
     */
    public int overLimitCount()
    {
        return overLimitCount;
    }
}

package io.seqbus.broker.fanout;

import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.route.Subscription;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.wire.DeliverFrame;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns one message into a DELIVER for every matching subscription, appended to each
 * subscriber's {@link Outbox}. Nothing is written to a socket here: the agent flushes every
 * touched outbox once per duty cycle, which is what makes one datagram carry many frames.
 *
 * <p>Also keeps the block policy's books: an outbox over its bound is counted, and while any
 * is, the agent reads no publisher, so the kernel holds publishers back as AF_UNIX does.
 */
public final class FanOut
{
    private final TopicIndex<Subscription> index;
    private final ArrayList<ClientConnection> toFlush = new ArrayList<>();
    private int overLimitCount;
    private long delivered;
    private long deliveredBytes;

    /**
     * @param index the topic index to match against.
     */
    public FanOut(final TopicIndex<Subscription> index)
    {
        this.index = index;
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
     * @return deliveries made.
     */
    public int deliver(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs,
        final int uid, final int pid, final long nowNs)
    {
        final List<Subscription> matches = index.match(buffer, topicIndex, topicLength);
        final int frameLength = DeliverFrame.frameLength(topicLength, payloadLength);
        final int count = matches.size();
        for (int i = 0; i < count; i++)
        {
            final Subscription subscription = matches.get(i);
            final ClientConnection to = subscription.connection();
            final Outbox outbox = to.outbox();
            final MutableDirectBuffer out = outbox.reserve(frameLength);
            DeliverFrame.encode(
                out, outbox.writeOffset(), subscription.id(), sourceNode, publisherId, sequence, timestampNs,
                uid, pid, buffer, topicIndex, topicLength, payloadLength);
            outbox.commit(frameLength);
            markForFlush(to);
            if (!to.overLimit && outbox.queuedBytes() > to.queueLimit())
            {
                to.overLimit = true;
                to.overLimitSinceNs = nowNs;
                overLimitCount++;
            }
        }
        delivered += count;
        deliveredBytes += (long)count * payloadLength;
        return count;
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
     * Re-checks a connection's bound after its outbox was flushed or cleared.
     *
     * @param connection just flushed.
     */
    public void onQueueShrunk(final ClientConnection connection)
    {
        // Hysteresis: release publishers only once half the bound is free, so a subscriber at
        // the edge does not flip the broker between reading and not reading every cycle.
        if (connection.overLimit && connection.outbox().queuedBytes() <= connection.queueLimit() / 2)
        {
            connection.overLimit = false;
            overLimitCount--;
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

    /**
     * @return DELIVER frames queued since start.
     */
    public long delivered()
    {
        return delivered;
    }

    /**
     * @return payload bytes of DELIVER frames queued since start.
     */
    public long deliveredBytes()
    {
        return deliveredBytes;
    }
}

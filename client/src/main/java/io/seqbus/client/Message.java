package io.seqbus.client;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A delivered message: a reusable view of one DELIVER frame in the client's receive buffer.
 * It is valid only during the {@link MessageHandler#onMessage} call it is passed to; nothing
 * is copied or allocated unless a method says so.
 */
public final class Message
{
    private final DeliverFrame frame = new DeliverFrame();

    private Subscription subscription;
    private DirectBuffer buffer;
    private int subscriptionId;
    private int sourceNode;
    private long publisherId;
    private long sequence;
    private long timestampNs;
    private int publisherUid;
    private int publisherPid;
    private int topicIndex;
    private int topicLength;
    private int payloadIndex;
    private int payloadLength;
    // payloadBuffer()'s view, made again only when the receive buffer changes.
    private ByteBuffer payloadView;
    private ByteBuffer viewSource;

    Message()
    {
    }

    Message wrap(final DirectBuffer buffer, final int offset, final Subscription subscription)
    {
        frame.wrap(buffer, offset);
        this.subscription = subscription;
        this.buffer = buffer;
        this.subscriptionId = frame.subscriptionId();
        this.sourceNode = frame.sourceNode();
        this.publisherId = frame.publisherId();
        this.sequence = frame.sequence();
        this.timestampNs = frame.timestampNs();
        this.publisherUid = frame.publisherUid();
        this.publisherPid = frame.publisherPid();
        this.topicIndex = frame.topicIndex();
        this.topicLength = frame.topicLength();
        this.payloadIndex = frame.payloadIndex();
        this.payloadLength = frame.payloadLength();
        return this;
    }

    /** Points at the header of a DELIVER_RUN; {@link #entry} then moves along its messages. */
    Message wrapRun(final DirectBuffer buffer, final DeliverRunFrame run, final Subscription subscription)
    {
        this.subscription = subscription;
        this.buffer = buffer;
        this.subscriptionId = run.subscriptionId();
        this.sourceNode = run.sourceNode();
        this.publisherId = run.publisherId();
        this.timestampNs = run.timestampNs();
        this.publisherUid = run.publisherUid();
        this.publisherPid = run.publisherPid();
        this.topicIndex = run.topicIndex();
        this.topicLength = run.topicLength();
        return this;
    }

    /** One message of the run last given to {@link #wrapRun}. */
    Message entry(final long sequence, final int payloadIndex, final int payloadLength)
    {
        this.sequence = sequence;
        this.payloadIndex = payloadIndex;
        this.payloadLength = payloadLength;
        return this;
    }

    /**
     * @return the subscription this delivery is for.
     */
    public Subscription subscription()
    {
        return subscription;
    }

    /**
     * @return the id of the subscription this delivery is for.
     */
    public int subscriptionId()
    {
        return subscriptionId;
    }

    /**
     * @return the topic (allocates a String).
     */
    public String topic()
    {
        return buffer.getStringWithoutLengthUtf8(topicIndex, topicLength);
    }

    /**
     * @return the buffer holding the topic and the payload, for Agrona users (zero copy); see
     * {@link #payloadBuffer()} for the same without Agrona.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return index of the first topic byte in {@link #buffer()}.
     */
    public int topicIndex()
    {
        return topicIndex;
    }

    /**
     * @return bytes of the topic (UTF-8).
     */
    public int topicLength()
    {
        return topicLength;
    }

    /**
     * The payload in place, as a read-only {@link ByteBuffer} whose position is the first payload byte and whose
     * limit is its end. Zero copy and no allocation: the same view serves every message, so it is valid only
     * during the handler's call and must not be kept (copy it, or use {@link #payloadAsBytes()}).
     *
     * @return the payload's view.
     */
    public ByteBuffer payloadBuffer()
    {
        final ByteBuffer source = buffer.byteBuffer();
        final int base = buffer.wrapAdjustment();
        if (source == null)
        {
            // A buffer over a byte[] (tests wrap frames that way): that array, in place.
            return ByteBuffer.wrap(buffer.byteArray(), base + payloadIndex, payloadLength).asReadOnlyBuffer();
        }
        if (payloadView == null || viewSource != source)
        {
            payloadView = source.asReadOnlyBuffer();
            viewSource = source;
        }
        payloadView.clear();
        payloadView.position(base + payloadIndex).limit(base + payloadIndex + payloadLength);
        return payloadView;
    }

    /**
     * @return the buffer holding the payload (the same as {@link #buffer()}), for Agrona users (zero copy); see
     * {@link #payloadBuffer()} for the same without Agrona.
     */
    public DirectBuffer payload()
    {
        return buffer;
    }

    /**
     * @return index of the first payload byte in {@link #payload()}.
     */
    public int payloadIndex()
    {
        return payloadIndex;
    }

    /**
     * @return bytes of the payload.
     */
    public int payloadLength()
    {
        return payloadLength;
    }

    /**
     * @return the payload decoded as UTF-8 (allocates).
     */
    public String payloadAsString()
    {
        return buffer.getStringWithoutLengthUtf8(payloadIndex, payloadLength);
    }

    /**
     * @return a copy of the payload (allocates).
     */
    public byte[] payloadAsBytes()
    {
        final byte[] bytes = new byte[payloadLength];
        buffer.getBytes(payloadIndex, bytes);
        return bytes;
    }

    /**
     * @return node id of the broker the publisher is attached to.
     */
    public int sourceNode()
    {
        return sourceNode;
    }

    /**
     * @return the publisher's id, unique on its node.
     */
    public long publisherId()
    {
        return publisherId;
    }

    /**
     * @return the per-publisher sequence, from 1.
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return the source broker's clock when it received the message, ns since the Unix epoch.
     */
    public long timestampNs()
    {
        return timestampNs;
    }

    /**
     * @return the publisher's uid, as the kernel reported it.
     */
    public int publisherUid()
    {
        return publisherUid;
    }

    /**
     * @return the publisher's pid, as the kernel reported it.
     */
    public int publisherPid()
    {
        return publisherPid;
    }

    /**
     * @return the fields and the payload as text, for debugging (allocates).
     */
    public String toString()
    {
        return "Message{sub=" + subscriptionId() + ", topic=" + topic() + ", node=" + sourceNode() +
            ", publisher=" + publisherId() + ", seq=" + sequence() + ", payload=" +
            new String(payloadAsBytes(), StandardCharsets.UTF_8) + "}";
    }
}

package io.seqbus.client;

import io.seqbus.wire.DeliverFrame;
import org.agrona.DirectBuffer;

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

    Message()
    {
    }

    Message wrap(final DirectBuffer buffer, final int offset, final Subscription subscription)
    {
        frame.wrap(buffer, offset);
        this.subscription = subscription;
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
        return frame.subscriptionId();
    }

    /**
     * @return the topic (allocates a String).
     */
    public String topic()
    {
        return frame.topic();
    }

    /**
     * @return the buffer holding the topic and the payload.
     */
    public DirectBuffer buffer()
    {
        return frame.buffer();
    }

    /**
     * @return index of the first topic byte in {@link #buffer()}.
     */
    public int topicIndex()
    {
        return frame.topicIndex();
    }

    /**
     * @return bytes of the topic (UTF-8).
     */
    public int topicLength()
    {
        return frame.topicLength();
    }

    /**
     * @return the buffer holding the payload (the same as {@link #buffer()}).
     */
    public DirectBuffer payload()
    {
        return frame.buffer();
    }

    /**
     * @return index of the first payload byte in {@link #payload()}.
     */
    public int payloadIndex()
    {
        return frame.payloadIndex();
    }

    /**
     * @return bytes of the payload.
     */
    public int payloadLength()
    {
        return frame.payloadLength();
    }

    /**
     * @return the payload decoded as UTF-8 (allocates).
     */
    public String payloadAsString()
    {
        return frame.buffer().getStringWithoutLengthUtf8(frame.payloadIndex(), frame.payloadLength());
    }

    /**
     * @return a copy of the payload (allocates).
     */
    public byte[] payloadAsBytes()
    {
        final byte[] bytes = new byte[frame.payloadLength()];
        frame.buffer().getBytes(frame.payloadIndex(), bytes);
        return bytes;
    }

    /**
     * @return node id of the broker the publisher is attached to.
     */
    public int sourceNode()
    {
        return frame.sourceNode();
    }

    /**
     * @return the publisher's id, unique on its node.
     */
    public long publisherId()
    {
        return frame.publisherId();
    }

    /**
     * @return the per-publisher sequence, from 1.
     */
    public long sequence()
    {
        return frame.sequence();
    }

    /**
     * @return the source broker's clock when it received the message, ns since the Unix epoch.
     */
    public long timestampNs()
    {
        return frame.timestampNs();
    }

    /**
     * @return the publisher's uid, as the kernel reported it.
     */
    public int publisherUid()
    {
        return frame.publisherUid();
    }

    /**
     * @return the publisher's pid, as the kernel reported it.
     */
    public int publisherPid()
    {
        return frame.publisherPid();
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

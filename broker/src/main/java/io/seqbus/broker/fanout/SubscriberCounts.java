package io.seqbus.broker.fanout;

/**
 * What one client's traffic came to since it connected, for the STAT document: deliveries queued for it, what
 * its policies dropped for it, the GAPs it was sent, what it published. Plain fields, each incremented where the
 * broker already counts the same thing in total, on the agent thread that owns its {@link Subscriber}: no
 * allocation, no atomics. Read by the STAT document, which the agent thread builds too.
 */
public final class SubscriberCounts
{
    private long messagesDelivered;
    private long bytesDelivered;
    private long droppedOldest;
    private long droppedNewest;
    private long descriptorsUnsupported;
    private long gapsSent;
    private long messagesPublished;
    private long bytesPublished;

    SubscriberCounts()
    {
    }

    /** @return messages queued for it (one per matching subscription, as the broker's total counts them). */
    public long messagesDelivered()
    {
        return messagesDelivered;
    }

    /** @return payload bytes of those messages. */
    public long bytesDelivered()
    {
        return bytesDelivered;
    }

    /** @return messages cut from its queue by drop-oldest. */
    public long droppedOldest()
    {
        return droppedOldest;
    }

    /** @return messages not queued for it under drop-newest. */
    public long droppedNewest()
    {
        return droppedNewest;
    }

    /** @return descriptor messages it could not receive (no DESCRIPTORS in its HELLO), each told by a GAP. */
    public long descriptorsUnsupported()
    {
        return descriptorsUnsupported;
    }

    /** @return GAP frames queued for it, whatever their reason. */
    public long gapsSent()
    {
        return gapsSent;
    }

    /** @return messages it published that the broker accepted. */
    public long messagesPublished()
    {
        return messagesPublished;
    }

    /** @return payload bytes of those messages. */
    public long bytesPublished()
    {
        return bytesPublished;
    }

    /**
     * One accepted PUBLISH of its own; the agent counts it where it counts the broker's total.
     *
     * @param payloadLength bytes of its payload.
     */
    public void onPublished(final int payloadLength)
    {
        messagesPublished++;
        bytesPublished += payloadLength;
    }

    void onDelivered(final long payloadLength)
    {
        messagesDelivered++;
        bytesDelivered += payloadLength;
    }

    void onDroppedOldest(final int messages)
    {
        droppedOldest += messages;
    }

    void onDroppedNewest()
    {
        droppedNewest++;
    }

    void onDescriptorsUnsupported()
    {
        descriptorsUnsupported++;
    }

    void onGapsSent(final int gaps)
    {
        gapsSent += gaps;
    }
}

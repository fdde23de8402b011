package io.seqbus.client;


/**
 * An ERROR frame from the broker, copied out of the receive buffer so it may be kept.
 * <p>
 * A refused publish names its {@link #topic()}. The error handler hears of such a refusal once; the
 * publishes refused after it under the same refusal (by the broker, or by the client at the call, see
 * {@link PublishResult#DENIED}) are added to its {@link #count()}, which a handler that keeps the error
 * sees grow.
 */
public final class BusError
{
    private final int code;
    private final boolean fatal;
    private final int ref;
    private final String reason;
    private final String topic;
    // Written under the client's outbound lock, read by anyone.
    private volatile long count = 1;

    /**
     * @param code   an {@link ErrorCode}.
     * @param fatal  true when the broker closes the connection after the frame.
     * @param ref    the subscription id concerned, or 0.
     * @param reason for people.
     */
    public BusError(final int code, final boolean fatal, final int ref, final String reason)
    {
        this(code, fatal, ref, reason, null);
    }

    /**
     * @param code   an {@link ErrorCode}.
     * @param fatal  true when the broker closes the connection after the frame.
     * @param ref    the subscription id concerned, or 0.
     * @param reason for people.
     * @param topic  the topic of a refused publish, or null.
     */
    public BusError(final int code, final boolean fatal, final int ref, final String reason, final String topic)
    {
        this.code = code;
        this.fatal = fatal;
        this.ref = ref;
        this.reason = reason;
        this.topic = topic;
    }

    /**
     * @return the {@link ErrorCode}.
     */
    public int code()
    {
        return code;
    }

    /**
     * @return the code's name from SPEC.md, such as {@code INVALID_TOPIC}; {@code CLIENT} for code 0, a report
     * the client makes itself (see {@link BusClient#close()}), not an ERROR from the broker.
     */
    public String name()
    {
        return ErrorCode.name(code);
    }

    /**
     * @return true when the broker closes the connection after this error.
     */
    public boolean isFatal()
    {
        return fatal;
    }

    /**
     * @return the subscription id the error concerns, or 0.
     */
    public int ref()
    {
        return ref;
    }

    /**
     * @return the broker's reason, for people.
     */
    public String reason()
    {
        return reason;
    }

    /**
     * @return the topic of a refused publish, or null when the error is not about a publish.
     */
    public String topic()
    {
        return topic;
    }

    /**
     * @return how many publishes this error stands for: 1, and for a refused publish every later one refused
     * under the same refusal so far (it goes on counting after the error handler was called).
     */
    public long count()
    {
        return count;
    }

    void refusedOnceMore()
    {
        count++;
    }

    /**
     * @return one line: name, code, fatal flag, ref, topic, count and reason.
     */
    public String toString()
    {
        final long n = count;
        return name() + " (" + code + ")" + (fatal ? " fatal" : "") + (ref != 0 ? " ref=" + ref : "") +
            (topic != null ? " topic=" + topic : "") + (n != 1 ? " count=" + n : "") + ": " + reason;
    }
}

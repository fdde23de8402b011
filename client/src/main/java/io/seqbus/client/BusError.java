package io.seqbus.client;

import io.seqbus.wire.ErrorCode;

/**
 * An ERROR frame from the broker, copied out of the receive buffer so it may be kept.
 */
public final class BusError
{
    private final int code;
    private final boolean fatal;
    private final int ref;
    private final String reason;

    /**
     * @param code   an {@link ErrorCode}.
     * @param fatal  true when the broker closes the connection after the frame.
     * @param ref    the subscription id concerned, or 0.
     * @param reason for people.
     */
    public BusError(final int code, final boolean fatal, final int ref, final String reason)
    {
        this.code = code;
        this.fatal = fatal;
        this.ref = ref;
        this.reason = reason;
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
        return code == 0 ? "CLIENT" : ErrorCode.name(code);
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
     * @return one line: name, code, fatal flag, ref and reason.
     */
    public String toString()
    {
        return name() + " (" + code + ")" + (fatal ? " fatal" : "") + (ref != 0 ? " ref=" + ref : "") + ": " + reason;
    }
}

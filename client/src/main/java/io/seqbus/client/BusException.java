package io.seqbus.client;

/**
 * A failure of the bus: the broker cannot be reached, refused the connection, went away for
 * longer than a timeout, or closed the connection with a fatal ERROR. The message is one line
 * for people and names the socket.
 */
public class BusException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int code;
    private final boolean reset;

    /**
     * @param message one line for people.
     */
    public BusException(final String message)
    {
        this(message, 0, null);
    }

    /**
     * @param message one line for people.
     * @param cause   the underlying failure, or null.
     */
    public BusException(final String message, final Throwable cause)
    {
        this(message, 0, cause);
    }

    /**
     * @param message one line for people.
     * @param code    the {@link ErrorCode} the broker sent, or 0.
     * @param cause   the underlying failure, or null.
     */
    public BusException(final String message, final int code, final Throwable cause)
    {
        this(message, code, cause, false);
    }

    private BusException(final String message, final int code, final Throwable cause, final boolean reset)
    {
        super(message, cause);
        this.code = code;
        this.reset = reset;
    }

    /**
     * A connection that ended without the broker saying why: no ERROR (no {@code SHUTTING_DOWN}, no
     * {@code SLOW_CONSUMER}) before the end of stream or the reset.
     */
    static BusException reset(final String message, final Throwable cause)
    {
        return new BusException(message, 0, cause, true);
    }

    /**
     * @return true when the connection ended without a word from the broker: it crashed, was killed
     * ({@code kill -9}), or reset the connection. An eviction is not a reset: it comes with
     * {@link #code()} {@code SLOW_CONSUMER}, a broker shutting down with {@code SHUTTING_DOWN}.
     */
    public boolean isReset()
    {
        return reset;
    }

    /**
     * @return the {@link ErrorCode} the broker sent, or 0 when the failure did not come
     * from an ERROR frame.
     */
    public int code()
    {
        return code;
    }
}

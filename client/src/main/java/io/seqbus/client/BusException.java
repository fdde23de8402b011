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
     * @param code    the {@link io.seqbus.wire.ErrorCode} the broker sent, or 0.
     * @param cause   the underlying failure, or null.
     */
    public BusException(final String message, final int code, final Throwable cause)
    {
        super(message, cause);
        this.code = code;
    }

    /**
     * @return the {@link io.seqbus.wire.ErrorCode} the broker sent, or 0 when the failure did not come
     * from an ERROR frame.
     */
    public int code()
    {
        return code;
    }
}

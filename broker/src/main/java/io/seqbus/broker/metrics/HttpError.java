package io.seqbus.broker.metrics;

/**
 * A request the endpoint will not serve, with the status that says why. Thrown while a request head is
 * parsed; carries no stack trace because it is an answer to a client, not a fault of ours.
 */
final class HttpError extends Exception
{
    private static final long serialVersionUID = 1L;

    private final int status;

    HttpError(final int status, final String reason)
    {
        super(reason, null, false, false);
        this.status = status;
    }

    /**
     * @return the reply telling the client what was wrong.
     */
    HttpReply reply()
    {
        return HttpReply.text(status, getMessage() + "\n");
    }
}

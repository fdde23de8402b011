package io.seqbus.client;

/**
 * A {@link BusClient#request} failed because every connection it was delivered to closed before one replied
 * (RESPONSE {@code RESPONDERS_GONE}). It comes as soon as the broker sees the last one close, before the timeout.
 */
public class RespondersGoneException extends BusException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line for people, naming the topic.
     */
    public RespondersGoneException(final String message)
    {
        super(message);
    }
}

package io.seqbus.client;

/**
 * A {@link BusClient#request} failed because no subscription matched its topic when the broker received it:
 * nobody could answer (RESPONSE {@code NO_RESPONDERS}). It comes at once, not after the timeout.
 */
public class NoRespondersException extends BusException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line for people, naming the topic.
     */
    public NoRespondersException(final String message)
    {
        super(message);
    }
}

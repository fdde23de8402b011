package io.seqbus.client;

/**
 * A {@link BusClient#request} failed because the broker's access rules do not let this client send requests on
 * its topic (RESPONSE {@code DENIED}; the rules' {@code request} verb, by default what {@code publish} allows).
 */
public class AccessDeniedException extends BusException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line for people, naming the topic.
     */
    public AccessDeniedException(final String message)
    {
        super(message);
    }
}

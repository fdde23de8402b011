package io.seqbus.broker.route;

import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.SlowConsumerPolicy;

/**
 * One live subscription: which connection, under which id, for which pattern.
 */
public final class Subscription
{
    private final ClientConnection connection;
    private final int id;
    private final String pattern;
    private final SlowConsumerPolicy policy;

    /**
     * @param connection that subscribed.
     * @param id         the client's subscription id.
     * @param pattern    the validated pattern.
     * @param policy     resolved slow-consumer policy (never DEFAULT).
     */
    public Subscription(
        final ClientConnection connection, final int id, final String pattern, final SlowConsumerPolicy policy)
    {
        this.connection = connection;
        this.id = id;
        this.pattern = pattern;
        this.policy = policy;
    }

    /** @return the subscribing connection. */
    public ClientConnection connection()
    {
        return connection;
    }

    /** @return the client's subscription id. */
    public int id()
    {
        return id;
    }

    /** @return the pattern. */
    public String pattern()
    {
        return pattern;
    }

    /** @return the slow-consumer policy. */
    public SlowConsumerPolicy policy()
    {
        return policy;
    }

    @Override
    public String toString()
    {
        return "Subscription{" + connection.label() + " #" + id + " '" + pattern + "' " + policy.label() + "}";
    }
}

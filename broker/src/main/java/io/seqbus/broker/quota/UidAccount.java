package io.seqbus.broker.quota;

/**
 * What the connections of one uid hold at the broker, as dbus-broker charges each user: how many
 * connections, the heap of their subscriptions (as charged), the bytes queued for them and their shared-memory
 * rings. One per
 * uid with a connection, owned by the agent thread; {@link UidAccounts} hands them out.
 */
public final class UidAccount
{
    private final int uid;
    int connections;
    private long subscriptionBytes;
    private long queuedBytes;
    long shmBytes;
    private int pendingRequests;

    UidAccount(final int uid)
    {
        this.uid = uid;
    }

    /** @return the uid charged. */
    public int uid()
    {
        return uid;
    }

    /** @return connections open under this uid. */
    public int connections()
    {
        return connections;
    }

    /** @return heap charged for this uid's subscriptions, bytes. */
    public long subscriptionBytes()
    {
        return subscriptionBytes;
    }

    /** @return bytes queued for this uid's connections. */
    public long queuedBytes()
    {
        return queuedBytes;
    }

    /** @return bytes of the shared-memory rings (and headers) this uid's connections hold. */
    public long shmBytes()
    {
        return shmBytes;
    }

    /** @param delta bytes of subscriptions added (positive) or removed (negative). */
    public void subscriptions(final long delta)
    {
        subscriptionBytes += delta;
    }

    /** @param delta bytes queued (positive) or sent or dropped (negative). */
    public void queued(final long delta)
    {
        queuedBytes += delta;
    }

    /** @return requests of this uid's connections waiting for their RESPONSE. */
    public int pendingRequests()
    {
        return pendingRequests;
    }

    /** @param delta requests begun (positive) or ended (negative). */
    public void requests(final int delta)
    {
        pendingRequests += delta;
    }
}

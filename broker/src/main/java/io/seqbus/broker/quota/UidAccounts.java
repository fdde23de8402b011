package io.seqbus.broker.quota;

import org.agrona.collections.Int2ObjectHashMap;

/**
 * The accounts of every uid with an open connection, owned by the agent thread. An account lives
 * from its uid's first connection to its last, so an idle uid costs nothing.
 */
public final class UidAccounts
{
    private final Int2ObjectHashMap<UidAccount> byUid = new Int2ObjectHashMap<>();
    private long totalSubscriptionBytes;
    private long totalShmBytes;

    /**
     * @param uid of a connection being opened.
     * @return its account, with the connection counted.
     */
    public UidAccount open(final int uid)
    {
        UidAccount account = byUid.get(uid);
        if (account == null)
        {
            account = new UidAccount(uid);
            byUid.put(uid, account);
        }
        account.connections++;
        return account;
    }

    /**
     * @param account of a connection being closed; forgotten with its last connection.
     */
    public void close(final UidAccount account)
    {
        if (--account.connections <= 0)
        {
            byUid.remove(account.uid());
        }
    }

    /**
     * @param uid a peer's uid.
     * @return its open connections.
     */
    public int connections(final int uid)
    {
        final UidAccount account = byUid.get(uid);
        return account == null ? 0 : account.connections;
    }

    /**
     * Charges (or, negative, refunds) subscription heap to an account and to the total.
     *
     * @param account the subscriber's.
     * @param delta   bytes.
     */
    public void subscriptions(final UidAccount account, final long delta)
    {
        account.subscriptions(delta);
        totalSubscriptionBytes += delta;
    }

    /**
     * Charges a shared-memory client's rings to its uid and to the total, if both stay within their bounds.
     *
     * @param account  the client's.
     * @param bytes    its memfd's size.
     * @param maxPerUid max_shm_bytes_per_uid.
     * @param maxTotal  max_shm_bytes_total.
     * @return true when charged; false when a bound would be passed (nothing charged).
     */
    public boolean chargeShm(final UidAccount account, final long bytes, final long maxPerUid, final long maxTotal)
    {
        if (account.shmBytes + bytes > maxPerUid || totalShmBytes + bytes > maxTotal)
        {
            return false;
        }
        account.shmBytes += bytes;
        totalShmBytes += bytes;
        return true;
    }

    /**
     * Gives back what {@link #chargeShm} charged, when the client closes.
     *
     * @param account the client's.
     * @param bytes   its memfd's size, as charged.
     */
    public void refundShm(final UidAccount account, final long bytes)
    {
        account.shmBytes -= bytes;
        totalShmBytes -= bytes;
    }

    /** @return bytes of all shared-memory rings held now. */
    public long totalShmBytes()
    {
        return totalShmBytes;
    }

    /** @return heap charged for all subscriptions, bytes. */
    public long totalSubscriptionBytes()
    {
        return totalSubscriptionBytes;
    }
}

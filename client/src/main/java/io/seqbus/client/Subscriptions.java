package io.seqbus.client;

import java.util.Arrays;

/**
 * The client's live subscriptions: a copy-on-write array sorted by id (ids only grow), so the polling side
 * finds one by binary search without locking. Changed only under the {@link Outbound} lock.
 */
final class Subscriptions
{
    private static final Subscription[] NO_SUBSCRIPTIONS = new Subscription[0];

    private volatile Subscription[] subscriptions = NO_SUBSCRIPTIONS;
    private int nextId = 1;

    /** Under lock. */
    int nextId()
    {
        return nextId++;
    }

    /**
     * @return a snapshot, in the order of subscribing; do not change it.
     */
    Subscription[] all()
    {
        return subscriptions;
    }

    /** Under lock. */
    void add(final Subscription subscription)
    {
        final Subscription[] old = subscriptions;
        final Subscription[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = subscription;
        subscriptions = grown;
    }

    /** Under lock. */
    void remove(final int id)
    {
        final Subscription[] old = subscriptions;
        final int index = indexOf(old, id);
        if (index >= 0)
        {
            final Subscription[] shrunk = new Subscription[old.length - 1];
            System.arraycopy(old, 0, shrunk, 0, index);
            System.arraycopy(old, index + 1, shrunk, index, old.length - index - 1);
            subscriptions = shrunk;
        }
    }

    Subscription find(final int id)
    {
        final Subscription[] current = subscriptions;
        final int index = indexOf(current, id);
        return index >= 0 ? current[index] : null;
    }

    private static int indexOf(final Subscription[] array, final int id)
    {
        int low = 0;
        int high = array.length - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final int midId = array[mid].id();
            if (midId < id)
            {
                low = mid + 1;
            }
            else if (midId > id)
            {
                high = mid - 1;
            }
            else
            {
                return mid;
            }
        }
        return -1;
    }
}

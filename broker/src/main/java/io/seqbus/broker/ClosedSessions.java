package io.seqbus.broker;

import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The last sequence the broker gave each session publisher whose connection closed, so that when the session
 * comes back (SPEC.md, HELLO) with a later {@code next_sequence} the broker can tell subscribers exactly which
 * sequences it never read: datagrams left unread in a connection the broker closed (an eviction, a fatal ERROR)
 * are gone, and only the broker knows where its numbering stopped.
 * <p>
 * Bounded twice, because clients choose how many sessions they open: at most {@code maxPerUid} entries per uid
 * (a uid past it forgets its own oldest entry, never another uid's) and {@code maxTotal} in all (when full, the
 * uid that holds the most entries forgets its oldest, so a uid within its share is never pushed out by a larger
 * one). A forgotten entry only means a later resume of that session cannot be checked; it is counted.
 * Owned by the agent thread; touched when a connection closes and at a session HELLO, never per message.
 */
final class ClosedSessions
{
    /** Heap one entry may take (the entry, its map slots, its uid's list), charged in the memory budget. */
    static final int ENTRY_HEAP_COST = 128;

    /** One closed session: a node of its uid's list, oldest first. */
    private static final class Entry
    {
        final int uid;
        final long publisherId;
        long lastSequence;
        Entry older;
        Entry newer;

        Entry(final int uid, final long publisherId)
        {
            this.uid = uid;
            this.publisherId = publisherId;
        }
    }

    /** The entries of one uid, oldest first. */
    private static final class UidList
    {
        Entry oldest;
        Entry newest;
        int size;
    }

    private final Long2ObjectHashMap<Entry> byPublisher = new Long2ObjectHashMap<>();
    private final Int2ObjectHashMap<UidList> byUid = new Int2ObjectHashMap<>();
    private int maxTotal;
    private int maxPerUid;
    private long forgotten;

    /**
     * @param maxTotal  entries in all.
     * @param maxPerUid entries one uid may hold.
     */
    ClosedSessions(final int maxTotal, final int maxPerUid)
    {
        limits(maxTotal, maxPerUid);
    }

    /**
     * New bounds (a reload); entries past them are forgotten at the next {@link #closed}.
     *
     * @param maxTotal  entries in all.
     * @param maxPerUid entries one uid may hold.
     */
    void limits(final int maxTotal, final int maxPerUid)
    {
        this.maxTotal = Math.max(0, maxTotal);
        this.maxPerUid = Math.max(0, Math.min(maxPerUid, this.maxTotal));
    }

    /**
     * A session publisher's connection closed: remember where its numbering stopped.
     *
     * @param uid          of the peer (the publisher id already depends on it).
     * @param publisherId  the session's publisher id.
     * @param lastSequence the last sequence the broker gave one of its publishes (its resume point less one if
     *                     it published nothing).
     */
    void closed(final int uid, final long publisherId, final long lastSequence)
    {
        Entry entry = byPublisher.get(publisherId);
        if (entry != null)
        {
            // Two connections of one session (a client bug): the later close is where the numbering stopped.
            unlink(entry);
        }
        else
        {
            entry = new Entry(uid, publisherId);
            byPublisher.put(publisherId, entry);
        }
        entry.lastSequence = lastSequence;
        link(entry);
        final UidList own = byUid.get(uid);
        while (own.size > maxPerUid)
        {
            forget(own.oldest);
        }
        while (byPublisher.size() > maxTotal)
        {
            forget(largest().oldest);
        }
    }

    /**
     * A session HELLO: takes the entry of its publisher id, if any.
     *
     * @param publisherId the session's publisher id.
     * @return the last sequence given before its connection closed, or -1 when none is remembered.
     */
    long resumed(final long publisherId)
    {
        final Entry entry = byPublisher.remove(publisherId);
        if (entry == null)
        {
            return -1;
        }
        unlink(entry);
        return entry.lastSequence;
    }

    /** @return entries held. */
    int size()
    {
        return byPublisher.size();
    }

    /**
     * @param uid a peer's uid.
     * @return entries that uid holds.
     */
    int sizeOf(final int uid)
    {
        final UidList list = byUid.get(uid);
        return list == null ? 0 : list.size;
    }

    /** @return entries forgotten to keep the bounds since the start. */
    long forgotten()
    {
        return forgotten;
    }

    private void forget(final Entry entry)
    {
        byPublisher.remove(entry.publisherId);
        unlink(entry);
        forgotten++;
    }

    /** The uid that holds the most entries: it pays when the table is full (a scan, but only then). */
    private UidList largest()
    {
        UidList largest = null;
        for (final UidList list : byUid.values())
        {
            if (largest == null || list.size > largest.size)
            {
                largest = list;
            }
        }
        return largest;
    }

    private void link(final Entry entry)
    {
        UidList list = byUid.get(entry.uid);
        if (list == null)
        {
            list = new UidList();
            byUid.put(entry.uid, list);
        }
        entry.older = list.newest;
        entry.newer = null;
        if (list.newest != null)
        {
            list.newest.newer = entry;
        }
        else
        {
            list.oldest = entry;
        }
        list.newest = entry;
        list.size++;
    }

    private void unlink(final Entry entry)
    {
        final UidList list = byUid.get(entry.uid);
        if (entry.older != null)
        {
            entry.older.newer = entry.newer;
        }
        else
        {
            list.oldest = entry.newer;
        }
        if (entry.newer != null)
        {
            entry.newer.older = entry.older;
        }
        else
        {
            list.newest = entry.older;
        }
        entry.older = null;
        entry.newer = null;
        if (--list.size == 0)
        {
            byUid.remove(entry.uid);
        }
    }
}

package io.seqbus.client;

import org.agrona.collections.Long2LongHashMap;

/**
 * The last sequence one subscription delivered per publisher, so that after this client's reconnect the next
 * message of each publisher tells exactly how many of its messages were missed (SPEC.md, "What a subscriber can
 * count"). Polling side only.
 * <p>
 * Only a loss of unknown size arms the check (this client's reconnect, a GAP with count 0 such as NODE_LOST):
 * otherwise the broker's GAP frames say what was lost, and a subscription that matches only some of a
 * publisher's topics sees its sequence skip by design. An armed entry is stored negated; the next message of that
 * publisher disarms it.
 * <p>
 * While an entry is armed, what the broker counts for that publisher (a drop, a PUBLISHER_RESUMED gap) is kept as
 * a credit, not as a new last sequence: the hole the check finds is everything between the last delivery and the
 * next, less what was counted already. Moving the last sequence up to the counted range instead would hide the
 * part of the hole before that range (the messages missed while reconnecting). A GAP that names no single
 * publisher cannot be split among them: the check stays armed, so a publisher's hole may be counted together with
 * its share of that GAP (an over-count, never an under-count).
 * <p>
 * Consecutive messages nearly always come from the publisher of the message before (a DELIVER_RUN is one
 * publisher's run), so that publisher's entry is held in two fields and reaches the map only when another
 * publisher's message comes or the map is read: one hash lookup per change of publisher, not two per message.
 */
final class PublisherSequences
{
    // Mixes the node in, so equal publisher ids of two nodes stay apart (ids are unique per node only).
    private static final long NODE_MIX = 0x9E3779B97F4A7C15L;

    private final Long2LongHashMap lastByPublisher = new Long2LongHashMap(0);
    /** Per armed publisher: messages after its last delivery the broker already counted. */
    private final Long2LongHashMap countedWhileArmed = new Long2LongHashMap(0);
    private int armReason;
    // The entry of the last message's publisher, not yet written to the map.
    private boolean holding;
    private long heldKey;
    private long heldLast;

    static long key(final int sourceNode, final long publisherId)
    {
        return publisherId ^ (sourceNode * NODE_MIX);
    }

    /**
     * A message was delivered (hot path: no allocation once the publisher is known).
     *
     * @return how many sequences this publisher skipped since the last delivery before a reconnect, less what the
     * broker counted meanwhile; else 0.
     */
    long delivered(final long key, final long sequence)
    {
        if (holding && heldKey == key)
        {
            heldLast = sequence;
            return 0;
        }
        release();
        final long stored = lastByPublisher.get(key);
        holding = true;
        heldKey = key;
        heldLast = sequence;
        if (stored >= 0)
        {
            return 0;
        }
        final long last = -stored;
        final long counted = countedWhileArmed.remove(key);
        final long missed = sequence - last - 1 - counted;
        return missed > 0 ? missed : 0;
    }

    /**
     * @return true when this subscription delivered a message of that publisher.
     */
    boolean seen(final long key)
    {
        return holding && heldKey == key || lastByPublisher.get(key) != 0;
    }

    /**
     * A loss of unknown size happened (this client reconnected, or a node of the LAN went away): the next message
     * of every publisher seen so far is compared with its last.
     *
     * @param reason the {@link GapReason} the counted gaps will carry.
     */
    void armAll(final int reason)
    {
        release();
        armReason = reason;
        final Long2LongHashMap.EntryIterator entries = lastByPublisher.entrySet().iterator();
        while (entries.hasNext())
        {
            entries.next();
            final long value = entries.getLongValue();
            if (value > 0)
            {
                entries.setValue(-value);
            }
        }
    }

    /**
     * The broker said this publisher lost {@code from .. from + count - 1} here: those are counted already.
     */
    void skipped(final long key, final long fromSequence, final long count)
    {
        release();
        final long stored = lastByPublisher.get(key);
        if (stored == 0)
        {
            return;
        }
        final long lastLost = fromSequence + count - 1;
        if (stored > 0)
        {
            lastByPublisher.put(key, Math.max(stored, lastLost));
            return;
        }
        // Armed: only the part after the last delivery is in the hole the check will find.
        final long beyondLast = Math.min(count, lastLost - (-stored));
        if (beyondLast > 0)
        {
            countedWhileArmed.put(key, countedWhileArmed.get(key) + beyondLast);
        }
    }

    /** @return the reason of the last {@link #armAll}. */
    int armReason()
    {
        return armReason;
    }

    /** Writes the held entry to the map, before the map is read or another publisher's entry is held. */
    private void release()
    {
        if (holding)
        {
            lastByPublisher.put(heldKey, heldLast);
            holding = false;
        }
    }
}

package io.seqbus.broker.counters;

import java.util.HashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Messages discarded per queue group (a departed member's queue, SPEC.md "Queue groups"), for
 * {@code seqbus_group_discarded_total{group}}. Group names come from clients, so the label's cardinality is bounded:
 * the first {@link #LABELLED} names that discard anything get a slot of their own, for the broker's life; every
 * later one is counted under the label {@link #OTHERS} ({@code *}, which no group name can be). Written by the agent
 * thread alone with ordered stores, read from any thread (metrics, stat).
 */
public final class GroupCounters
{
    /** Group names that get their own label. */
    public static final int LABELLED = 32;
    /** The label of every group past the first {@link #LABELLED}: not a valid group name, so never a real one. */
    public static final String OTHERS = "*";

    private final AtomicReferenceArray<String> names = new AtomicReferenceArray<>(LABELLED + 1);
    private final AtomicLongArray discarded = new AtomicLongArray(LABELLED + 1);
    private final HashMap<String, Integer> slots = new HashMap<>();

    GroupCounters()
    {
        names.set(LABELLED, OTHERS);
    }

    /**
     * Agent thread only; a rare path (a member's connection closing with messages queued).
     *
     * @param group    the group's name.
     * @param messages discarded from a departed member's queue.
     */
    public void discarded(final String group, final long messages)
    {
        Integer slot = slots.get(group);
        if (slot == null)
        {
            slot = slots.size() < LABELLED ? slots.size() : LABELLED;
            if (slot < LABELLED)
            {
                slots.put(group, slot);
                names.set(slot, group);
            }
        }
        discarded.lazySet(slot, discarded.get(slot) + messages);
    }

    /** @return slots, the overflow one included: iterate {@link #name(int)} and {@link #discarded(int)}. */
    public int slots()
    {
        return LABELLED + 1;
    }

    /**
     * @param slot 0 until {@link #slots()}.
     * @return the group's name in that slot, {@link #OTHERS} for the last, or null while unused.
     */
    public String name(final int slot)
    {
        return names.get(slot);
    }

    /**
     * @param slot 0 until {@link #slots()}.
     * @return messages discarded for the group in that slot.
     */
    public long discarded(final int slot)
    {
        return discarded.get(slot);
    }

    /**
     * @param group a group's name.
     * @return messages discarded for it, or for all groups past the labelled ones when it has no slot.
     */
    public long discardedOf(final String group)
    {
        for (int i = 0; i < LABELLED; i++)
        {
            if (group.equals(names.get(i)))
            {
                return discarded.get(i);
            }
        }
        return 0;
    }
}

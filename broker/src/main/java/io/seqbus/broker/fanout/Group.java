package io.seqbus.broker.fanout;

import java.util.HashMap;

/**
 * One queue group on this broker (SPEC.md, "Queue groups"): its name, how many live members it has, and the cursor
 * {@link GroupDispatch} starts its round robin from. Keyed by name only, as NATS queue groups are: every member of
 * the group whose pattern matches a message competes for it. Owned by the agent thread; made and forgotten by
 * {@link Groups}.
 */
public final class Group
{
    private final String name;
    private final int order;
    private int members;
    // Members by pattern, for the LAN's GROUPS announcement.
    private final HashMap<String, int[]> byPattern = new HashMap<>();
    /** Where the next round robin starts, relative to the matching members; {@link GroupDispatch}'s alone. */
    int cursor;
    /** Messages the member at the cursor has taken in its current turn; {@link GroupDispatch}'s alone. */
    int streak;
    /** The duty cycle the current turn began in; {@link GroupDispatch}'s alone. */
    long turnCycle = -1;

    Group(final String name, final int order)
    {
        this.name = name;
        this.order = order;
    }

    /** @return the group's name. */
    public String name()
    {
        return name;
    }

    /** @return its place among groups, so a match result lists each group's members together. */
    int order()
    {
        return order;
    }

    /** @return live members. */
    public int members()
    {
        return members;
    }

    void join(final String pattern)
    {
        members++;
        byPattern.computeIfAbsent(pattern, (p) -> new int[1])[0]++;
    }

    /** @return true when that was the last member. */
    boolean leave(final String pattern)
    {
        final int[] count = byPattern.get(pattern);
        if (count != null && --count[0] == 0)
        {
            byPattern.remove(pattern);
        }
        return --members == 0;
    }

    /** @return members by pattern; read-only. */
    java.util.Map<String, int[]> byPattern()
    {
        return byPattern;
    }
}

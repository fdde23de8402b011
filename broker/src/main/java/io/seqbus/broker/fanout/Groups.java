package io.seqbus.broker.fanout;

import java.util.Comparator;
import java.util.HashMap;

/**
 * The queue groups with live members, by name: a group is made when its first member subscribes and forgotten when
 * its last leaves, so names clients make up cost nothing once gone. Owned by {@link SubscriptionRegistry}.
 */
final class Groups
{
    /**
     * The order of a match result: plain subscriptions first, then each group's members together, in the order they
     * subscribed (the sort is stable), so {@link FanOut} finds a group's matching members as one run.
     */
    static final Comparator<Subscription> PLAIN_THEN_BY_GROUP = Comparator.comparingInt(
        s -> s.group() == null ? -1 : s.group().order());

    private final HashMap<String, Group> byName = new HashMap<>();
    private int nextOrder;

    Group join(final String name, final String pattern)
    {
        Group group = byName.get(name);
        if (group == null)
        {
            group = new Group(name, nextOrder++ & Integer.MAX_VALUE);
            byName.put(name, group);
        }
        group.join(pattern);
        return group;
    }

    void leave(final Group group, final String pattern)
    {
        if (group.leave(pattern))
        {
            byName.remove(group.name());
        }
    }

    /**
     * @param max most entries.
     * @return each group's members by pattern, for the LAN's GROUPS announcement (allocates: once a second).
     */
    java.util.List<io.seqbus.wire.GroupsFrame.Entry> entries(final int max)
    {
        final java.util.ArrayList<io.seqbus.wire.GroupsFrame.Entry> entries = new java.util.ArrayList<>();
        for (final Group g : byName.values())
        {
            for (final java.util.Map.Entry<String, int[]> e : g.byPattern().entrySet())
            {
                if (entries.size() < max)
                {
                    entries.add(new io.seqbus.wire.GroupsFrame.Entry(g.name(), e.getKey(), e.getValue()[0]));
                }
            }
        }
        return entries;
    }

    /** @return groups with live members. */
    int size()
    {
        return byName.size();
    }
}

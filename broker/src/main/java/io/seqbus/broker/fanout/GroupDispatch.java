package io.seqbus.broker.fanout;

import java.util.List;

/**
 * Picks the one member of a queue group that gets a message (SPEC.md, "Queue groups"): round robin from the group's
 * cursor over the members whose pattern matched, skipping those whose queue has no room for it now; when every one
 * is full, the member at the cursor takes it, and its own slow-consumer policy then decides (a drop counted as that
 * member's, {@code block} holding publishers back, {@code disconnect} evicting it). Nothing is allocated: the
 * members come as one run of the match result ({@link Groups#PLAIN_THEN_BY_GROUP}).
 * <p>
 * A member's turn lasts {@link #MAX_TURN} messages at most, and ends with the agent's duty cycle. At high rates a cycle
 * carries many messages, and consecutive ones of a publisher go to one member in one DELIVER_RUN, sharing its
 * datagram as for an ordinary subscriber. At low rates a cycle carries one message, so the turn moves on with every
 * message: requests to a group of services spread at once instead of {@link #MAX_TURN} in a row to one of them.
 */
final class GroupDispatch
{
    /** Whether a subscriber takes a message now without its policy having to act. */
    interface Room
    {
        /**
         * @param to          a member's subscriber.
         * @param charge      bytes the delivery would add to its queue.
         * @param descriptors true when the message carries descriptors.
         * @return true when it fits every bound now.
         */
        boolean hasRoomNow(Subscriber to, long charge, boolean descriptors);
    }

    /**
     * The most messages a member takes in one turn, so over many messages each member's share stays within this of
     * the others'. Longer turns (64, 256, 1,024 tried) made no difference measured by `seqbus bench --group 3`,
     * in-process or as processes, and let a burst of jobs pile up at one member.
     */
    static final int MAX_TURN = 16;

    private final Room room;
    // Counts the agent's duty cycles: a turn that began in an earlier one is over.
    private long cycle;

    GroupDispatch(final Room room)
    {
        this.room = room;
    }

    /** The agent began a duty cycle: every turn taken so far is over. */
    void newCycle()
    {
        cycle++;
    }

    /**
     * @param matches     a match result.
     * @param from        index of the group's first matching member in it.
     * @param end         index after its last.
     * @param charge      bytes the delivery adds to a queue.
     * @param descriptors true when the message carries descriptors.
     * @return the member to deliver to.
     */
    Subscription pick(
        final List<Subscription> matches, final int from, final int end, final long charge, final boolean descriptors)
    {
        return pick(matches, from, end, charge, descriptors, null);
    }

    /**
     * @param eligible for a request: the members that may take it (SERVICES, rules that let them reply); the others
     *                 are passed over as if absent. Null for a message: every member.
     * @return the member to deliver to; null when no member is eligible.
     */
    Subscription pick(
        final List<Subscription> matches, final int from, final int end, final long charge, final boolean descriptors,
        final FanOut.RequestRecipients eligible)
    {
        final int n = end - from;
        final Group group = matches.get(from).group();
        final int start = Integer.remainderUnsigned(group.cursor, n);
        boolean startHasRoom = false;
        int firstEligible = -1;
        for (int k = 0; k < n; k++)
        {
            int at = start + k;
            if (at >= n)
            {
                at -= n;
            }
            final Subscription member = matches.get(from + at);
            if (eligible != null && !eligible.mayReceive(member.subscriber()))
            {
                continue;
            }
            if (firstEligible < 0)
            {
                firstEligible = at;
            }
            if (!room.hasRoomNow(member.subscriber(), charge, descriptors))
            {
                continue;
            }
            if (k == 0)
            {
                startHasRoom = true;
                if (group.turnCycle == cycle && group.streak < MAX_TURN)
                {
                    group.streak++;
                    return member;
                }
                continue; // its turn is over: the next member with room
            }
            group.cursor = at;
            group.turnCycle = cycle;
            group.streak = 1;
            return member;
        }
        if (startHasRoom)
        {
            // The only member with room: it goes on.
            group.turnCycle = cycle;
            group.streak = 1;
            return matches.get(from + start);
        }
        if (firstEligible < 0)
        {
            return null;
        }
        // Every one full: the first (eligible) member from the cursor takes it under its policy, the next has the
        // next turn.
        group.cursor = firstEligible + 1;
        group.streak = 0;
        return matches.get(from + firstEligible);
    }
}

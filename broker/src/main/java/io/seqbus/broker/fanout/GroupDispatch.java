package io.seqbus.broker.fanout;

import java.util.List;

/**
 * Picks the one member of a queue group that gets a message (SPEC.md, "Queue groups"): round robin from the group's
 * cursor over the members whose pattern matched, skipping those whose queue has no room for it now; when every one
 * is full, the member at the cursor takes it, and its own slow-consumer policy then decides (a drop counted as that
 * member's, {@code block} holding publishers back, {@code disconnect} evicting it). Nothing is allocated: the
 * members come as one run of the match result ({@link Groups#PLAIN_THEN_BY_GROUP}).
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

    private final Room room;

    GroupDispatch(final Room room)
    {
        this.room = room;
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
        final int n = end - from;
        final Group group = matches.get(from).group();
        final int start = Integer.remainderUnsigned(group.cursor, n);
        for (int k = 0; k < n; k++)
        {
            int at = start + k;
            if (at >= n)
            {
                at -= n;
            }
            final Subscription member = matches.get(from + at);
            if (room.hasRoomNow(member.subscriber(), charge, descriptors))
            {
                group.cursor = at + 1;
                return member;
            }
        }
        group.cursor = start + 1;
        return matches.get(from + start);
    }
}

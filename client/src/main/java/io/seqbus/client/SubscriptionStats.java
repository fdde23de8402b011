package io.seqbus.client;

/**
 * What one {@link Subscription} has seen since it was made, as counted by the client; an immutable snapshot
 * from {@link Subscription#stats()}. Every counter only grows.
 *
 * @param delivered     messages passed to the subscription's handler.
 * @param handlerErrors times the handler (message or gap) threw.
 * @param gaps          gaps reported to the subscription's gap handler, from the broker (GAP frames) or made
 *                      by the client after a reconnect.
 * @param lost          the gaps' counts summed: messages known to be lost (a gap with count 0, "unknown",
 *                      adds nothing).
 * @param dropped       of those, the ones the broker dropped from this subscription's queue under its
 *                      slow-consumer policy ({@code DROPPED_OLDEST}, {@code DROPPED_NEWEST}).
 */
public record SubscriptionStats(long delivered, long handlerErrors, long gaps, long lost, long dropped)
{
    static final int DELIVERED = 0;
    static final int HANDLER_ERRORS = 1;
    static final int GAPS = 2;
    static final int LOST = 3;
    static final int DROPPED = 4;
    static final int COUNT = 5;

    static SubscriptionStats of(final Counters counters)
    {
        return new SubscriptionStats(counters.get(DELIVERED), counters.get(HANDLER_ERRORS), counters.get(GAPS),
            counters.get(LOST), counters.get(DROPPED));
    }
}

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
 * @param handlerDrops  with an executor or in pull mode ({@link SubscriptionOptions#executor}): messages the client
 *                      dropped because the subscription's queue in the client was full (policies drop-oldest,
 *                      drop-newest, and the message that found it full under disconnect). There, {@code delivered}
 *                      counts the messages put to the queue: delivered = handled + handlerDrops + unhandled +
 *                      {@link Subscription#pending()}.
 * @param unhandled     with an executor or in pull mode: messages still queued in the client when the subscription
 *                      or the client was closed, never handled.
 */
public record SubscriptionStats(
    long delivered, long handlerErrors, long gaps, long lost, long dropped, long handlerDrops, long unhandled)
{
    static final int DELIVERED = 0;
    static final int HANDLER_ERRORS = 1;
    static final int GAPS = 2;
    static final int LOST = 3;
    static final int DROPPED = 4;
    static final int COUNT = 5;

    /**
     * @param queue the subscription's queue with an executor or in pull mode, else null.
     */
    static SubscriptionStats of(final Counters counters, final HandlerQueue queue)
    {
        return new SubscriptionStats(counters.get(DELIVERED),
            counters.get(HANDLER_ERRORS) + (queue != null ? queue.handlerErrors() : 0), counters.get(GAPS),
            counters.get(LOST), counters.get(DROPPED), queue != null ? queue.drops() : 0,
            queue != null ? queue.unhandled() : 0);
    }
}

package io.seqbus.client;

/**
 * What a {@link BusClient} has done since it was made, across its reconnects; an immutable snapshot from
 * {@link BusClient#stats()}. Every counter only grows. The subscription counters add up those of every
 * subscription the client had, closed ones included (see {@link SubscriptionStats}).
 *
 * @param published         publishes accepted ({@code publish} returned, {@code tryPublish} said {@code OK}).
 * @param publishesDenied   publishes refused at the call ({@link PublishResult#DENIED}, or {@code publish}
 *                          threw) because the broker refused that topic recently.
 * @param publishesRefused  publishes the broker refused (ACCESS_DENIED ERRORs naming a topic).
 * @param errors            ERROR frames from the broker, refusals included.
 * @param reconnects        connections after the first (WELCOMEs after the first one).
 * @param datagramsOut      datagrams written to the broker.
 * @param bytesOut          bytes written to the broker.
 * @param datagramsIn       datagrams read from the broker.
 * @param bytesIn           bytes read from the broker.
 * @param delivered         messages passed to handlers.
 * @param handlerErrors     times a message or gap handler threw.
 * @param gaps              gaps reported to gap handlers.
 * @param lost              the gaps' counts summed.
 * @param dropped           of those, the ones dropped by the broker's slow-consumer policy.
 * @param handlerDrops      messages dropped in the client from full handler queues (subscriptions with an executor
 *                          or in pull mode; see {@link SubscriptionStats#handlerDrops()}).
 * @param unhandled         messages left in handler queues when their subscription or the client closed.
 * @param transport         how the current (or last) connection carries frames: {@link #SHARED_MEMORY} (rings in a
 *                          memfd; datagrams and bytes then count its records) or {@link #SOCKET}.
 */
public record ClientStats(
    long published, long publishesDenied, long publishesRefused, long errors, long reconnects,
    long datagramsOut, long bytesOut, long datagramsIn, long bytesIn,
    long delivered, long handlerErrors, long gaps, long lost, long dropped, long handlerDrops, long unhandled,
    String transport)
{
    /** {@link #transport()} of a connection through shared memory. */
    public static final String SHARED_MEMORY = "shm";
    /** {@link #transport()} of a connection through the socket alone. */
    public static final String SOCKET = "socket";

    // Subscription counters first, at the same indexes as in SubscriptionStats, so one add serves both.
    static final int PUBLISHED = SubscriptionStats.COUNT;
    static final int PUBLISHES_DENIED = PUBLISHED + 1;
    static final int PUBLISHES_REFUSED = PUBLISHED + 2;
    static final int ERRORS = PUBLISHED + 3;
    static final int RECONNECTS = PUBLISHED + 4;
    static final int DATAGRAMS_OUT = PUBLISHED + 5;
    static final int BYTES_OUT = PUBLISHED + 6;
    static final int DATAGRAMS_IN = PUBLISHED + 7;
    static final int BYTES_IN = PUBLISHED + 8;
    // Not in the record: reads of the socket that met EAGAIN, each a system call that found nothing (for tests).
    static final int EMPTY_READS = PUBLISHED + 9;
    static final int COUNT = PUBLISHED + 10;

    static ClientStats of(final Counters c, final boolean sharedMemory, final HandlerQueues queues)
    {
        return new ClientStats(c.get(PUBLISHED), c.get(PUBLISHES_DENIED), c.get(PUBLISHES_REFUSED), c.get(ERRORS),
            c.get(RECONNECTS), c.get(DATAGRAMS_OUT), c.get(BYTES_OUT), c.get(DATAGRAMS_IN), c.get(BYTES_IN),
            c.get(SubscriptionStats.DELIVERED), c.get(SubscriptionStats.HANDLER_ERRORS) + queues.handlerErrors(),
            c.get(SubscriptionStats.GAPS), c.get(SubscriptionStats.LOST), c.get(SubscriptionStats.DROPPED),
            queues.drops(), queues.unhandled(), sharedMemory ? SHARED_MEMORY : SOCKET);
    }
}

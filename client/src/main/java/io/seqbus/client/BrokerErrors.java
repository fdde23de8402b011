package io.seqbus.client;

import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.SafeBuffer;

/**
 * What an ERROR from the broker means to this client: counted; a refused publish taken off the count the next HELLO
 * sends, and reported once per refusal rather than per message; a fatal one ends the connection (the reconnect
 * follows its code); one naming a subscription ends that subscription. The error handler hears of each. Runs on the
 * polling side, for {@link Inbound}.
 */
final class BrokerErrors
{
    private final ErrorHandler errorHandler;
    private final Connection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    private final Reconnector reconnector;
    private final ErrorFrame errorFrame = new ErrorFrame();

    BrokerErrors(
        final ErrorHandler errorHandler, final Connection connection, final Outbound outbound,
        final Subscriptions subscriptions, final Reconnector reconnector)
    {
        this.errorHandler = errorHandler;
        this.connection = connection;
        this.outbound = outbound;
        this.subscriptions = subscriptions;
        this.reconnector = reconnector;
    }

    /**
     * @param buffer the datagram.
     * @param at     where the ERROR frame starts; the validator has checked it.
     */
    void onError(final SafeBuffer buffer, final int at)
    {
        errorFrame.wrap(buffer, at);
        final String reason = errorFrame.reason();
        final String refusedTopic = PublishRefusals.topicOf(errorFrame.code(), errorFrame.fatal(), errorFrame.ref(), reason);
        final BusError error = new BusError(errorFrame.code(), errorFrame.fatal(), errorFrame.ref(), reason, refusedTopic);
        connection.counters().increment(ClientStats.ERRORS);
        if (error.isFatal() && reconnector.sessionRefused(error))
        {
            // An older broker: the client connects again without a session and has said so once.
            return;
        }
        if (refusedTopic != null)
        {
            connection.counters().increment(ClientStats.PUBLISHES_REFUSED);
        }
        if (refusedTopic != null || (error.ref() == 0 && !error.isFatal() && refusesOnePublish(error.code())))
        {
            // The broker gave that publish no sequence: the count sent in the next HELLO must not include it.
            outbound.publishRefusedLocked();
        }
        if (refusedTopic != null && !outbound.refusedLocked(error))
        {
            // Counted into the refusal the handler already heard of: one report per refusal, not per message.
            return;
        }
        try
        {
            errorHandler.onError(error);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex, null, null);
        }
        if (error.isFatal())
        {
            reconnector.connectionLost(new BusException("the seqbus broker at " + connection.socket() +
                " closed the connection: " + error, error.code(), null), Reconnector.isRetryable(error.code()));
            return;
        }
        if (error.ref() != 0)
        {
            final Subscription subscription = subscriptions.find(error.ref());
            if (subscription != null)
            {
                subscription.fail(error);
                outbound.lock().lock();
                try
                {
                    subscriptions.remove(error.ref());
                }
                finally
                {
                    outbound.lock().unlock();
                }
            }
        }
    }

    /**
     * Codes that refuse one publish besides ACCESS_DENIED: it got no sequence (SPEC.md, HELLO "Sessions"). The
     * descriptor refusals (23-26) are not cached as refusals of the topic: plain publishes there still go.
     */
    private static boolean refusesOnePublish(final int code)
    {
        switch (code)
        {
            case ErrorCode.INVALID_TOPIC:
            case ErrorCode.PAYLOAD_TOO_LARGE:
            case ErrorCode.INVALID_REQUEST:
            case ErrorCode.BAD_DESCRIPTOR:
            case ErrorCode.DESCRIPTORS_DENIED:
            case ErrorCode.NOT_ON_LAN:
            case ErrorCode.TOO_MANY_DESCRIPTORS:
                return true;
            default:
                return false;
        }
    }
}

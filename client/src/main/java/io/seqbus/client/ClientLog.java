package io.seqbus.client;

import java.lang.System.Logger.Level;

/**
 * What the client reports when the service installed no handler of its own: through {@link System.Logger}
 * named {@value #NAME}, so whatever the service logs with (JUL by default, SLF4J, Log4j through their
 * {@code System.LoggerFinder} bridges) picks it up; never straight to stderr.
 */
final class ClientLog
{
    /** The logger's name. */
    static final String NAME = "io.seqbus.client";

    private static final System.Logger LOGGER = System.getLogger(NAME);

    private ClientLog()
    {
    }

    /** The default {@link GapHandler}: possible loss is a warning. */
    static void gap(final Gap gap)
    {
        if (LOGGER.isLoggable(Level.WARNING))
        {
            LOGGER.log(Level.WARNING, "seqbus: " + gap);
        }
    }

    /** The default {@link ErrorHandler#onError}: an ERROR from the broker, or the client's own report. */
    static void error(final BusError error)
    {
        if (LOGGER.isLoggable(Level.WARNING))
        {
            LOGGER.log(Level.WARNING, "seqbus: " + (error.code() == 0 ? "" : "broker ERROR ") + error);
        }
    }

    /** The default {@link ErrorHandler#onHandlerException}: a bug in the service, so an error. */
    static void handlerException(final Throwable throwable, final Subscription subscription, final Message message)
    {
        if (LOGGER.isLoggable(Level.ERROR))
        {
            LOGGER.log(Level.ERROR, "seqbus: handler threw" + where(subscription, message), throwable);
        }
    }

    /**
     * Once per client: its broker predates HELLO sessions (SPEC.md, HELLO), so the client goes on without one. A
     * warning, as the service loses something it counted on: exact loss counts across reconnects.
     */
    static void sessionRefused(final String socket, final BusError error)
    {
        if (LOGGER.isLoggable(Level.WARNING))
        {
            LOGGER.log(Level.WARNING, "seqbus: the broker at " + socket + " refused a HELLO with a session (" + error +
                "), as brokers older than sessions do; connecting without one. From now on this client's publisher " +
                "id changes at every reconnect and its sequence starts again at 1, so what it loses across a " +
                "reconnect or a broker restart cannot be counted (count 0, unknown). A broker with sessions counts it.");
        }
    }

    /** The default {@link ConnectionListener#onDisconnected}: the client reconnects unless closed. */
    static void disconnected(final BusClient client, final BusException cause)
    {
        if (LOGGER.isLoggable(Level.WARNING))
        {
            LOGGER.log(Level.WARNING, "seqbus: " + cause.getMessage() +
                (client.isClosed() ? "" : "; reconnecting"));
        }
    }

    static String where(final Subscription subscription, final Message message)
    {
        if (message != null)
        {
            return " for " + message.topic() + " seq " + message.sequence() + " of publisher " +
                Long.toHexString(message.publisherId()) + " in subscription " + message.subscriptionId() +
                " (" + message.subscription().pattern() + ")";
        }
        if (subscription != null)
        {
            return " in subscription " + subscription.id() + " (" + subscription.pattern() + ")";
        }
        return "";
    }
}

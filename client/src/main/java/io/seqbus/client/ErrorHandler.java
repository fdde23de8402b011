package io.seqbus.client;

/**
 * Told about ERROR frames from the broker and about exceptions thrown by handlers.
 */
@FunctionalInterface
public interface ErrorHandler
{
    /**
     * Called on the polling thread for every ERROR frame, except that a refused publish is reported
     * once per topic and refusal: the later ones are counted into that error's {@link BusError#count()}.
     *
     * @param error the error, which may be kept.
     */
    void onError(BusError error);

    /**
     * Told when a {@link MessageHandler}, {@link GapHandler} or {@link ConnectionListener} throws, through the
     * default of {@link #onHandlerException(Throwable, Subscription, Message)} (the form the client calls),
     * on the polling thread; the client goes on with the next frame.
     * The default logs it at {@code ERROR} on the {@link System.Logger} {@code io.seqbus.client}.
     *
     * @param throwable what the handler threw.
     */
    default void onHandlerException(final Throwable throwable)
    {
        ClientLog.handlerException(throwable, null, null);
    }

    /**
     * Called on the polling thread when a handler throws, with what it was handling: the client calls this
     * one, never the one-argument form directly. The default passes the throwable on to
     * {@link #onHandlerException(Throwable)}, so handlers written for that form keep working; override this one
     * to learn the subscription, topic and sequence. The client goes on with the next frame.
     *
     * @param throwable    what the handler threw.
     * @param subscription whose {@link MessageHandler} or {@link GapHandler} threw; null for a
     *                     {@link ConnectionListener} or the client's own loop.
     * @param message      the message whose handler threw, a view valid only until this method returns (copy
     *                     what must be kept: {@link Message#topic()}, {@link Message#sequence()}, ...); null
     *                     when no message was being handled (a gap, a connection event).
     */
    default void onHandlerException(final Throwable throwable, final Subscription subscription, final Message message)
    {
        onHandlerException(throwable);
    }
}

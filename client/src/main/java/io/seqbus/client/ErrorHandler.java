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
     * Called on the polling thread when a {@link MessageHandler}, {@link GapHandler} or
     * {@link ConnectionListener} throws; the client goes on with the next frame.
     * The default prints the stack trace to stderr.
     *
     * @param throwable what the handler threw.
     */
    default void onHandlerException(final Throwable throwable)
    {
        System.err.print("seqbus: handler threw: ");
        throwable.printStackTrace(System.err);
    }
}

package io.seqbus.client;

/**
 * Receives the messages of one subscription.
 */
@FunctionalInterface
public interface MessageHandler
{
    /**
     * Called on the polling thread for every DELIVER of the subscription.
     *
     * @param message a view valid only until this method returns; copy what must be kept.
     */
    void onMessage(Message message);
}

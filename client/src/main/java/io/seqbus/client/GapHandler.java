package io.seqbus.client;

/**
 * Told when messages of a subscription may have been lost.
 */
@FunctionalInterface
public interface GapHandler
{
    /**
     * Called on the polling thread for a GAP from the broker, or for a gap the client makes
     * itself after a reconnect ({@link GapReason#RECONNECTED}).
     *
     * @param gap a view valid only until this method returns.
     */
    void onGap(Gap gap);
}

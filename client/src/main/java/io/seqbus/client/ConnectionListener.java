package io.seqbus.client;

/**
 * Told when the connection to the broker comes and goes.
 */
public interface ConnectionListener
{
    /**
     * The broker sent WELCOME: publishing and subscriptions are live. Called on the thread of
     * {@link BusClient#connect} for the first connection and on the polling thread after a
     * reconnect (before the {@link io.seqbus.wire.GapReason#RECONNECTED} gaps).
     *
     * @param client that connected.
     */
    default void onConnected(final BusClient client)
    {
    }

    /**
     * The connection was lost. Called on the polling thread. The client reconnects unless
     * reconnecting is disabled, the client was closed, or the broker refused it for good;
     * {@link BusClient#isClosed()} tells which.
     *
     * @param client that lost its connection.
     * @param cause  why, one line.
     */
    default void onDisconnected(final BusClient client, final BusException cause)
    {
    }
}

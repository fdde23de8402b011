package io.seqbus.client;

/**
 * Told when the connection to the broker comes and goes.
 */
public interface ConnectionListener
{
    /**
     * The broker sent WELCOME: publishing and subscriptions are live. Called on the thread of
     * {@link BusClient#connect} for the first connection and on the polling thread after a
     * reconnect (before the {@link GapReason#RECONNECTED} gaps).
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
     * <p>What the client read before the end is handled first, so an ERROR that closed the connection is
     * never hidden behind the loss: {@code cause.code()} is the ERROR's code ({@code SLOW_CONSUMER} for an
     * eviction, {@code SHUTTING_DOWN} for a broker stopping), and {@link BusException#isReset()} is true when
     * the connection ended without one (the broker crashed or was killed, or reset the connection). The
     * default logs the loss at {@code WARNING} on the {@link System.Logger} {@code io.seqbus.client}.
     *
     * @param client that lost its connection.
     * @param cause  why, one line.
     */
    default void onDisconnected(final BusClient client, final BusException cause)
    {
    }
}

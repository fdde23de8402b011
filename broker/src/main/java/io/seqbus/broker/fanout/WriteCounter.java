package io.seqbus.broker.fanout;

/**
 * Told of every datagram written to a client, for the broker's counters.
 */
@FunctionalInterface
public interface WriteCounter
{
    /**
     * @param bytes in the datagram.
     */
    void onDatagramWritten(int bytes);
}

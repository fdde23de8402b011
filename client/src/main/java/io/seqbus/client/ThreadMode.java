package io.seqbus.client;

/**
 * Who reads the socket and runs the handlers.
 */
public enum ThreadMode
{
    /**
     * The client starts one daemon thread that reads, dispatches, answers PINGs, sends what
     * publishers left in the batch and reconnects. Handlers run on that thread.
     */
    DEDICATED,
    /**
     * The application calls {@link BusClient#poll()} (and {@link BusClient#sync}, which polls
     * while it waits); handlers run on the polling thread. Nothing happens between polls:
     * no reads, no reconnects, and batched frames wait for a poll, a publish or a flush.
     */
    POLL
}

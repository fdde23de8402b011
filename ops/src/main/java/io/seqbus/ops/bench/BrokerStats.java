package io.seqbus.ops.bench;

/**
 * What the broker says about itself, read before and after a run: how much its agent thread
 * allocated and how many datagrams it wrote for how many deliveries.
 *
 * @param agentAllocatedBytes bytes allocated by the broker's agent thread since it started.
 * @param datagramsWritten    datagrams written to clients since start.
 * @param messagesDelivered   DELIVER frames queued since start.
 */
public record BrokerStats(long agentAllocatedBytes, long datagramsWritten, long messagesDelivered)
{
    /**
     * Where broker figures come from; null snapshots mean "not available".
     */
    @FunctionalInterface
    public interface Source
    {
        /**
         * @return the broker's figures now, or null if they cannot be had.
         */
        BrokerStats snapshot();
    }
}

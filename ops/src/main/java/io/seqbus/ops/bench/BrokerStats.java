package io.seqbus.ops.bench;

/**
 * What the broker says about itself, read before and after a run: how much its agent thread
 * allocated, how many datagrams it wrote for how many deliveries, and how many bytes its sockets
 * read and wrote (frames only: a memfd payload's bytes never pass through them).
 *
 * @param agentAllocatedBytes bytes allocated by the broker's agent thread since it started.
 * @param datagramsWritten    datagrams written to clients since start.
 * @param messagesDelivered   DELIVER frames queued since start.
 * @param messagesPublished   publishes accepted since start (PUBLISH and PUBLISH_FDS).
 * @param bytesRead           bytes read from client sockets since start, -1 when the broker does not say.
 * @param bytesWritten        bytes written to client sockets since start, -1 when the broker does not say.
 * @param pid                 the broker's process id (whose CPU the bench reads), -1 when it does not say.
 */
public record BrokerStats(long agentAllocatedBytes, long datagramsWritten, long messagesDelivered,
                          long messagesPublished, long bytesRead, long bytesWritten, long pid)
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

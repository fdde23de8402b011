package io.seqbus.broker.bridge;

import org.agrona.DirectBuffer;

/**
 * What the bridge needs from its broker: deliver a LAN message to local subscribers, tell them about
 * loss, and say when they are too full to take more. Called on the agent thread only.
 */
public interface LocalBus
{
    /**
     * Delivers a message from another node to every local subscription matching its topic.
     *
     * @param buffer        holding topic then payload, back to back.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param payloadLength bytes of the payload right after the topic.
     * @param sourceNode    node id of the publisher's broker.
     * @param publisherId   of the publisher.
     * @param sequence      the publisher's sequence for this message.
     * @param timestampNs   source broker's receive time.
     * @param uid           publisher's uid.
     * @param pid           publisher's pid.
     */
    void deliverFromLan(
        DirectBuffer buffer, int topicIndex, int topicLength, int payloadLength, int sourceNode, long publisherId,
        long sequence, long timestampNs, int uid, int pid);

    /**
     * As {@link #deliverFromLan(DirectBuffer, int, int, int, int, long, long, long, int, int)}, for a DELIVER whose
     * frame header has {@code headerFlag}: with {@link io.seqbus.wire.Protocol#FLAG_HEADERS} the payload starts with a
     * header block (SPEC.md, "Headers"), to deliver as it is. A bus that does not carry headers ignores the flag.
     *
     * @param headerFlag {@link io.seqbus.wire.Protocol#FLAG_HEADERS} or 0.
     */
    default void deliverFromLan(
        DirectBuffer buffer, int topicIndex, int topicLength, int payloadLength, int sourceNode, long publisherId,
        long sequence, long timestampNs, int uid, int pid, int headerFlag)
    {
        deliverFromLan(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence, timestampNs,
            uid, pid);
    }

    /**
     * Delivers a memfd payload from another node (reassembled by the bridge into a new sealed memfd) to every local
     * subscription matching its topic. The broker owns {@code memfd} from the call on: it closes it when the last
     * delivery is done with it, or at once when it cannot hold it (counted as LAN loss).
     *
     * @param topicBuffer   holding the topic.
     * @param topicIndex    of the first topic byte.
     * @param topicLength   bytes of the topic.
     * @param memfd         a sealed memfd holding the payload.
     * @param payloadSize   bytes of the memfd.
     * @param sourceNode    node id of the publisher's broker.
     * @param publisherId   of the publisher.
     * @param sequence      the publisher's sequence for this message.
     * @param timestampNs   source broker's receive time.
     * @param uid           publisher's uid.
     * @param pid           publisher's pid.
     */
    void deliverMemfdFromLan(
        DirectBuffer topicBuffer, int topicIndex, int topicLength, int memfd, long payloadSize, int sourceNode,
        long publisherId, long sequence, long timestampNs, int uid, int pid);

    /**
     * As {@link #deliverMemfdFromLan(DirectBuffer, int, int, int, long, int, long, long, long, int, int)} for a
     * DELIVER_MEMFD with {@code HEADERS}: its header block, {@code blockLength} bytes right after the topic in
     * {@code topicBuffer}, goes inline beside the memfd (SPEC.md, "Headers"). A bus that does not carry headers
     * drops the block.
     *
     * @param blockLength bytes of the header block after the topic; 0 for none.
     */
    default void deliverMemfdFromLan(
        DirectBuffer topicBuffer, int topicIndex, int topicLength, int blockLength, int memfd, long payloadSize,
        int sourceNode, long publisherId, long sequence, long timestampNs, int uid, int pid)
    {
        deliverMemfdFromLan(topicBuffer, topicIndex, topicLength, memfd, payloadSize, sourceNode, publisherId, sequence,
            timestampNs, uid, pid);
    }

    /**
     * A request from another node (SPEC.md, "Requests across the LAN"): delivers it to the local subscriptions
     * matching its topic, and sends their first REPLY back as a LAN_REPLY naming {@code replyToken}. A bus without
     * requests drops it.
     *
     * @param replyToken the requester's broker's token (its node id in the top 32 bits).
     */
    default void deliverRequestFromLan(
        DirectBuffer buffer, int topicIndex, int topicLength, int payloadLength, int sourceNode, long publisherId,
        long sequence, long timestampNs, int uid, int pid, long replyToken, int headerFlag)
    {
    }

    /**
     * A request from another node on a topic this broker does not share: nobody here answers it (a LAN_REPLY
     * {@code NO_RESPONDERS} tells its broker so). A bus without requests drops it.
     */
    default void requestNotSharedFromLan(long replyToken)
    {
    }

    /**
     * A LAN_REPLY for this node saying no reply will come from {@code replierNode} (a LanReplyFrame flag). A bus
     * without requests drops it.
     */
    default void noneFromLan(long replyToken, int replierNode, int flag)
    {
    }

    /**
     * A LAN_REPLY for this node: ends the request its token names, as a local REPLY would. A bus without requests
     * drops it.
     */
    default void replyFromLan(
        long replyToken, int replierNode, int replierUid, int replierPid, long timestampNs, DirectBuffer payload,
        int payloadIndex, int payloadLength, int headerFlag)
    {
    }

    /**
     * Sends a GAP to every local subscription whose pattern can match a shared topic.
     *
     * @param sourceNode node the messages came from.
     * @param count      messages lost, 0 if unknown.
     * @param reason     a {@link io.seqbus.wire.GapReason}.
     * @return subscriptions told.
     */
    int gapToSharedSubscriptions(int sourceNode, long count, int reason);

    /**
     * @return true while local subscribers are full: the bridge then reads nothing from the LAN, so Aeron's
     * flow control holds the senders back, as a full subscriber holds local publishers back.
     */
    boolean isFull();

    /**
     * Watches one of the embedded media driver's UDP sockets in the agent's epoll: a datagram on it ends the
     * agent's wait, and the agent's next duty cycle runs the driver's, which reads it. Called where the driver's
     * duty cycle runs: the agent's thread, or the one building the agent while the bridge starts.
     *
     * @param fd the socket, open.
     * @return false when it cannot (the bridge then looks every millisecond).
     */
    default boolean watchDriverSocket(int fd)
    {
        return false;
    }

    /**
     * Stops watching a driver socket, before the driver closes it.
     *
     * @param fd a socket {@link #watchDriverSocket} watched.
     */
    default void unwatchDriverSocket(int fd)
    {
    }
}

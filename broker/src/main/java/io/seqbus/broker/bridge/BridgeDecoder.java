package io.seqbus.broker.bridge;

import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.seqbus.broker.log.Log;
import io.seqbus.wire.AnnounceFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverMemfdFrame;
import io.seqbus.wire.DeliveryFlyweight;
import io.seqbus.wire.FragmentFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.NodeFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.Topics;
import org.agrona.DirectBuffer;
import org.agrona.collections.LongHashSet;

/**
 * The incoming side of the bridge: one whole LAN datagram (Aeron message) at a time. With a shared key, its
 * AUTH tag is verified before anything else is read; a datagram without a valid one is dropped and counted,
 * and so is one with an AUTH frame when this broker has no key (a mixed configuration fails on both sides,
 * loudly). Then it is checked whole (framing, NODE first, every DELIVER's subscription id, source node and
 * topic), so a bad datagram takes no effect; ignores this broker's own datagrams looped back; lets the
 * {@link GapDetector} check the bridge sequence; then delivers each message on a shared topic to local
 * subscribers with its origin unchanged, hands DELIVER_MEMFD and FRAGMENT frames to the {@link PayloadAssembler},
 * and records announcements. Stops the poll while local subscribers are full. A dropped datagram's messages count as lost when the sender's next one shows the sequence jump.
 */
final class BridgeDecoder implements ControlledFragmentHandler
{
    private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.ON_LAN);
    private final NodeFrame node = new NodeFrame();
    private final DeliverFrame deliver = new DeliverFrame();
    private final DeliverMemfdFrame deliverMemfd = new DeliverMemfdFrame();
    private final io.seqbus.wire.DeliverRequestFrame deliverRequest = new io.seqbus.wire.DeliverRequestFrame();
    private final io.seqbus.wire.LanReplyFrame lanReply = new io.seqbus.wire.LanReplyFrame();
    private final FragmentFrame fragment = new FragmentFrame();
    private final AnnounceFrame announce = new AnnounceFrame();
    private final io.seqbus.wire.GroupsFrame groupsFrame = new io.seqbus.wire.GroupsFrame();
    private final java.util.ArrayList<io.seqbus.wire.GroupsFrame.Entry> groupEntries = new java.util.ArrayList<>();
    private final LongHashSet collisionsReported = new LongHashSet();
    private final int ownNodeId;
    private final long ownInstanceId;
    private final LocalBus local;
    private final SharedTopics shared;
    private final PeerTable peers;
    private final GapDetector gaps;
    private final PayloadAssembler payloads;
    private final BridgeCounters counters;
    private final LanAuthenticator authenticator;
    private long nowMs;
    private long messagesIn;
    private long bytesIn;

    BridgeDecoder(
        final int ownNodeId, final long ownInstanceId, final LocalBus local, final SharedTopics shared,
        final PeerTable peers, final GapDetector gaps, final PayloadAssembler payloads, final BridgeCounters counters,
        final LanAuthenticator authenticator)
    {
        this.authenticator = authenticator;
        this.ownNodeId = ownNodeId;
        this.ownInstanceId = ownInstanceId;
        this.local = local;
        this.shared = shared;
        this.peers = peers;
        this.gaps = gaps;
        this.payloads = payloads;
        this.counters = counters;
    }

    long nowMs()
    {
        return nowMs;
    }

    void nowMs(final long nowMs)
    {
        this.nowMs = nowMs;
    }

    long messagesIn()
    {
        return messagesIn;
    }

    long bytesIn()
    {
        return bytesIn;
    }

    @Override
    public Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (authenticator != null && !authenticator.verify(buffer, offset, length))
        {
            return unauthenticated("LAN datagram refused: no AUTH frame with a valid tag for this broker's key " +
                "(a host without the key, or a broker with another one)");
        }
        if (validator.validate(buffer, offset, length) != 0)
        {
            return invalid("LAN datagram refused: " + validator.errorReason());
        }
        if (authenticator == null && Protocol.frameType(buffer, validator.lastFrameOffset()) == FrameType.AUTH)
        {
            return unauthenticated("LAN datagram refused: it is signed (AUTH frame) and this broker has no key; " +
                "give every broker of the LAN the same lan.key_file, or none");
        }
        node.wrap(buffer, offset);
        final int nodeId = node.nodeId();
        final long instanceId = node.instanceId();
        if (nodeId == ownNodeId)
        {
            if (instanceId == ownInstanceId)
            {
                counters.increment(BridgeCounters.LOOPED_BACK);
            }
            else
            {
                counters.increment(BridgeCounters.NODE_ID_COLLISIONS);
                if (collisionsReported.add(instanceId))
                {
                    Log.error("bridge: another broker uses this broker's node id " + Integer.toHexString(nodeId) +
                        ": give it a different --node-name; its messages are ignored here");
                }
            }
            return Action.CONTINUE;
        }

        final int end = offset + length;
        int delivers = 0;
        for (int at = offset + NodeFrame.LENGTH; at < end; at += Protocol.frameLength(buffer, at))
        {
            final int type = Protocol.frameType(buffer, at);
            if (type == FrameType.DELIVER || type == FrameType.DELIVER_MEMFD || type == FrameType.DELIVER_REQUEST)
            {
                final DeliveryFlyweight d = type == FrameType.DELIVER ? deliver :
                    type == FrameType.DELIVER_MEMFD ? deliverMemfd : deliverRequest;
                d.wrap(buffer, at);
                if (d.subscriptionId() != 0 || d.sourceNode() != nodeId ||
                    !Topics.isValidTopic(buffer, d.topicIndex(), d.topicLength()))
                {
                    return invalid("LAN DELIVER refused: subscription id not 0, source node not the sender's, " +
                        "or invalid topic");
                }
                delivers++;
            }
        }

        final PeerTable.Entry entry = peers.onNode(nodeId, instanceId, header.sessionId(), nowMs);
        if (entry == null)
        {
            return invalid("LAN datagram refused: an instance id seen with another node id");
        }
        if (peers.replaced() != null)
        {
            payloads.onSenderGone(peers.replaced());
            gaps.onReplaced(peers.replaced());
        }
        counters.increment(BridgeCounters.DATAGRAMS_IN);
        int skip = gaps.onDatagram(entry, node.sequence(), delivers);

        // Any message of this sender ends its memfd payload in progress: the fragments it still lacked are lost.
        if (delivers > 0)
        {
            payloads.abandon(entry);
        }
        long bridgeSequence = node.sequence();
        for (int at = offset + NodeFrame.LENGTH; at < end; at += Protocol.frameLength(buffer, at))
        {
            final int type = Protocol.frameType(buffer, at);
            if (type == FrameType.DELIVER || type == FrameType.DELIVER_MEMFD)
            {
                final long messageSequence = bridgeSequence++;
                if (skip > 0)
                {
                    skip--;
                    continue;
                }
                final DeliveryFlyweight d = type == FrameType.DELIVER ? deliver : deliverMemfd;
                d.wrap(buffer, at);
                final int topicIndex = d.topicIndex();
                final int topicLength = d.topicLength();
                if (!shared.matches(buffer, topicIndex, topicLength))
                {
                    counters.increment(BridgeCounters.MESSAGES_FILTERED);
                    continue;
                }
                if (type == FrameType.DELIVER)
                {
                    final int payloadLength = deliver.payloadLength();
                    // The HEADERS flag crosses as it came (SPEC.md, "Headers"); framing checked the block.
                    local.deliverFromLan(buffer, topicIndex, topicLength, payloadLength, nodeId, deliver.publisherId(),
                        deliver.sequence(), deliver.timestampNs(), deliver.publisherUid(), deliver.publisherPid(),
                        buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS);
                    delivered(entry, payloadLength);
                }
                else
                {
                    delivered(entry, payloads.onStart(entry, deliverMemfd, messageSequence));
                }
            }
            else if (type == FrameType.DELIVER_REQUEST)
            {
                // Numbered as a DELIVER (a lost one is a gap); its replies come back as LAN_REPLY.
                if (skip > 0)
                {
                    skip--;
                    bridgeSequence++;
                    continue;
                }
                bridgeSequence++;
                deliverRequest.wrap(buffer, at);
                if (!shared.matches(buffer, deliverRequest.topicIndex(), deliverRequest.topicLength()))
                {
                    counters.increment(BridgeCounters.MESSAGES_FILTERED);
                    local.requestNotSharedFromLan(deliverRequest.replyToken());
                    continue;
                }
                local.deliverRequestFromLan(buffer, deliverRequest.topicIndex(), deliverRequest.topicLength(),
                    deliverRequest.payloadLength(), nodeId, deliverRequest.publisherId(), deliverRequest.sequence(),
                    deliverRequest.timestampNs(), deliverRequest.publisherUid(), deliverRequest.publisherPid(),
                    deliverRequest.replyToken(), buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS);
                delivered(entry, deliverRequest.payloadLength());
            }
            else if (type == FrameType.LAN_REPLY)
            {
                lanReply.wrap(buffer, at);
                if (lanReply.targetNode() == ownNodeId && lanReply.replierNode() == nodeId && lanReply.noneFlag() != 0)
                {
                    local.noneFromLan(lanReply.replyToken(), nodeId, lanReply.noneFlag());
                }
                else if (lanReply.targetNode() == ownNodeId && lanReply.replierNode() == nodeId)
                {
                    local.replyFromLan(lanReply.replyToken(), nodeId, lanReply.replierUid(), lanReply.replierPid(),
                        lanReply.timestampNs(), buffer, lanReply.payloadIndex(), lanReply.payloadLength(),
                        buffer.getByte(at + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS);
                }
            }
            else if (type == FrameType.FRAGMENT)
            {
                fragment.wrap(buffer, at);
                delivered(entry, payloads.onFragment(entry, fragment, node.sequence()));
            }
            else if (type == FrameType.GROUPS)
            {
                groupsFrame.wrap(buffer, at);
                groupEntries.clear();
                groupsFrame.entries(groupEntries);
                peers.onGroups(entry, groupEntries, nowMs);
            }
            else if (type == FrameType.ANNOUNCE)
            {
                announce.wrap(buffer, at);
                peers.onAnnounce(entry, announce.nodeName(), announce.startTimeMs(), announce.messagesOut(),
                    announce.messagesIn(), announce.state() == AnnounceFrame.STATE_LEAVING);
            }
        }
        counters.set(BridgeCounters.MESSAGES_IN, messagesIn);
        counters.set(BridgeCounters.BYTES_IN, bytesIn);
        return local.isFull() ? Action.BREAK : Action.CONTINUE;
    }

    private void delivered(final PeerTable.Entry entry, final long payloadBytes)
    {
        if (payloadBytes >= 0)
        {
            entry.messagesIn++;
            entry.bytesIn += payloadBytes;
            messagesIn++;
            bytesIn += payloadBytes;
        }
    }

    private Action unauthenticated(final String why)
    {
        if (counters.get(BridgeCounters.UNAUTHENTICATED_DATAGRAMS) == 0)
        {
            Log.warn("bridge: " + why + " (logged once; counted in unauthenticated datagrams)");
        }
        counters.increment(BridgeCounters.UNAUTHENTICATED_DATAGRAMS);
        return Action.CONTINUE;
    }

    private Action invalid(final String why)
    {
        if (counters.get(BridgeCounters.INVALID_DATAGRAMS) == 0)
        {
            Log.warn("bridge: " + why + " (logged once; counted in invalid datagrams)");
        }
        counters.increment(BridgeCounters.INVALID_DATAGRAMS);
        return Action.CONTINUE;
    }
}

package io.seqbus.wire;

import java.util.Arrays;
import java.util.HexFormat;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Plain value copies of every frame type, so tests can compare "what was encoded" with "what
 * the flyweights read back" with {@code equals}. Each record encodes itself with the frame's
 * static encoder; {@link #decode} reads any frame back with the flyweights.
 */
final class WireModel
{
    private WireModel()
    {
    }

    /** A frame as values. */
    interface Frame
    {
        /**
         * @param buffer to write into.
         * @param offset of the frame.
         * @return the frame length.
         */
        int encode(MutableDirectBuffer buffer, int offset);

        /** @return the frame's type code. */
        int type();
    }

    /** Bytes with value equality, for payloads. */
    record Bytes(byte[] value)
    {
        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Bytes && Arrays.equals(value, ((Bytes)o).value);
        }

        @Override
        public int hashCode()
        {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString()
        {
            return value.length <= 32 ? HexFormat.of().formatHex(value) : value.length + " bytes";
        }
    }

    record Hello(int minVersion, int maxVersion, String name) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return HelloFrame.encode(buffer, offset, minVersion, maxVersion, name);
        }

        public int type()
        {
            return FrameType.HELLO;
        }
    }

    record HelloSession(int minVersion, int maxVersion, String name, long sessionId, long nextSequence)
        implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return HelloFrame.encode(buffer, offset, minVersion, maxVersion, name, sessionId, nextSequence);
        }

        public int type()
        {
            return FrameType.HELLO;
        }
    }

    record Welcome(int version, int maxPayload, int maxDatagram, int nodeId, long publisherId, String nodeName)
        implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return WelcomeFrame.encode(buffer, offset, version, maxPayload, maxDatagram, nodeId, publisherId, nodeName);
        }

        public int type()
        {
            return FrameType.WELCOME;
        }
    }

    /** WELCOME with the descriptor-limits trailer, for a HELLO that set DESCRIPTORS. */
    record WelcomeDescriptors(Welcome welcome, int maxDescriptorsPerMessage, int maxDescriptorsPerDatagram,
        long maxMemfdSize) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            welcome.encode(buffer, offset);
            return WelcomeFrame.appendDescriptorLimits(
                buffer, offset, maxDescriptorsPerMessage, maxDescriptorsPerDatagram, maxMemfdSize);
        }

        public int type()
        {
            return FrameType.WELCOME;
        }
    }

    /** A WELCOME (plain or with descriptor limits) with the service limits after it (issue 19). */
    record WelcomeServices(Frame welcome, int maxHeaderBytes, int maxHeaders, int maxRequestTimeoutMs) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            welcome.encode(buffer, offset);
            return WelcomeFrame.appendServiceLimits(buffer, offset, maxHeaderBytes, maxHeaders, maxRequestTimeoutMs);
        }

        public int type()
        {
            return FrameType.WELCOME;
        }
    }

    /** The descriptor fields PUBLISH_FDS and DELIVER_FDS share. */
    record Fds(int fdCount, int fdFlags, long payloadSize)
    {
    }

    record PublishFds(String topic, Fds fds, Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final UnsafeBuffer t = new UnsafeBuffer(topic.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            final UnsafeBuffer p = new UnsafeBuffer(payload.value());
            return PublishFdsFrame.encode(buffer, offset, t, 0, t.capacity(), fds.fdCount(), fds.fdFlags(),
                fds.payloadSize(), p, 0, p.capacity());
        }

        public int type()
        {
            return FrameType.PUBLISH_FDS;
        }
    }

    record DeliverFds(int subscriptionId, Origin origin, Fds fds, String topic, Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final byte[] source = new byte[topicBytes.length + payload.value().length];
            System.arraycopy(topicBytes, 0, source, 0, topicBytes.length);
            System.arraycopy(payload.value(), 0, source, topicBytes.length, payload.value().length);
            return DeliverFdsFrame.encode(
                buffer, offset, subscriptionId, origin.sourceNode(), origin.publisherId(), origin.sequence(),
                origin.timestampNs(), origin.uid(), origin.pid(), fds.fdCount(), fds.fdFlags(), fds.payloadSize(),
                new UnsafeBuffer(source), 0, topicBytes.length, payload.value().length);
        }

        public int type()
        {
            return FrameType.DELIVER_FDS;
        }
    }

    record Subscribe(int subscriptionId, int policy, int maxQueueBytes, String pattern) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return SubscribeFrame.encode(buffer, offset, subscriptionId, policy, maxQueueBytes, pattern);
        }

        public int type()
        {
            return FrameType.SUBSCRIBE;
        }
    }

    record SubscribeGroup(int subscriptionId, int policy, int maxQueueBytes, String pattern, String group)
        implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return SubscribeFrame.encode(buffer, offset, subscriptionId, policy, maxQueueBytes, pattern, group);
        }

        public int type()
        {
            return FrameType.SUBSCRIBE;
        }
    }

    record Unsubscribe(int subscriptionId) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return UnsubscribeFrame.encode(buffer, offset, subscriptionId);
        }

        public int type()
        {
            return FrameType.UNSUBSCRIBE;
        }
    }

    record Publish(String topic, Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final UnsafeBuffer p = new UnsafeBuffer(payload.value());
            return PublishFrame.encode(buffer, offset, topic, p, 0, p.capacity());
        }

        public int type()
        {
            return FrameType.PUBLISH;
        }
    }

    /** The source fields of a DELIVER, split out because combinators take at most eight values. */
    record Origin(int sourceNode, long publisherId, long sequence, long timestampNs, int uid, int pid)
    {
    }

    record Deliver(int subscriptionId, Origin origin, String topic, Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            // DELIVER copies topic and payload from one run of bytes, as laid out in a PUBLISH.
            final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final byte[] source = new byte[topicBytes.length + payload.value().length];
            System.arraycopy(topicBytes, 0, source, 0, topicBytes.length);
            System.arraycopy(payload.value(), 0, source, topicBytes.length, payload.value().length);
            return DeliverFrame.encode(
                buffer, offset, subscriptionId, origin.sourceNode(), origin.publisherId(), origin.sequence(),
                origin.timestampNs(), origin.uid(), origin.pid(),
                new UnsafeBuffer(source), 0, topicBytes.length, payload.value().length);
        }

        public int type()
        {
            return FrameType.DELIVER;
        }
    }

    /** A DELIVER_RUN: origin.sequence() is the first sequence; one payload per message. */
    record DeliverRun(int subscriptionId, Origin origin, String topic, java.util.List<Bytes> payloads) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final byte[] first = payloads.get(0).value();
            final byte[] source = new byte[topicBytes.length + first.length];
            System.arraycopy(topicBytes, 0, source, 0, topicBytes.length);
            System.arraycopy(first, 0, source, topicBytes.length, first.length);
            int length = DeliverRunFrame.encode(
                buffer, offset, subscriptionId, origin.sourceNode(), origin.publisherId(), origin.sequence(),
                origin.timestampNs(), origin.uid(), origin.pid(),
                new UnsafeBuffer(source), 0, topicBytes.length, first.length);
            for (int i = 1; i < payloads.size(); i++)
            {
                final byte[] p = payloads.get(i).value();
                length += DeliverRunFrame.append(buffer, offset, new UnsafeBuffer(p), 0, p.length);
            }
            return length;
        }

        public int type()
        {
            return FrameType.DELIVER_RUN;
        }
    }

    record Gap(int subscriptionId, int sourceNode, long publisherId, long fromSequence, long count, int reason)
        implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return GapFrame.encode(buffer, offset, subscriptionId, sourceNode, publisherId, fromSequence, count, reason);
        }

        public int type()
        {
            return FrameType.GAP;
        }
    }

    /**
     * ERROR as values (not named Error, which would hide java.lang.Error); {@code fatal} is not an
     * input of the encoder, it follows from the code.
     */
    record Err(int code, boolean fatal, int ref, String reason) implements Frame
    {
        static Err of(final int code, final int ref, final String reason)
        {
            return new Err(code, ErrorCode.isFatal(code), ref, reason);
        }

        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return ErrorFrame.encode(buffer, offset, code, ref, reason);
        }

        public int type()
        {
            return FrameType.ERROR;
        }
    }

    /** PING or PONG. */
    record Ping(int type, long token) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return PingFrame.encode(buffer, offset, type, token);
        }
    }

    /** SHM_READY: the broker's offer of rings (its 3 descriptors travel beside it). */
    record ShmReady(int toClientCapacity, int fromClientCapacity, long size) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return ShmReadyFrame.encode(buffer, offset, toClientCapacity, fromClientCapacity, size);
        }

        public int type()
        {
            return FrameType.SHM_READY;
        }
    }

    /** SHM_ATTACH: the client's last frame on the socket. */
    record ShmAttach() implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return ShmAttachFrame.encode(buffer, offset);
        }

        public int type()
        {
            return FrameType.SHM_ATTACH;
        }
    }

    /** SHM_FDS: the descriptors of the sender's next FRAMES_WITH_FDS record. */
    record ShmFds(int fdCount) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return ShmFdsFrame.encode(buffer, offset, fdCount);
        }

        public int type()
        {
            return FrameType.SHM_FDS;
        }
    }

    /** STAT_REQUEST. */
    record StatRequest(int statFlags, int requestId) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return StatRequestFrame.encode(buffer, offset, statFlags, requestId);
        }

        public int type()
        {
            return FrameType.STAT_REQUEST;
        }
    }

    /** STAT_REPLY: one chunk of the document. */
    record StatReply(int requestId, int totalLength, int chunkOffset, Bytes chunk) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final byte[] b = chunk.value();
            return StatReplyFrame.encode(buffer, offset, requestId, totalLength, chunkOffset,
                new org.agrona.concurrent.UnsafeBuffer(b), 0, b.length);
        }

        public int type()
        {
            return FrameType.STAT_REPLY;
        }
    }

    /**
     * Reads one frame with the flyweights.
     *
     * @param buffer holding the frame.
     * @param offset of the frame.
     * @return its values.
     */
    record Node(int nodeId, long instanceId, long sequence) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return NodeFrame.encode(buffer, offset, nodeId, instanceId, sequence);
        }

        public int type()
        {
            return FrameType.NODE;
        }
    }

    record GroupsAnnounced(java.util.List<GroupsFrame.Entry> entries) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return GroupsFrame.encode(buffer, offset, entries);
        }

        public int type()
        {
            return FrameType.GROUPS;
        }
    }

    record Announce(
        long startTimeMs, long messagesOut, long bytesOut, long messagesIn, long bytesIn, int state, String nodeName)
        implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return AnnounceFrame.encode(
                buffer, offset, startTimeMs, messagesOut, bytesOut, messagesIn, bytesIn, state, nodeName);
        }

        public int type()
        {
            return FrameType.ANNOUNCE;
        }
    }

    /** AUTH as it appears on the wire: the tag is whatever the sender computed; checking it needs the key. */
    record Auth(Bytes tag) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final int tagIndex = AuthFrame.encodeHeader(buffer, offset);
            buffer.putBytes(tagIndex, tag.value());
            return AuthFrame.LENGTH;
        }

        public int type()
        {
            return FrameType.AUTH;
        }
    }

    // Requests and replies (issue 19).
    record Request(int requestId, int timeoutMs, String topic, Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return RequestFrame.encode(
                buffer, offset, requestId, timeoutMs, topic, payload.value(), 0, payload.value().length);
        }

        public int type()
        {
            return FrameType.REQUEST;
        }
    }

    record DeliverRequest(int subscriptionId, Origin origin, long replyToken, String topic, Bytes payload)
        implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            final byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final byte[] source = new byte[topicBytes.length + payload.value().length];
            System.arraycopy(topicBytes, 0, source, 0, topicBytes.length);
            System.arraycopy(payload.value(), 0, source, topicBytes.length, payload.value().length);
            return DeliverRequestFrame.encode(
                buffer, offset, subscriptionId, origin.sourceNode(), origin.publisherId(), origin.sequence(),
                origin.timestampNs(), origin.uid(), origin.pid(), replyToken,
                new UnsafeBuffer(source), 0, topicBytes.length, payload.value().length);
        }

        public int type()
        {
            return FrameType.DELIVER_REQUEST;
        }
    }

    record LanReply(int targetNode, long replyToken, int replierNode, int uid, int pid, long timestampNs,
        Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return LanReplyFrame.encode(buffer, offset, targetNode, replyToken, replierNode, uid, pid, timestampNs,
                new org.agrona.concurrent.UnsafeBuffer(payload.value()), 0, payload.value().length);
        }

        public int type()
        {
            return FrameType.LAN_REPLY;
        }
    }

    record Reply(long replyToken, Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            return ReplyFrame.encode(buffer, offset, replyToken, payload.value(), 0, payload.value().length);
        }

        public int type()
        {
            return FrameType.REPLY;
        }
    }

    record Response(int requestId, int status, int replierNode, int replierUid, int replierPid, long timestampNs,
        Bytes payload) implements Frame
    {
        public int encode(final MutableDirectBuffer buffer, final int offset)
        {
            if (status != ResponseFrame.REPLIED)
            {
                return ResponseFrame.encodeFailure(buffer, offset, requestId, status);
            }
            return ResponseFrame.encodeReplied(buffer, offset, requestId, replierNode, replierUid, replierPid,
                timestampNs, new UnsafeBuffer(payload.value()), 0, payload.value().length);
        }

        public int type()
        {
            return FrameType.RESPONSE;
        }
    }

    static Frame decode(final DirectBuffer buffer, final int offset)
    {
        final int type = Protocol.frameType(buffer, offset);
        switch (type)
        {
            case FrameType.HELLO:
            {
                final HelloFrame f = (HelloFrame)new HelloFrame().wrap(buffer, offset);
                return f.hasSession() ?
                    new HelloSession(f.minVersion(), f.maxVersion(), f.name(), f.sessionId(), f.nextSequence()) :
                    new Hello(f.minVersion(), f.maxVersion(), f.name());
            }
            case FrameType.WELCOME:
            {
                final WelcomeFrame f = (WelcomeFrame)new WelcomeFrame().wrap(buffer, offset);
                final Welcome welcome = new Welcome(
                    f.version(), f.maxPayload(), f.maxDatagram(), f.nodeId(), f.publisherId(), f.nodeName());
                final Frame withDescriptors = f.hasDescriptorLimits() ? new WelcomeDescriptors(welcome,
                    f.maxDescriptorsPerMessage(), f.maxDescriptorsPerDatagram(), f.maxMemfdSize()) : welcome;
                return f.hasServiceLimits() ? new WelcomeServices(withDescriptors, f.maxHeaderBytes(), f.maxHeaders(),
                    (int)f.maxRequestTimeoutMs()) : withDescriptors;
            }
            case FrameType.SUBSCRIBE:
            {
                final SubscribeFrame f = (SubscribeFrame)new SubscribeFrame().wrap(buffer, offset);
                if (f.hasGroup())
                {
                    return new SubscribeGroup(f.subscriptionId(), f.policy(), f.maxQueueBytes(), f.pattern(), f.group());
                }
                return new Subscribe(f.subscriptionId(), f.policy(), f.maxQueueBytes(), f.pattern());
            }
            case FrameType.UNSUBSCRIBE:
                return new Unsubscribe(((UnsubscribeFrame)new UnsubscribeFrame().wrap(buffer, offset)).subscriptionId());
            case FrameType.PUBLISH:
            {
                final PublishFrame f = (PublishFrame)new PublishFrame().wrap(buffer, offset);
                return new Publish(f.topic(), bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.DELIVER:
            {
                final DeliverFrame f = (DeliverFrame)new DeliverFrame().wrap(buffer, offset);
                final Origin origin = new Origin(
                    f.sourceNode(), f.publisherId(), f.sequence(), f.timestampNs(), f.publisherUid(), f.publisherPid());
                return new Deliver(
                    f.subscriptionId(), origin, f.topic(), bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.REQUEST:
            {
                final RequestFrame f = (RequestFrame)new RequestFrame().wrap(buffer, offset);
                return new Request(f.requestId(), (int)f.timeoutMs(), f.topic(),
                    bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.DELIVER_REQUEST:
            {
                final DeliverRequestFrame f = (DeliverRequestFrame)new DeliverRequestFrame().wrap(buffer, offset);
                final Origin origin = new Origin(
                    f.sourceNode(), f.publisherId(), f.sequence(), f.timestampNs(), f.publisherUid(), f.publisherPid());
                return new DeliverRequest(f.subscriptionId(), origin, f.replyToken(), f.topic(),
                    bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.LAN_REPLY:
            {
                final LanReplyFrame f = (LanReplyFrame)new LanReplyFrame().wrap(buffer, offset);
                return new LanReply(f.targetNode(), f.replyToken(), f.replierNode(), f.replierUid(), f.replierPid(),
                    f.timestampNs(), bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.REPLY:
            {
                final ReplyFrame f = (ReplyFrame)new ReplyFrame().wrap(buffer, offset);
                return new Reply(f.replyToken(), bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.RESPONSE:
            {
                final ResponseFrame f = (ResponseFrame)new ResponseFrame().wrap(buffer, offset);
                return new Response(f.requestId(), f.status(), f.replierNode(), f.replierUid(), f.replierPid(),
                    f.timestampNs(), bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.PUBLISH_FDS:
            {
                final PublishFdsFrame f = (PublishFdsFrame)new PublishFdsFrame().wrap(buffer, offset);
                return new PublishFds(f.topic(), new Fds(f.fdCount(), f.fdFlags(), f.payloadSize()),
                    bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.DELIVER_FDS:
            {
                final DeliverFdsFrame f = (DeliverFdsFrame)new DeliverFdsFrame().wrap(buffer, offset);
                final Origin origin = new Origin(
                    f.sourceNode(), f.publisherId(), f.sequence(), f.timestampNs(), f.publisherUid(), f.publisherPid());
                return new DeliverFds(f.subscriptionId(), origin, new Fds(f.fdCount(), f.fdFlags(), f.payloadSize()),
                    f.topic(), bytes(buffer, f.payloadIndex(), f.payloadLength()));
            }
            case FrameType.DELIVER_RUN:
            {
                final DeliverRunFrame f = (DeliverRunFrame)new DeliverRunFrame().wrap(buffer, offset);
                final Origin origin = new Origin(f.sourceNode(), f.publisherId(), f.firstSequence(), f.timestampNs(),
                    f.publisherUid(), f.publisherPid());
                final java.util.List<Bytes> payloads = new java.util.ArrayList<>();
                int entry = f.firstEntryIndex();
                for (int i = 0; i < f.count(); i++)
                {
                    final int n = buffer.getInt(entry, Protocol.BYTE_ORDER);
                    payloads.add(bytes(buffer, entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, n));
                    entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + n;
                }
                return new DeliverRun(f.subscriptionId(), origin, f.topic(), payloads);
            }
            case FrameType.GAP:
            {
                final GapFrame f = (GapFrame)new GapFrame().wrap(buffer, offset);
                return new Gap(
                    f.subscriptionId(), f.sourceNode(), f.publisherId(), f.fromSequence(), f.count(), f.reason());
            }
            case FrameType.ERROR:
            {
                final ErrorFrame f = (ErrorFrame)new ErrorFrame().wrap(buffer, offset);
                return new Err(f.code(), f.fatal(), f.ref(), f.reason());
            }
            case FrameType.PING:
            case FrameType.PONG:
                return new Ping(type, ((PingFrame)new PingFrame().wrap(buffer, offset)).token());
            case FrameType.SHM_READY:
            {
                final ShmReadyFrame f = (ShmReadyFrame)new ShmReadyFrame().wrap(buffer, offset);
                return new ShmReady(f.toClientCapacity(), f.fromClientCapacity(), f.size());
            }
            case FrameType.SHM_ATTACH:
                return new ShmAttach();
            case FrameType.SHM_FDS:
                return new ShmFds(((ShmFdsFrame)new ShmFdsFrame().wrap(buffer, offset)).fdCount());
            case FrameType.STAT_REQUEST:
            {
                final StatRequestFrame f = (StatRequestFrame)new StatRequestFrame().wrap(buffer, offset);
                return new StatRequest(f.statFlags(), f.requestId());
            }
            case FrameType.STAT_REPLY:
            {
                final StatReplyFrame f = (StatReplyFrame)new StatReplyFrame().wrap(buffer, offset);
                return new StatReply(f.requestId(), f.totalLength(), f.chunkOffset(),
                    bytes(buffer, f.chunkIndex(), f.chunkLength()));
            }
            case FrameType.NODE:
            {
                final NodeFrame f = (NodeFrame)new NodeFrame().wrap(buffer, offset);
                return new Node(f.nodeId(), f.instanceId(), f.sequence());
            }
            case FrameType.GROUPS:
            {
                final java.util.List<GroupsFrame.Entry> entries = new java.util.ArrayList<>();
                ((GroupsFrame)new GroupsFrame().wrap(buffer, offset)).entries(entries);
                return new GroupsAnnounced(entries);
            }
            case FrameType.ANNOUNCE:
            {
                final AnnounceFrame f = (AnnounceFrame)new AnnounceFrame().wrap(buffer, offset);
                return new Announce(f.startTimeMs(), f.messagesOut(), f.bytesOut(), f.messagesIn(), f.bytesIn(),
                    f.state(), f.nodeName());
            }
            case FrameType.AUTH:
            {
                final AuthFrame f = (AuthFrame)new AuthFrame().wrap(buffer, offset);
                return new Auth(bytes(buffer, f.tagIndex(), AuthFrame.TAG_LENGTH));
            }
            default:
                throw new IllegalArgumentException("unknown frame type " + type);
        }
    }

    private static Bytes bytes(final DirectBuffer buffer, final int index, final int length)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(index, copy);
        return new Bytes(copy);
    }
}

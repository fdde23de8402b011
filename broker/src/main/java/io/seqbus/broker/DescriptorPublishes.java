package io.seqbus.broker;

import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.DescriptorPool;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.SharedDescriptors;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.stat.TopicRates;
import io.seqbus.sys.LibC;
import io.seqbus.sys.ScmRights;
import io.seqbus.sys.SealedMemfd;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.PublishFdsFrame;
import org.agrona.DirectBuffer;

/**
 * PUBLISH_FDS in: the descriptors a datagram brought, owned here from the receive until each is handed to a
 * {@link SharedDescriptors} or closed, and the checks of SPEC.md "Descriptors" for each frame, in its order:
 * topic and publish rights, fd_count against max_descriptors_per_message, pass_fds for descriptors other than
 * the payload, the LAN rule, the payload memfd's seals and size, max_memfd_size. A refused frame's descriptors
 * are closed at once and it gets no sequence; an accepted one is fanned out, then offered to the LAN bridge.
 * Owned by the agent thread.
 */
final class DescriptorPublishes
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final FanOut fanOut;
    private final DescriptorPool pool;
    private final LanBridge bridge;
    private final TopicRates topicRates;
    private final Replies replies;
    private final PublishRights rights;
    private final HeaderChecks headerChecks;
    private final SealedMemfd sealedMemfd = new SealedMemfd();
    private final PublishFdsFrame frame = new PublishFdsFrame();
    private final int[] fds;
    private final int[] messageFds;
    private int fdCount;
    private int nextFd;
    // What the last refusal() found: the code of its refusal, and whether the topic is shared with the LAN.
    private int refusalCode;
    private boolean shared;

    DescriptorPublishes(
        final BrokerContext context, final BrokerCounters counters, final FanOut fanOut, final DescriptorPool pool,
        final LanBridge bridge, final TopicRates topicRates, final Replies replies, final PublishRights rights)
    {
        this.context = context;
        this.counters = counters;
        this.fanOut = fanOut;
        this.pool = pool;
        this.bridge = bridge;
        this.topicRates = topicRates;
        this.replies = replies;
        this.rights = rights;
        this.headerChecks = new HeaderChecks(context, replies);
        this.fds = new int[context.maxDescriptorsPerDatagram()];
        this.messageFds = new int[context.maxDescriptorsPerMessage()];
    }

    /**
     * Takes the descriptors of the datagram just received: from now on this owns them, until {@link #closeRest}.
     *
     * @param received the receive that brought them.
     * @return how many.
     */
    int take(final ScmRights received)
    {
        fdCount = Math.min(received.descriptorCount(), fds.length);
        for (int i = 0; i < fdCount; i++)
        {
            fds[i] = received.descriptor(i);
        }
        nextFd = 0;
        return fdCount;
    }

    /** Closes every descriptor of the datagram no frame took: it was refused, or a frame before them was fatal. */
    void closeRest()
    {
        close(nextFd, fdCount - nextFd);
        nextFd = fdCount;
    }

    /**
     * One PUBLISH_FDS; the validator checked its framing and that the datagram's fd_counts add up.
     *
     * @return false when the connection must close.
     */
    boolean onPublishFds(
        final ClientConnection c, final DirectBuffer buffer, final int at, final long nowNs, final long timestampNs)
    {
        frame.wrap(buffer, at);
        final int first = nextFd;
        final int count = frame.fdCount();
        nextFd += count;
        final int topicIndex = frame.topicIndex();
        final int topicLength = frame.topicLength();
        final int verdict = rights.check(c, buffer, topicIndex, topicLength);
        if (verdict != PublishRights.ALLOWED)
        {
            close(first, count);
            return verdict == PublishRights.REFUSED;
        }
        final String refusal = refusal(c, buffer, topicIndex, topicLength, first, count);
        if (refusal != null)
        {
            close(first, count);
            return replies.reject(c, refusalCode, 0, refusal);
        }
        final int headerFlag = HeaderChecks.headerFlag(buffer, at);
        if (headerFlag != 0)
        {
            final int headers = headerChecks.check(c, buffer, topicIndex + topicLength, frame.payloadLength());
            if (headers != PublishRights.ALLOWED)
            {
                close(first, count);
                return headers == PublishRights.REFUSED;
            }
        }
        final SharedDescriptors held = pool.acquire();
        if (held == null)
        {
            // The reader holds publishers back while fewer than a datagram's worth are free: cannot happen.
            close(first, count);
            return replies.reject(c, ErrorCode.INTERNAL_ERROR, 0, "no room to hold descriptors " +
                "(max_descriptor_messages_held " + context.maxDescriptorMessagesHeld() + ")");
        }
        final boolean memfd = frame.hasMemfdPayload();
        final long payloadSize = memfd ? frame.payloadSize() : 0;
        final int inlineLength = frame.payloadLength();
        System.arraycopy(fds, first, messageFds, 0, count);
        held.hold(messageFds, count, payloadSize);
        if (context.statTopTopics() > 0)
        {
            topicRates.onPublish(buffer, topicIndex, topicLength);
        }
        final long sequence = c.nextSequence();
        counters.increment(BrokerCounters.MESSAGES_PUBLISHED);
        counters.add(BrokerCounters.BYTES_PUBLISHED, inlineLength + payloadSize);
        counters.add(BrokerCounters.DESCRIPTORS_RECEIVED, count);
        c.subscriber().counts().onPublished(inlineLength + payloadSize);
        try
        {
            final int n = fanOut.deliverDescriptors(buffer, topicIndex, topicLength, inlineLength, context.nodeId(),
                c.publisherId(), sequence, timestampNs, c.uid(), c.pid(), held, frame.fdFlags(), headerFlag, nowNs);
            counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
            counters.add(BrokerCounters.BYTES_DELIVERED, n * (inlineLength + payloadSize));
            if (memfd && bridge != null && shared)
            {
                // Before the release below: the last release closes the memfd, and the bridge maps it in the call.
                // Beside a memfd the inline part is the header block alone (SPEC.md, "Headers"): it crosses too.
                bridge.onLocalMemfd(buffer, topicIndex, topicLength, fds[first], payloadSize, context.nodeId(),
                    c.publisherId(), sequence, timestampNs, c.uid(), c.pid(), headerFlag != 0 ? inlineLength : 0);
            }
        }
        finally
        {
            held.release();
        }
        return true;
    }

    /**
     * The checks past the publish rights, in SPEC.md's order.
     *
     * @return the reason of the refusal (its code in {@link #refusalCode}), or null when the frame may go on.
     */
    private String refusal(
        final ClientConnection c, final DirectBuffer buffer, final int topicIndex, final int topicLength,
        final int first, final int count)
    {
        final boolean memfd = frame.hasMemfdPayload();
        final int others = count - (memfd ? 1 : 0);
        shared = bridge != null && bridge.isShared(buffer, topicIndex, topicLength);
        if (count > context.maxDescriptorsPerMessage())
        {
            counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_TOO_MANY);
            refusalCode = ErrorCode.TOO_MANY_DESCRIPTORS;
            return count + " descriptors in one message; max_descriptors_per_message is " +
                context.maxDescriptorsPerMessage();
        }
        if (others > 0 && !c.permissions().mayPassFds(buffer, topicIndex, topicLength))
        {
            counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_DENIED);
            refusalCode = ErrorCode.DESCRIPTORS_DENIED;
            return PublishRights.PUBLISH_REFUSED_PREFIX + buffer.getStringWithoutLengthUtf8(topicIndex, topicLength) +
                "' refused: uid " + c.uid() + " gid " + c.gid() + " may not pass descriptors there (" +
                c.permissions().label() + ": pass_fds " + c.permissions().passFdsPatterns() + "); plain publishes " +
                "and memfd payloads are not concerned";
        }
        if (!memfd && frame.payloadLength() > context.maxPayload())
        {
            refusalCode = ErrorCode.PAYLOAD_TOO_LARGE;
            return "payload of " + frame.payloadLength() + " bytes is over max_payload " + context.maxPayload();
        }
        if (shared && (others > 0 || frame.payloadSize() > context.lanMaxPayload()))
        {
            counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_LAN);
            refusalCode = ErrorCode.NOT_ON_LAN;
            return "topic '" + buffer.getStringWithoutLengthUtf8(topicIndex, topicLength) + "' is shared with the " +
                "LAN: " + (others > 0 ? others + " descriptors besides a payload cannot cross hosts" :
                "a memfd payload of " + frame.payloadSize() + " bytes is over lan.max_payload " +
                context.lanMaxPayload());
        }
        if (memfd)
        {
            return payloadRefusal(fds[first], frame.payloadSize());
        }
        return null;
    }

    private String payloadRefusal(final int fd, final long payloadSize)
    {
        final SealedMemfd.Verdict verdict = sealedMemfd.check(fd, payloadSize);
        refusalCode = ErrorCode.BAD_DESCRIPTOR;
        switch (verdict)
        {
            case SEALED:
                break;
            case NOT_A_MEMFD:
                counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_NOT_MEMFD);
                return "the payload descriptor is not a memfd (F_GET_SEALS refused or not a regular file): only a " +
                    "memfd can be sealed";
            case NOT_READABLE:
                counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_NOT_MEMFD);
                return "the payload memfd is not open for reading: subscribers could not map it";
            case NOT_SEALED:
                counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_NOT_SEALED);
                return "the payload memfd has seals " + seals(sealedMemfd.lastSeals()) + "; it needs all four " +
                    "(write, shrink, grow, seal)";
            case SIZE_MISMATCH:
            default:
                counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_SIZE);
                return "the payload memfd has " + sealedMemfd.lastSize() + " bytes, the frame's payload_size says " +
                    payloadSize + " (seals " + seals(sealedMemfd.lastSeals()) + ")";
        }
        if (payloadSize > context.maxMemfdSize())
        {
            counters.increment(BrokerCounters.DESCRIPTOR_REFUSALS_TOO_LARGE);
            refusalCode = ErrorCode.PAYLOAD_TOO_LARGE;
            return "memfd payload of " + payloadSize + " bytes is over max_memfd_size " + context.maxMemfdSize();
        }
        return null;
    }

    private static String seals(final int seals)
    {
        if (seals <= 0)
        {
            return "none";
        }
        final StringBuilder s = new StringBuilder();
        append(s, seals, LibC.F_SEAL_WRITE, "write");
        append(s, seals, LibC.F_SEAL_SHRINK, "shrink");
        append(s, seals, LibC.F_SEAL_GROW, "grow");
        append(s, seals, LibC.F_SEAL_SEAL, "seal");
        return s.toString();
    }

    private static void append(final StringBuilder s, final int seals, final int seal, final String name)
    {
        if ((seals & seal) != 0)
        {
            s.append(s.length() == 0 ? "" : "+").append(name);
        }
    }

    private void close(final int from, final int count)
    {
        for (int i = from, end = Math.min(from + count, fdCount); i < end; i++)
        {
            LibC.close(fds[i]);
        }
    }
}

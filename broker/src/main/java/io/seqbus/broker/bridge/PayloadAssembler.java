package io.seqbus.broker.bridge;

import io.seqbus.broker.log.Log;
import io.seqbus.sys.Memfd;
import io.seqbus.wire.DeliverMemfdFrame;
import io.seqbus.wire.FragmentFrame;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The receiving side of memfd payloads on the LAN: per sender instance, at most one payload in progress, written
 * fragment by fragment (pwrite) into a new memfd of the announced size, sealed when the last byte is in and handed
 * to the broker ({@link LocalBus#deliverMemfdFromLan}), which owns it from then on.
 * <p>
 * A payload is lost, and counted as one lost message with a {@code BRIDGE_LOSS} GAP of 1, when its fragments do not
 * continue it exactly (a fragment missing, a new message from its sender first, its sender gone or restarted), when
 * it is over this broker's {@code lan.max_payload}, or when no memfd can be made. Its memfd is closed at once, so at
 * most {@code lan.max_payload} bytes per sender are ever in progress. Fragments of a payload not in progress (lost,
 * refused, or on a topic this broker does not share) are dropped. Agent thread only.
 */
final class PayloadAssembler implements AutoCloseable
{
    /** Heap fragments (Aeron's reassembly buffer may be on the heap) reach pwrite through this. */
    private static final int BOUNCE_BYTES = 1 << 20;

    /** One sender's payload in progress. */
    private static final class InProgress
    {
        // The DELIVER_MEMFD, its header block included (SPEC.md, "Headers"): framing bounds the block to a u16.
        final UnsafeBuffer header = new UnsafeBuffer(ByteBuffer.allocateDirect(
            DeliverMemfdFrame.TOPIC_OFFSET + Protocol.MAX_TOPIC_LENGTH + HeaderBlock.MAX_BLOCK_LENGTH));
        final DeliverMemfdFrame frame = new DeliverMemfdFrame();
        Memfd memfd;
        long bridgeSequence;
        long received;
    }

    private final LocalBus local;
    private final GapDetector gaps;
    private final BridgeCounters counters;
    private final long maxPayload;
    private final Long2ObjectHashMap<InProgress> byInstance = new Long2ObjectHashMap<>();
    private final UnsafeBuffer bounce = new UnsafeBuffer(ByteBuffer.allocateDirect(BOUNCE_BYTES));
    private boolean oversizeReported;
    private long payloadsIn;

    PayloadAssembler(final LocalBus local, final GapDetector gaps, final BridgeCounters counters, final long maxPayload)
    {
        this.local = local;
        this.gaps = gaps;
        this.counters = counters;
        this.maxPayload = maxPayload;
    }

    /**
     * @param entry the sender.
     * @return true while a payload of that sender is in progress.
     */
    boolean inProgress(final PeerTable.Entry entry)
    {
        final InProgress p = byInstance.get(entry.instanceId);
        return p != null && p.memfd != null;
    }

    /**
     * A DELIVER_MEMFD on a shared topic, not a duplicate: begins its payload (any unfinished one of that sender is
     * lost first). A payload of 0 bytes is delivered at once.
     *
     * @param entry          the sender.
     * @param frame          wrapped over the DELIVER_MEMFD.
     * @param bridgeSequence its bridge sequence: the fragments' datagrams carry the next one.
     * @return bytes delivered (a payload of 0 bytes), or -1 when nothing was.
     */
    long onStart(final PeerTable.Entry entry, final DeliverMemfdFrame frame, final long bridgeSequence)
    {
        abandon(entry);
        final long size = frame.payloadSize();
        if (size < 0 || size > maxPayload)
        {
            if (!oversizeReported)
            {
                oversizeReported = true;
                Log.warn("bridge: peer " + entry.label() + " sent a memfd payload of " + Long.toUnsignedString(size) +
                    " bytes, over this broker's lan.max_payload of " + maxPayload + "; dropped and counted as lost " +
                    "(give every broker of the LAN the same lan.max_payload; logged once)");
            }
            lost(entry);
            return -1;
        }
        final Memfd memfd;
        try
        {
            memfd = Memfd.create("seqbus-lan", size);
        }
        catch (final IOException ex)
        {
            Log.warn("bridge: no memfd for a LAN payload of " + size + " bytes: " + ex.getMessage() +
                "; counted as lost");
            lost(entry);
            return -1;
        }
        InProgress p = byInstance.get(entry.instanceId);
        if (p == null)
        {
            p = new InProgress();
            byInstance.put(entry.instanceId, p);
        }
        p.header.putBytes(0, frame.buffer(), frame.offset(), frame.frameLength());
        p.frame.wrap(p.header, 0);
        p.memfd = memfd;
        p.bridgeSequence = bridgeSequence;
        p.received = 0;
        return size == 0 ? complete(entry, p) : -1;
    }

    /**
     * A FRAGMENT: continues its sender's payload in progress, or ends it as lost when it does not fit.
     *
     * @param entry          the sender.
     * @param frame          wrapped over the FRAGMENT.
     * @param bridgeSequence the NODE sequence of its datagram.
     * @return bytes delivered when this was the last fragment, or -1.
     */
    long onFragment(final PeerTable.Entry entry, final FragmentFrame frame, final long bridgeSequence)
    {
        final InProgress p = byInstance.get(entry.instanceId);
        if (p == null || p.memfd == null)
        {
            counters.increment(BridgeCounters.FRAGMENTS_DROPPED);
            return -1;
        }
        final long at = frame.payloadOffset();
        final int length = frame.bytesLength();
        if (bridgeSequence <= p.bridgeSequence || (bridgeSequence == p.bridgeSequence + 1 && at < p.received))
        {
            // A copy of a fragment already written (a replayed datagram): nothing is missing yet.
            counters.increment(BridgeCounters.FRAGMENTS_DROPPED);
            return -1;
        }
        if (bridgeSequence != p.bridgeSequence + 1 || at != p.received || length > p.memfd.size() - at)
        {
            counters.increment(BridgeCounters.FRAGMENTS_DROPPED);
            abandon(entry);
            return -1;
        }
        try
        {
            write(p.memfd, at, frame.buffer(), frame.bytesIndex(), length);
        }
        catch (final IOException ex)
        {
            Log.warn("bridge: writing a LAN payload into its memfd failed: " + ex.getMessage() + "; counted as lost");
            abandon(entry);
            return -1;
        }
        p.received += length;
        return p.received == p.memfd.size() ? complete(entry, p) : -1;
    }

    /**
     * Ends the sender's payload in progress, if any, as lost: its sender sent something else first, went away or
     * restarted.
     *
     * @param entry the sender.
     */
    void abandon(final PeerTable.Entry entry)
    {
        final InProgress p = byInstance.get(entry.instanceId);
        if (p != null && p.memfd != null)
        {
            p.memfd.close();
            p.memfd = null;
            lost(entry);
        }
    }

    /**
     * Forgets a sender that went away: its payload in progress is lost.
     *
     * @param entry the sender.
     */
    void onSenderGone(final PeerTable.Entry entry)
    {
        abandon(entry);
        byInstance.remove(entry.instanceId);
    }

    /**
     * @return memfd payloads delivered so far.
     */
    long payloadsIn()
    {
        return payloadsIn;
    }

    /** Closes every payload in progress (the bridge is closing): nothing is delivered, nothing counted. */
    @Override
    public void close()
    {
        for (final InProgress p : byInstance.values())
        {
            if (p.memfd != null)
            {
                p.memfd.close();
                p.memfd = null;
            }
        }
        byInstance.clear();
    }

    private long complete(final PeerTable.Entry entry, final InProgress p)
    {
        final Memfd memfd = p.memfd;
        p.memfd = null;
        final long size = memfd.size();
        final int fd;
        try
        {
            memfd.seal();
            fd = memfd.release();
        }
        catch (final IOException ex)
        {
            memfd.close();
            Log.warn("bridge: sealing a LAN payload failed: " + ex.getMessage() + "; counted as lost");
            lost(entry);
            return -1;
        }
        final DeliverMemfdFrame f = p.frame;
        final int blockLength = f.frameLength() - DeliverMemfdFrame.TOPIC_OFFSET - f.topicLength();
        local.deliverMemfdFromLan(p.header, f.topicIndex(), f.topicLength(), blockLength, fd, size, entry.nodeId,
            f.publisherId(), f.sequence(), f.timestampNs(), f.publisherUid(), f.publisherPid());
        payloadsIn++;
        counters.set(BridgeCounters.PAYLOADS_IN, payloadsIn);
        return size;
    }

    private void lost(final PeerTable.Entry entry)
    {
        counters.increment(BridgeCounters.PAYLOADS_LOST);
        gaps.onLost(entry, 1);
    }

    private void write(final Memfd memfd, final long at, final DirectBuffer buffer, final int index, final int length)
        throws IOException
    {
        if (buffer.byteArray() == null)
        {
            memfd.write(at, buffer.addressOffset() + index, length);
            return;
        }
        for (int done = 0; done < length; done += BOUNCE_BYTES)
        {
            final int n = Math.min(BOUNCE_BYTES, length - done);
            bounce.putBytes(0, buffer, index + done, n);
            memfd.write(at + done, bounce.addressOffset(), n);
        }
    }
}

package io.seqbus.broker.fanout;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * The drop-oldest policy's scissors: removes the DELIVER, DELIVER_RUN and DELIVER_FDS frames that may be dropped
 * from one queued datagram (releasing a DELIVER_FDS frame's descriptors) and, where the first removed frame of each subscription and publisher stood, writes a GAP
 * that names that publisher and says which of its messages went. A GAP (44 bytes) is smaller than any DELIVER
 * (50 bytes and up), so the datagram only shrinks and everything else keeps its order. One GAP per publisher, not
 * one per subscription with publisher 0, costs no room and lets a client that has just reconnected tell each
 * publisher's drops from the hole its reconnect left (SPEC.md, "What a subscriber can count").
 * Owned by the agent thread; reused, so dropping allocates nothing in steady state.
 */
public final class OldestDropper
{
    /** Says which subscriptions may lose frames and hears of every loss. */
    public interface Policy
    {
        /**
         * @param subscriptionId of a queued DELIVER frame.
         * @return true if the frame may be dropped (its subscription is drop-oldest).
         */
        boolean mayDrop(int subscriptionId);

        /**
         * @param subscriptionId whose messages were dropped.
         * @param messages       how many.
         */
        void onDropped(int subscriptionId, int messages);

        /**
         * @param gaps GAP frames written into one datagram in place of dropped frames.
         */
        void onGapsWritten(int gaps);
    }

    private int[] gapOffsets = new int[8];
    private int[] gapSubscriptions = new int[8];
    private long[] gapCounts = new long[8];
    private int[] gapNodes = new int[8];
    private long[] gapPublishers = new long[8];
    private long[] gapFromSequences = new long[8];
    private int gaps;
    private long descriptorBytesFreed;

    /**
     * Compacts one datagram in place.
     *
     * @param d      the datagram, not yet handed to the kernel.
     * @param policy which frames may go.
     * @return frame bytes freed; the descriptors of dropped DELIVER_FDS frames are released.
     */
    int compact(final Datagram d, final Policy policy)
    {
        final UnsafeBuffer b = d.buffer;
        final int length = d.length;
        gaps = 0;
        descriptorBytesFreed = 0;
        // DELIVER_FDS frames own the datagram's holders in frame order: kept ones keep theirs, in the same order.
        int holderRead = 0;
        int holderWrite = 0;
        int read = 0;
        int write = 0;
        while (read < length)
        {
            final int frameLength = Protocol.frameLength(b, read);
            final int subscriptionId = b.getInt(read + DeliverFrame.SUBSCRIPTION_ID_OFFSET, Protocol.BYTE_ORDER);
            final int type = Protocol.frameType(b, read);
            final boolean fds = type == FrameType.DELIVER_FDS;
            if ((type == FrameType.DELIVER || type == FrameType.DELIVER_RUN || fds) && policy.mayDrop(subscriptionId))
            {
                if (fds)
                {
                    final SharedDescriptors h = d.holders[holderRead++];
                    d.fdCount -= h.count();
                    d.descriptorBytes -= h.payloadBytes();
                    descriptorBytesFreed += h.payloadBytes();
                    h.release();
                }
                // DELIVER and DELIVER_RUN share the layout up to the sequence.
                final int sourceNode = b.getInt(read + DeliverFrame.SOURCE_NODE_OFFSET, Protocol.BYTE_ORDER);
                final long publisherId = b.getLong(read + DeliverFrame.PUBLISHER_ID_OFFSET, Protocol.BYTE_ORDER);
                final long sequence = b.getLong(read + DeliverFrame.SEQUENCE_OFFSET, Protocol.BYTE_ORDER);
                final int messages = type != FrameType.DELIVER_RUN ?
                    1 : b.getInt(read + DeliverRunFrame.COUNT_OFFSET, Protocol.BYTE_ORDER);
                final int g = gapFor(subscriptionId, sourceNode, publisherId);
                if (g < 0)
                {
                    // The GAP takes the place of the first dropped frame of this subscription and publisher.
                    addGap(subscriptionId, write, sourceNode, publisherId, sequence, messages);
                    write += GapFrame.LENGTH;
                }
                else
                {
                    gapCounts[g] += messages;
                }
                policy.onDropped(subscriptionId, messages);
            }
            else
            {
                if (fds)
                {
                    d.holders[holderWrite++] = d.holders[holderRead++];
                }
                if (write != read)
                {
                    b.putBytes(write, b, read, frameLength);
                }
                write += frameLength;
            }
            read += frameLength;
        }
        for (int g = 0; g < gaps; g++)
        {
            GapFrame.encode(b, gapOffsets[g], gapSubscriptions[g], gapNodes[g], gapPublishers[g], gapFromSequences[g],
                gapCounts[g], GapReason.DROPPED_OLDEST);
        }
        if (gaps > 0)
        {
            policy.onGapsWritten(gaps);
        }
        for (int i = holderWrite; i < d.holderCount; i++)
        {
            d.holders[i] = null;
        }
        d.holderCount = holderWrite;
        d.length = write;
        return length - write;
    }

    /** @return memfd payload bytes whose deliveries the last {@link #compact} dropped (not in its result). */
    long descriptorBytesFreed()
    {
        return descriptorBytesFreed;
    }

    private int gapFor(final int subscriptionId, final int sourceNode, final long publisherId)
    {
        for (int g = 0; g < gaps; g++)
        {
            if (gapSubscriptions[g] == subscriptionId && gapPublishers[g] == publisherId && gapNodes[g] == sourceNode)
            {
                return g;
            }
        }
        return -1;
    }

    private void addGap(
        final int subscriptionId, final int offset, final int sourceNode, final long publisherId, final long sequence,
        final int messages)
    {
        if (gaps == gapOffsets.length)
        {
            final int n = gaps * 2;
            gapOffsets = Arrays.copyOf(gapOffsets, n);
            gapSubscriptions = Arrays.copyOf(gapSubscriptions, n);
            gapNodes = Arrays.copyOf(gapNodes, n);
            gapCounts = Arrays.copyOf(gapCounts, n);
            gapPublishers = Arrays.copyOf(gapPublishers, n);
            gapFromSequences = Arrays.copyOf(gapFromSequences, n);
        }
        gapOffsets[gaps] = offset;
        gapSubscriptions[gaps] = subscriptionId;
        gapNodes[gaps] = sourceNode;
        gapCounts[gaps] = messages;
        gapPublishers[gaps] = publisherId;
        gapFromSequences[gaps] = sequence;
        gaps++;
    }
}

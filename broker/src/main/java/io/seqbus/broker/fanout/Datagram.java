package io.seqbus.broker.fanout;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One reusable datagram buffer: frames are written through {@link #buffer}, the kernel reads
 * from {@link #byteBuffer}. Both views cover the same direct memory. A datagram with DELIVER_FDS frames also
 * holds their descriptors, one {@link SharedDescriptors} reference per such frame in frame order, which is the
 * order their descriptors go in its SCM_RIGHTS message.
 */
final class Datagram
{
    final ByteBuffer byteBuffer;
    final UnsafeBuffer buffer;
    int length;
    /** The descriptor messages of its DELIVER_FDS frames, in frame order; the first {@link #holderCount}. */
    SharedDescriptors[] holders;
    int holderCount;
    /** Descriptors of all its holders. */
    int fdCount;
    /** Payload bytes its holders stand for. */
    long descriptorBytes;

    Datagram(final int capacity)
    {
        byteBuffer = ByteBuffer.allocateDirect(capacity);
        buffer = new UnsafeBuffer(byteBuffer);
    }

    /** @return bytes this buffer holds at most. */
    int capacity()
    {
        return byteBuffer.capacity();
    }

    /** Sets the kernel's view to the bytes written so far. */
    ByteBuffer readyToSend()
    {
        byteBuffer.limit(length).position(0);
        return byteBuffer;
    }

    /**
     * Takes a reference to the descriptors of the DELIVER_FDS frame just written.
     *
     * @param held its descriptors.
     */
    void hold(final SharedDescriptors held)
    {
        if (holders == null)
        {
            holders = new SharedDescriptors[4];
        }
        else if (holderCount == holders.length)
        {
            // Grows to the most DELIVER_FDS one datagram held, then never again: datagrams are pooled.
            holders = Arrays.copyOf(holders, holderCount * 2);
        }
        held.retain();
        holders[holderCount++] = held;
        fdCount += held.count();
        descriptorBytes += held.payloadBytes();
    }

    /**
     * Copies the descriptors of every holder, in frame order, for sendmsg.
     *
     * @param into at least {@link #fdCount} long.
     * @return how many.
     */
    int gatherDescriptors(final int[] into)
    {
        int n = 0;
        for (int i = 0; i < holderCount; i++)
        {
            final SharedDescriptors h = holders[i];
            final int count = h.count();
            System.arraycopy(h.descriptors(), 0, into, n, count);
            n += count;
        }
        return n;
    }

    /** Lets go of every holder: the datagram was sent (the kernel has its own copies) or dropped. */
    void releaseHolders()
    {
        for (int i = 0; i < holderCount; i++)
        {
            holders[i].release();
            holders[i] = null;
        }
        holderCount = 0;
        fdCount = 0;
        descriptorBytes = 0;
    }
}

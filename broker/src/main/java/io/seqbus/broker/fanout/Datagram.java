package io.seqbus.broker.fanout;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * One reusable datagram buffer: frames are written through {@link #buffer}, the kernel reads
 * from {@link #byteBuffer}. Both views cover the same direct memory.
 */
final class Datagram
{
    final ByteBuffer byteBuffer;
    final UnsafeBuffer buffer;
    int length;

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
}

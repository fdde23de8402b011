package io.seqbus.sys;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where a direct buffer's memory starts, through JNA rather than Agrona's {@code BufferUtil.address}: Agrona reads
 * it with Unsafe, which needs {@code --add-exports} on Java 17+, and the client's JVM runs without flags. JNA asks
 * the JVM (JNI GetDirectBufferAddress). It allocates a Pointer, so callers on a hot path keep the answer for the
 * buffer they reuse ({@link Cached}).
 */
final class DirectAddress
{
    private DirectAddress()
    {
    }

    /**
     * @param buffer a direct buffer.
     * @return the address of its first byte (index 0, whatever its position).
     */
    static long of(final ByteBuffer buffer)
    {
        if (!buffer.isDirect())
        {
            throw new IllegalArgumentException("a direct buffer is needed here");
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    }

    /**
     * @param bytes how many.
     * @return a new direct buffer of that many bytes, 8-byte aligned (struct msghdr, cmsghdr, statx), native order.
     */
    static ByteBuffer allocateAligned(final int bytes)
    {
        return ByteBuffer.allocateDirect(bytes + 8).alignedSlice(8).limit(bytes).slice().order(ByteOrder.nativeOrder());
    }

    /** The address of the last buffer asked about: one look-up per new buffer, none per call. */
    static final class Cached
    {
        private ByteBuffer buffer;
        private long address;

        long of(final ByteBuffer candidate)
        {
            if (candidate != buffer)
            {
                address = DirectAddress.of(candidate);
                buffer = candidate;
            }
            return address;
        }
    }
}

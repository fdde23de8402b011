package io.seqbus.ops.bench;

import java.nio.ByteBuffer;

/**
 * memcpy bandwidth in this JVM, to set beside what the bus delivers: one direct buffer copied into another
 * ({@code ByteBuffer.put}, a memory copy in the JDK), larger than the caches, for about the given time.
 */
public final class MemcpyBandwidth
{
    private static final int SIZE = 64 << 20;

    private MemcpyBandwidth()
    {
    }

    /**
     * @param seconds how long to copy for.
     * @return bytes copied per second, in GiB/s.
     */
    public static double measureGibPerSec(final double seconds)
    {
        final ByteBuffer from = ByteBuffer.allocateDirect(SIZE);
        final ByteBuffer to = ByteBuffer.allocateDirect(SIZE);
        for (int i = 0; i < SIZE; i += 4096)
        {
            from.put(i, (byte)i); // touch every page of both before timing
            to.put(i, (byte)0);
        }
        copy(from, to); // warm the copy loop
        final long deadline = System.nanoTime() + (long)(seconds * 1e9);
        final long start = System.nanoTime();
        long copied = 0;
        while (System.nanoTime() < deadline)
        {
            copy(from, to);
            copied += SIZE;
        }
        return copied / ((System.nanoTime() - start) / 1e9) / (1L << 30);
    }

    private static void copy(final ByteBuffer from, final ByteBuffer to)
    {
        to.clear().put(from.duplicate().clear());
    }
}

package io.seqbus.client;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Plain long counters, each written by one thread at a time (the polling side, or a holder of the
 * {@link Outbound} lock) and read by any: opaque reads and writes, so a reader on another thread sees a
 * recent value and never a torn one, at the cost of a plain store on the hot path (no fence, no CAS, no
 * allocation).
 */
final class Counters
{
    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;

    Counters(final int size)
    {
        values = new long[size];
    }

    /** By the counter's one writer. */
    void increment(final int index)
    {
        VALUES.setOpaque(values, index, (long)VALUES.getOpaque(values, index) + 1);
    }

    /** By the counter's one writer. */
    void add(final int index, final long delta)
    {
        VALUES.setOpaque(values, index, (long)VALUES.getOpaque(values, index) + delta);
    }

    /** By any thread. */
    long get(final int index)
    {
        return (long)VALUES.getOpaque(values, index);
    }
}

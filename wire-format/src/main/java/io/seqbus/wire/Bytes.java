package io.seqbus.wire;

import org.agrona.DirectBuffer;

/**
 * Byte runs in buffers compared and hashed, without allocating: topics held by the broker's tables
 * against topics in the datagram being read. One copy, so that every table means the same by "the same topic".
 */
public final class Bytes
{
    private static final int FNV1A_32_OFFSET_BASIS = 0x811C9DC5;
    private static final int FNV1A_32_PRIME = 0x01000193;

    private Bytes()
    {
    }

    /**
     * @param a      a buffer.
     * @param aIndex first byte of the run in {@code a}.
     * @param b      another buffer, or the same.
     * @param bIndex first byte of the run in {@code b}.
     * @param length bytes in each run.
     * @return true when the two runs hold the same bytes.
     */
    public static boolean equal(
        final DirectBuffer a, final int aIndex, final DirectBuffer b, final int bIndex, final int length)
    {
        int i = 0;
        // A word at a time: both sides read in the same byte order, so equal words mean equal bytes.
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            if (a.getLong(aIndex + i) != b.getLong(bIndex + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (a.getByte(aIndex + i) != b.getByte(bIndex + i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * The 32-bit FNV-1a hash: cheap, and good enough to spread short text such as topics and node names.
     *
     * @param buffer holding the bytes.
     * @param index  of the first byte.
     * @param length bytes to hash.
     * @return the hash; its low bits depend on every byte only weakly, so mix them before masking.
     */
    public static int fnv1a32(final DirectBuffer buffer, final int index, final int length)
    {
        int h = FNV1A_32_OFFSET_BASIS;
        for (int i = 0; i < length; i++)
        {
            h = (h ^ (buffer.getByte(index + i) & 0xFF)) * FNV1A_32_PRIME;
        }
        return h;
    }
}

package io.seqbus.broker.config;

import java.util.BitSet;

/**
 * Refuses a shared key that plainly did not come from a random source: too few distinct byte values, or
 * bytes (or the steps between neighbouring bytes, as in {@code 00 01 02 ...}) that repeat a pattern.
 * No test can prove a key random, but these catch the keys people type or paste by hand (all zeros,
 * {@code deadbeef} over and over, a counting sequence), while a random 32-byte key fails them about once
 * in 3 * 10^16 draws: it holds about 30 distinct values, 15 or fewer has probability 3.2e-17 (counted exactly
 * with Stirling numbers), and a pattern of bytes or steps repeating within 32 bytes below 2^-120.
 */
final class KeyStrength
{
    /** Fewest distinct byte values a key must hold. */
    static final int MIN_DISTINCT_BYTES = 16;

    /** The rule as the refusals and the README state it. */
    static final String RULE = "a key from a random source: at least " + MIN_DISTINCT_BYTES + " distinct byte values, " +
        "and neither its bytes nor the steps between them repeating a pattern";

    private KeyStrength()
    {
    }

    /**
     * @param key the key's bytes, at least {@link LanKey#MIN_KEY_BYTES} of them.
     * @return what is wrong with the key, or null when nothing is.
     */
    static String weakness(final byte[] key)
    {
        final int distinct = distinct(key);
        if (distinct < MIN_DISTINCT_BYTES)
        {
            return "holds a key of only " + distinct + " distinct byte value" + (distinct == 1 ? "" : "s");
        }
        final int period = period(key);
        if (period > 0)
        {
            return "holds a key that repeats a " + period + "-byte pattern";
        }
        if (period(steps(key)) > 0)
        {
            return "holds a key whose bytes step through a repeating pattern (as in 00 01 02 ...)";
        }
        return null;
    }

    private static int distinct(final byte[] key)
    {
        final BitSet seen = new BitSet(256);
        for (final byte b : key)
        {
            seen.set(b & 0xFF);
        }
        return seen.cardinality();
    }

    /** @return the shortest period of at most half the length, or 0 when there is none. */
    private static int period(final byte[] bytes)
    {
        for (int p = 1; p <= bytes.length / 2; p++)
        {
            int i = p;
            while (i < bytes.length && bytes[i] == bytes[i - p])
            {
                i++;
            }
            if (i == bytes.length)
            {
                return p;
            }
        }
        return 0;
    }

    /** @return each byte minus the one before it, modulo 256. */
    private static byte[] steps(final byte[] key)
    {
        final byte[] steps = new byte[key.length - 1];
        for (int i = 1; i < key.length; i++)
        {
            steps[i - 1] = (byte)(key[i] - key[i - 1]);
        }
        return steps;
    }
}

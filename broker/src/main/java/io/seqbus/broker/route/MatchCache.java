package io.seqbus.broker.route;

import io.seqbus.wire.Bytes;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Exact topic → match result, looked up straight from wire bytes so a hit allocates nothing.
 * <p>
 * Open addressing with linear probing over parallel arrays: the topic's bytes as a {@code byte[]} key, its hash
 * and its result list. The table has at least twice as many slots as entries, so a probe always reaches an
 * empty slot and chains stay short.
 * <p>
 * Eviction: when the cache holds {@code maxEntries} and a new topic comes in, the first entry at or after the
 * new topic's home slot is removed (backward-shift deletion, so no tombstones). As the hash spreads topics
 * evenly this is an effectively random eviction: O(1), no bookkeeping on hits, and under a working set larger
 * than the cache the hit rate degrades smoothly instead of collapsing as a clear-when-full policy would.
 *
 * @param <S> subscription type.
 */
final class MatchCache<S>
{
    private static final long SEED = 0xCBF29CE484222325L;
    private static final long WORD_PRIME = 0x9E3779B97F4A7C15L;
    private static final long FNV_PRIME = 0x100000001B3L;

    private final int maxEntries;
    private final int mask;
    private final byte[][] keys;
    private final int[] hashes;
    private final Object[] results;
    // Shows a key to Bytes.equal without copying it.
    private final UnsafeBuffer keyView = new UnsafeBuffer(new byte[0]);
    private int size;

    MatchCache(final int maxEntries)
    {
        if (maxEntries < 0)
        {
            throw new IllegalArgumentException("maxEntries < 0: " + maxEntries);
        }
        this.maxEntries = maxEntries;
        final int capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(2, maxEntries * 2));
        mask = capacity - 1;
        keys = new byte[capacity][];
        hashes = new int[capacity];
        results = new Object[capacity];
    }

    /**
     * Eight bytes at a time, then the tail byte by byte (FNV-1a step), then a murmur3 64-bit finaliser so the low
     * bits used for the slot depend on every byte. Reads little-endian explicitly so the hash does not depend on
     * the platform, though it never leaves the process.
     *
     * @param buffer holding the topic.
     * @param index  of its first byte.
     * @param length in bytes.
     * @return the hash to pass to {@link #get} and {@link #put}.
     */
    static int hash(final DirectBuffer buffer, final int index, final int length)
    {
        final int end = index + length;
        long h = SEED ^ length;
        int i = index;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            h = (h ^ buffer.getLong(i, ByteOrder.LITTLE_ENDIAN)) * WORD_PRIME;
            h ^= h >>> 29;
        }
        for (; i < end; i++)
        {
            h = (h ^ (buffer.getByte(i) & 0xFF)) * FNV_PRIME;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int)h;
    }

    @SuppressWarnings("unchecked")
    List<S> get(final DirectBuffer buffer, final int index, final int length, final int hash)
    {
        int slot = hash & mask;
        byte[] key;
        while (null != (key = keys[slot]))
        {
            if (hashes[slot] == hash && key.length == length && isKey(key, buffer, index))
            {
                return (List<S>)results[slot];
            }
            slot = (slot + 1) & mask;
        }
        return null;
    }

    /**
     * Stores a result for a topic that {@link #get} just missed.
     */
    void put(final DirectBuffer buffer, final int index, final int length, final int hash, final List<S> result)
    {
        if (0 == maxEntries)
        {
            return;
        }
        if (size == maxEntries)
        {
            evictNear(hash & mask);
        }

        int slot = hash & mask;
        while (null != keys[slot])
        {
            slot = (slot + 1) & mask;
        }
        final byte[] key = new byte[length];
        buffer.getBytes(index, key);
        keys[slot] = key;
        hashes[slot] = hash;
        results[slot] = result;
        size++;
    }

    /**
     * Forget everything; cheap when already empty, which is the common state during a burst of subscribes.
     */
    void clear()
    {
        if (size > 0)
        {
            Arrays.fill(keys, null);
            Arrays.fill(results, null);
            size = 0;
        }
    }

    int size()
    {
        return size;
    }

    private void evictNear(final int from)
    {
        int slot = from;
        while (null == keys[slot])
        {
            slot = (slot + 1) & mask;
        }
        delete(slot);
    }

    /**
     * Backward-shift deletion: pull later entries of the chain into the hole when the hole lies on their
     * probe path, so every remaining entry stays reachable from its home slot without tombstones.
     */
    private void delete(final int slot)
    {
        int hole = slot;
        int i = slot;
        while (true)
        {
            i = (i + 1) & mask;
            if (null == keys[i])
            {
                break;
            }
            final int home = hashes[i] & mask;
            if (((i - home) & mask) >= ((i - hole) & mask))
            {
                keys[hole] = keys[i];
                hashes[hole] = hashes[i];
                results[hole] = results[i];
                hole = i;
            }
        }
        keys[hole] = null;
        results[hole] = null;
        size--;
    }

    private boolean isKey(final byte[] key, final DirectBuffer buffer, final int index)
    {
        keyView.wrap(key);
        return Bytes.equal(keyView, 0, buffer, index, key.length);
    }
}

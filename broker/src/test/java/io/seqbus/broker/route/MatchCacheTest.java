package io.seqbus.broker.route;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A wrong answer from the cache would show in the index tests, but a lost entry would only show as a miss;
 * this checks that every entry the cache counts stays reachable through evictions.
 */
class MatchCacheTest
{
    @Test
    void everyCountedEntryStaysReachableThroughEvictions()
    {
        final Random random = new Random(7);
        for (final int maxEntries : new int[]{ 1, 2, 3, 8, 13 })
        {
            final MatchCache<String> cache = new MatchCache<>(maxEntries);
            final List<String> seen = new ArrayList<>();
            for (int i = 0; i < 2_000; i++)
            {
                final String topic = "t." + random.nextInt(64);
                final UnsafeBuffer buffer = buffer(topic);
                final int hash = MatchCache.hash(buffer, 0, buffer.capacity());
                if (null == cache.get(buffer, 0, buffer.capacity(), hash))
                {
                    cache.put(buffer, 0, buffer.capacity(), hash, List.of(topic));
                    seen.add(topic);
                }

                assertThat(cache.size()).isLessThanOrEqualTo(maxEntries);
                assertThat(reachable(cache, seen)).isEqualTo(cache.size());
            }
            assertThat(cache.size()).isEqualTo(maxEntries);

            cache.clear();
            assertThat(cache.size()).isZero();
            assertThat(reachable(cache, seen)).isZero();
        }
    }

    private static int reachable(final MatchCache<String> cache, final List<String> topics)
    {
        int found = 0;
        for (final String topic : topics.stream().distinct().toList())
        {
            final UnsafeBuffer buffer = buffer(topic);
            final List<String> result = cache.get(buffer, 0, buffer.capacity(), MatchCache.hash(buffer, 0, buffer.capacity()));
            if (null != result)
            {
                assertThat(result).containsExactly(topic);
                found++;
            }
        }
        return found;
    }

    private static UnsafeBuffer buffer(final String topic)
    {
        return new UnsafeBuffer(topic.getBytes(StandardCharsets.UTF_8));
    }
}

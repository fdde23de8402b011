package io.seqbus.broker.route;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Rough ns per match for cache hits and for misses (trie walk plus result build), no JMH. Not a test: run by hand
 * with the broker's test class path, e.g. {@code java -cp ... io.seqbus.broker.route.MatchMicroBenchmark}.
 */
public final class MatchMicroBenchmark
{
    private static final int TOPICS = 1024;
    private static final int PATTERNS = 2000;
    private static final int ROUNDS = 5;
    private static final int MATCHES_PER_ROUND = 5_000_000;

    private MatchMicroBenchmark()
    {
    }

    /**
     * @param args ignored.
     */
    public static void main(final String[] args)
    {
        final Random random = new Random(1);
        final TopicIndex<Integer> cached = new TopicIndex<>(4096);
        // A cache of zero entries makes every match a miss: tokenise, walk the trie, build the result.
        final TopicIndex<Integer> uncached = new TopicIndex<>(0);
        for (int i = 0; i < PATTERNS; i++)
        {
            final String pattern = pattern(random);
            cached.add(pattern, i);
            uncached.add(pattern, i);
        }

        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[TOPICS * 64]);
        final int[] offsets = new int[TOPICS];
        final int[] lengths = new int[TOPICS];
        int offset = 0;
        long totalLength = 0;
        for (int i = 0; i < TOPICS; i++)
        {
            final byte[] bytes = topic(random).getBytes(StandardCharsets.UTF_8);
            buffer.putBytes(offset, bytes);
            offsets[i] = offset;
            lengths[i] = bytes.length;
            offset += bytes.length;
            totalLength += bytes.length;
        }

        System.out.printf("%d patterns, %d topics of %.1f bytes on average%n",
            PATTERNS, TOPICS, (double)totalLength / TOPICS);
        for (int round = 0; round < ROUNDS; round++)
        {
            final double hit = run(cached, buffer, offsets, lengths, MATCHES_PER_ROUND);
            final double miss = run(uncached, buffer, offsets, lengths, MATCHES_PER_ROUND / 10);
            System.out.printf("round %d: hit %.1f ns/match, miss %.1f ns/match (cache %d)%n",
                round, hit, miss, cached.cacheSize());
        }
    }

    private static double run(
        final TopicIndex<Integer> index,
        final UnsafeBuffer buffer,
        final int[] offsets,
        final int[] lengths,
        final int count)
    {
        long sink = 0;
        final long start = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            final int t = i & (TOPICS - 1);
            sink += index.match(buffer, offsets[t], lengths[t]).size();
        }
        final long elapsed = System.nanoTime() - start;
        if (sink == 42)
        {
            System.out.print("");
        }
        return (double)elapsed / count;
    }

    private static String topic(final Random random)
    {
        final String[] regions = { "eu", "us", "apac", "latam" };
        final String[] events = { "created", "updated", "cancelled", "filled" };
        return "orders." + regions[random.nextInt(regions.length)] + ".desk" + random.nextInt(64) + "." +
            events[random.nextInt(events.length)];
    }

    private static String pattern(final Random random)
    {
        switch (random.nextInt(4))
        {
            case 0:
                return "orders.*.desk" + random.nextInt(64) + ".>";
            case 1:
                return "orders.eu.*.created";
            case 2:
                return "orders." + (random.nextBoolean() ? "us" : "*") + ".desk" + random.nextInt(64) + ".filled";
            default:
                return "audit." + random.nextInt(100) + ".>";
        }
    }
}

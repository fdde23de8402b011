package io.seqbus.broker.route.bench;

import io.seqbus.broker.route.TopicIndex;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Routing a topic through ~1000 patterns mixing {@code *} and {@code >}: a cache hit (the steady state of a
 * bus with a stable set of topics), a miss (tokenise, walk the trie, build the result) and subscription churn.
 * <p>
 * Run with {@code ops/jmh.sh broker TopicIndexBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicIndexBenchmark
{
    private static final int PATTERNS = 1000;
    private static final int TOPICS = 256;
    private static final String[] WORDS =
        {"orders", "trades", "quotes", "eu", "us", "asia", "created", "filled", "cancelled", "audit", "fx", "eq"};

    private final TopicIndex<Object> cached = new TopicIndex<>(4096);
    private final TopicIndex<Object> uncached = new TopicIndex<>(0);
    private final UnsafeBuffer[] topics = new UnsafeBuffer[TOPICS];
    private final String[] churnPatterns = new String[64];
    private final Object churnSubscription = new Object();
    private int next;

    @Setup
    public void setup()
    {
        final Random random = new Random(42);
        for (int i = 0; i < PATTERNS; i++)
        {
            final String pattern = pattern(random);
            final Object subscription = new Object();
            cached.add(pattern, subscription);
            uncached.add(pattern, subscription);
        }
        for (int i = 0; i < churnPatterns.length; i++)
        {
            churnPatterns[i] = pattern(random);
        }
        long matches = 0;
        for (int i = 0; i < TOPICS; i++)
        {
            final StringBuilder topic = new StringBuilder(WORDS[random.nextInt(3)]);
            final int depth = 2 + random.nextInt(3);
            for (int t = 1; t < depth; t++)
            {
                topic.append('.').append(WORDS[random.nextInt(WORDS.length)]);
            }
            topics[i] = new UnsafeBuffer(topic.toString().getBytes(StandardCharsets.US_ASCII));
            matches += cached.match(topics[i], 0, topics[i].capacity()).size();
        }
        if (matches == 0)
        {
            throw new IllegalStateException("no topic matches any pattern; the benchmark would measure nothing");
        }
    }

    /** The steady state: the topic is in the cache. */
    @Benchmark
    public List<Object> matchCacheHit()
    {
        final UnsafeBuffer topic = topics[next++ & (TOPICS - 1)];
        return cached.match(topic, 0, topic.capacity());
    }

    /** No cache: tokenise, walk the trie, build the result list. */
    @Benchmark
    public List<Object> matchCacheMiss()
    {
        final UnsafeBuffer topic = topics[next++ & (TOPICS - 1)];
        return uncached.match(topic, 0, topic.capacity());
    }

    /** One SUBSCRIBE and one UNSUBSCRIBE against the 1000 patterns; each clears the cache. */
    @Benchmark
    public boolean addRemoveChurn()
    {
        final String pattern = churnPatterns[next++ & (churnPatterns.length - 1)];
        cached.add(pattern, churnSubscription);
        return cached.remove(pattern, churnSubscription);
    }

    /** A pattern of 2..5 tokens: about one token in six is {@code *}, and one pattern in five ends in {@code >}. */
    private static String pattern(final Random random)
    {
        final StringBuilder pattern = new StringBuilder(WORDS[random.nextInt(3)]);
        final int depth = 2 + random.nextInt(4);
        for (int t = 1; t < depth; t++)
        {
            pattern.append('.');
            if (t == depth - 1 && random.nextInt(5) == 0)
            {
                pattern.append('>');
            }
            else if (random.nextInt(6) == 0)
            {
                pattern.append('*');
            }
            else
            {
                pattern.append(WORDS[random.nextInt(WORDS.length)]);
            }
        }
        return pattern.toString();
    }
}

package io.seqbus.broker.route;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cache hit must not allocate. This measures bytes allocated by the thread, not time.
 */
class TopicIndexAllocationTest
{
    private static final int HITS = 100_000;
    // The two readings of the allocation counter may themselves cost a few bytes.
    private static final long MEASUREMENT_SLACK_BYTES = 1024;

    @Test
    void cacheHitDoesNotAllocate()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).as("this JVM measures allocation per thread").isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);

        final TopicIndex<String> index = new TopicIndex<>(4096);
        index.add("orders.*.created", "a");
        index.add("orders.>", "b");
        index.add(">", "c");
        index.add("prices.eu.*", "d");

        // Topics laid out in one buffer at odd offsets, as they would sit inside received frames.
        final String[] topics = { "orders.eu.created", "orders.us", "prices.eu.gbp", "nobody.listens.here" };
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final int[] offsets = new int[topics.length];
        final int[] lengths = new int[topics.length];
        int offset = 3;
        for (int i = 0; i < topics.length; i++)
        {
            final byte[] bytes = topics[i].getBytes(StandardCharsets.UTF_8);
            buffer.putBytes(offset, bytes);
            offsets[i] = offset;
            lengths[i] = bytes.length;
            offset += bytes.length + 5;
        }

        long sink = matchAll(index, buffer, offsets, lengths, HITS);
        assertThat(index.cacheSize()).isEqualTo(topics.length);

        final long threadId = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        sink += matchAll(index, buffer, offsets, lengths, HITS);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertThat(sink).isPositive();
        assertThat(allocated)
            .as("bytes allocated by %d cache hits (%.4f per hit)", HITS, (double)allocated / HITS)
            .isLessThan(MEASUREMENT_SLACK_BYTES);
    }

    private static long matchAll(
        final TopicIndex<String> index,
        final UnsafeBuffer buffer,
        final int[] offsets,
        final int[] lengths,
        final int count)
    {
        long sink = 0;
        for (int i = 0; i < count; i++)
        {
            final int t = i % offsets.length;
            final List<String> result = index.match(buffer, offsets[t], lengths[t]);
            sink += result.size();
        }
        return sink;
    }
}

package io.seqbus.broker.stat;

import io.seqbus.wire.Bytes;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Message rates of the busiest topics, for {@code seqbus stat}: bounded in memory and cheap on
 * the hot path, so it can stay on.
 *
 * <p>One publish in {@link #SAMPLE_EVERY} (chosen by a xorshift draw, so a publisher cycling
 * through topics in step with a fixed stride is not aliased) is counted in a 4-way
 * set-associative table of topics. A sampled topic not in the table replaces the way of its set
 * with the fewest samples. Heavy topics therefore stay; rare ones come and go. Counts are
 * estimates: samples times {@link #SAMPLE_EVERY}. Each topic slot keeps its own byte array,
 * reused when the slot changes hands, so steady state allocates nothing. Owned by the agent.
 */
public final class TopicRates
{
    /** One publish in this many is counted. */
    public static final int SAMPLE_EVERY = 8;
    private static final int WAYS = 4;
    private static final int SETS = 1024;

    private final byte[][] topics = new byte[SETS * WAYS][];
    private final int[] lengths = new int[SETS * WAYS];
    private final long[] samples = new long[SETS * WAYS];
    private final long[] samplesAtRoll = new long[SETS * WAYS];
    private final double[] ratePerSecond = new double[SETS * WAYS];
    // Shows a held topic to Bytes.equal without copying it.
    private final UnsafeBuffer topicView = new UnsafeBuffer(new byte[0]);
    private long random = 0x9E3779B97F4A7C15L;
    private long lastRollNs;

    /**
     * @param nowNs the agent's clock.
     */
    public TopicRates(final long nowNs)
    {
        lastRollNs = nowNs;
    }

    /**
     * Counts one publish, one time in {@link #SAMPLE_EVERY}.
     *
     * @param buffer holding the topic.
     * @param index  of its first byte.
     * @param length of the topic.
     */
    public void onPublish(final DirectBuffer buffer, final int index, final int length)
    {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        if ((x & (SAMPLE_EVERY - 1)) != 0)
        {
            return;
        }
        final int hash = Bytes.fnv1a32(buffer, index, length);
        final int set = ((hash ^ (hash >>> 16)) & (SETS - 1)) * WAYS;
        int victim = set;
        for (int slot = set; slot < set + WAYS; slot++)
        {
            if (lengths[slot] == length && topics[slot] != null && isTopic(topics[slot], buffer, index, length))
            {
                samples[slot]++;
                return;
            }
            if (samples[slot] < samples[victim])
            {
                victim = slot;
            }
        }
        if (topics[victim] == null)
        {
            topics[victim] = new byte[Protocol.MAX_TOPIC_LENGTH];
        }
        buffer.getBytes(index, topics[victim], 0, length);
        lengths[victim] = length;
        samples[victim] = 1;
        samplesAtRoll[victim] = 0;
        ratePerSecond[victim] = 0;
    }

    /**
     * Turns the samples since the last roll into rates; call about once a second.
     *
     * @param nowNs the agent's clock.
     */
    public void roll(final long nowNs)
    {
        final double seconds = (nowNs - lastRollNs) / 1e9;
        if (seconds <= 0)
        {
            return;
        }
        for (int slot = 0; slot < samples.length; slot++)
        {
            if (lengths[slot] != 0)
            {
                ratePerSecond[slot] = (samples[slot] - samplesAtRoll[slot]) * (double)SAMPLE_EVERY / seconds;
                samplesAtRoll[slot] = samples[slot];
            }
        }
        lastRollNs = nowNs;
    }

    /**
     * @param n most topics to list.
     * @return the {@code n} topics of highest rate (ties: most messages), busiest first; allocates.
     */
    public List<TopicRate> top(final int n)
    {
        final ArrayList<TopicRate> all = new ArrayList<>();
        for (int slot = 0; slot < samples.length; slot++)
        {
            if (lengths[slot] != 0)
            {
                all.add(new TopicRate(new String(topics[slot], 0, lengths[slot], StandardCharsets.UTF_8),
                    ratePerSecond[slot], samples[slot] * SAMPLE_EVERY));
            }
        }
        all.sort((a, b) -> a.ratePerSecond() != b.ratePerSecond() ?
            Double.compare(b.ratePerSecond(), a.ratePerSecond()) : Long.compare(b.messages(), a.messages()));
        return all.size() > n ? new ArrayList<>(all.subList(0, n)) : all;
    }

    private boolean isTopic(final byte[] topic, final DirectBuffer buffer, final int index, final int length)
    {
        topicView.wrap(topic);
        return Bytes.equal(topicView, 0, buffer, index, length);
    }

    /**
     * One topic's estimated rate.
     *
     * @param topic         the topic.
     * @param ratePerSecond estimated messages per second over the last roll interval.
     * @param messages      estimated messages since the topic entered the table.
     */
    public record TopicRate(String topic, double ratePerSecond, long messages)
    {
    }
}

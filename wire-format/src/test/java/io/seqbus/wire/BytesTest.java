package io.seqbus.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Bytes}: equality of byte runs at any offsets, and the FNV-1a hash the broker's tables and node ids use.
 */
final class BytesTest
{
    @Property
    void equalRunsAtAnyOffsetAreEqual(
        @ForAll @Size(max = 40) final byte[] run, @ForAll @IntRange(max = 9) final int aIndex,
        @ForAll @IntRange(max = 9) final int bIndex)
    {
        final UnsafeBuffer a = new UnsafeBuffer(new byte[aIndex + run.length]);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[bIndex + run.length + 3]);
        a.putBytes(aIndex, run);
        b.putBytes(bIndex, run);
        assertThat(Bytes.equal(a, aIndex, b, bIndex, run.length)).isTrue();
    }

    @Property
    void oneByteChangedAnywhereIsNotEqual(
        @ForAll @Size(min = 1, max = 40) final byte[] run, @ForAll @IntRange(max = 39) final int at,
        @ForAll @IntRange(max = 9) final int bIndex)
    {
        final int changed = at % run.length;
        final byte[] other = Arrays.copyOf(run, run.length);
        other[changed] ^= 0x01;
        final UnsafeBuffer b = new UnsafeBuffer(new byte[bIndex + run.length]);
        b.putBytes(bIndex, other);
        assertThat(Bytes.equal(new UnsafeBuffer(run), 0, b, bIndex, run.length)).isFalse();
    }

    @Test
    void fnv1a32MatchesThePublishedVectors()
    {
        // From the FNV reference test suite (http://www.isthe.com/chongo/src/fnv/test_fnv.c), FNV-1a 32-bit.
        assertThat(fnv("")).isEqualTo(0x811C9DC5);
        assertThat(fnv("a")).isEqualTo(0xE40C292C);
        assertThat(fnv("foobar")).isEqualTo(0xBF9CF968);
    }

    @Test
    void fnv1a32HashesOnlyTheRun()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer("xxfoobaryy".getBytes(StandardCharsets.US_ASCII));
        assertThat(Bytes.fnv1a32(buffer, 2, 6)).isEqualTo(fnv("foobar"));
    }

    private static int fnv(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Bytes.fnv1a32(new UnsafeBuffer(bytes), 0, bytes.length);
    }
}

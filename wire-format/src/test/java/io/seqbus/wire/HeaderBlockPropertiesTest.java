package io.seqbus.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The header block over random entries: what is written checks and reads back the same entries in order; and
 * every damage to a block is either still a well-formed block or refused with an offset inside the block, never
 * an exception.
 */
final class HeaderBlockPropertiesTest
{
    private static final int SCRATCH = 1 << 17;

    record Entry(String key, byte[] value)
    {
        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Entry e && e.key.equals(key) && java.util.Arrays.equals(e.value, value);
        }

        @Override
        public int hashCode()
        {
            return key.hashCode();
        }
    }

    @Property
    void writtenBlocksCheckAndReadBack(
        @ForAll("entries") final List<Entry> entries, @ForAll @IntRange(max = 16) final int offset)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SCRATCH]);
        final HeaderBlock block = new HeaderBlock().begin(buffer, offset);
        int expected = HeaderBlock.LENGTH_FIELD;
        for (final Entry e : entries)
        {
            block.put(e.key(), e.value());
            expected += HeaderBlock.entryLength(e.key().length(), e.value().length);
        }
        assertThat(block.finish()).isEqualTo(expected);

        assertThat(block.check(buffer, offset, expected, HeaderBlock.MAX_BLOCK_LENGTH, entries.size())).isZero();
        if (!entries.isEmpty())
        {
            assertThat(block.check(buffer, offset, expected, HeaderBlock.MAX_BLOCK_LENGTH, entries.size() - 1))
                .as("one entry over max_headers").isEqualTo(ErrorCode.INVALID_HEADERS);
        }
        if (expected > HeaderBlock.LENGTH_FIELD)
        {
            assertThat(block.check(buffer, offset, expected, expected - 1, entries.size()))
                .as("one byte over max_header_bytes").isEqualTo(ErrorCode.INVALID_HEADERS);
            assertThat(block.errorOffset()).isZero();
        }

        final List<Entry> read = new ArrayList<>();
        block.wrap(buffer, offset);
        assertThat(block.blockLength()).isEqualTo(expected);
        while (block.next())
        {
            assertThat(block.keyEquals(block.key())).isTrue();
            final byte[] value = new byte[block.valueLength()];
            buffer.getBytes(block.valueOffset(), value);
            read.add(new Entry(block.key(), value));
        }
        assertThat(read).isEqualTo(entries);
    }

    @Property
    void everyDamagedBlockIsWellFormedOrRefusedAtAnOffsetInsideIt(
        @ForAll("entries") final List<Entry> entries, @ForAll @IntRange(max = 4095) final int position,
        @ForAll final byte value)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SCRATCH]);
        final HeaderBlock block = new HeaderBlock().begin(buffer, 0);
        entries.forEach(e -> block.put(e.key(), e.value()));
        final int length = block.finish();
        final int at = position % length;
        buffer.putByte(at, value);
        final int code = block.check(buffer, 0, length, HeaderBlock.MAX_BLOCK_LENGTH, Integer.MAX_VALUE);
        if (code == 0)
        {
            // Well-formed after all: then every entry the cursor walks lies inside the block and has a valid key.
            block.wrap(buffer, 0);
            while (block.next())
            {
                assertThat(block.valueOffset() + block.valueLength()).isLessThanOrEqualTo(block.blockLength());
                assertThat(block.keyLength()).isBetween(1, HeaderBlock.MAX_KEY_LENGTH);
                for (int i = 0; i < block.keyLength(); i++)
                {
                    assertThat(HeaderBlock.isKeyChar(buffer.getByte(block.keyOffset() + i))).isTrue();
                }
            }
        }
        else
        {
            assertThat(code).isEqualTo(ErrorCode.INVALID_HEADERS);
            assertThat(block.errorOffset()).isBetween(0, length - 1);
            assertThat(block.errorReason()).isNotEmpty();
        }
    }

    @Property
    void aBlockIsRefusedAtTheFirstBadKeyByte(
        @ForAll("entries") final List<Entry> before, @ForAll("keys") final String key,
        @ForAll @IntRange(max = 63) final int position, @ForAll("notKeyChars") final char bad)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SCRATCH]);
        final HeaderBlock block = new HeaderBlock().begin(buffer, 0);
        int keyAt = HeaderBlock.LENGTH_FIELD;
        for (final Entry e : before)
        {
            block.put(e.key(), e.value());
            keyAt += HeaderBlock.entryLength(e.key().length(), e.value().length);
        }
        final int i = position % key.length();
        block.put(key.substring(0, i) + bad + key.substring(i + 1), new byte[0]);
        final int length = block.finish();
        assertThat(block.check(buffer, 0, length, HeaderBlock.MAX_BLOCK_LENGTH, 1000))
            .isEqualTo(ErrorCode.INVALID_HEADERS);
        assertThat(block.errorOffset()).isEqualTo(keyAt + 1 + i);
    }

    @Provide
    Arbitrary<String> keys()
    {
        return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-_.").ofMinLength(1)
            .ofMaxLength(HeaderBlock.MAX_KEY_LENGTH);
    }

    @Provide
    Arbitrary<Character> notKeyChars()
    {
        return Arbitraries.chars().range((char)0, (char)127)
            .filter(c -> !HeaderBlock.isKeyChar(c));
    }

    @Provide
    Arbitrary<List<Entry>> entries()
    {
        final Arbitrary<byte[]> values = Arbitraries.oneOf(
            Arbitraries.bytes().array(byte[].class).ofMaxSize(64),
            Arbitraries.strings().ofMaxLength(40).map(s -> s.getBytes(StandardCharsets.UTF_8)),
            Arbitraries.just(new byte[0]));
        return Combinators.combine(keys(), values).as(Entry::new).list().ofMaxSize(40);
    }

}

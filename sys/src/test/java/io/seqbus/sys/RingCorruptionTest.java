package io.seqbus.sys;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the other side may write into shared memory: anything. Whatever bytes, tails and heads a writer leaves,
 * the reader returns well-formed records or {@link ShmCorruptException}, never another exception and never a body
 * over its bound; the writer reports a head out of range the same way. (An access outside the mapping would not be
 * an exception but a crash: these run over a ring at the end of its mapping's pages.)
 */
class RingCorruptionTest
{
    private static final int CAPACITY = 4096;

    @Property(tries = 300)
    void aReaderOfCorruptMemoryReturnsRecordsOrSaysCorrupt(
        @ForAll @Size(max = 40) final List<@IntRange(min = 0, max = 1 << 20) Integer> pokes,
        @ForAll final long tail, @ForAll @IntRange(min = 0, max = 64) final int records) throws IOException
    {
        try (ShmChannel channel = ShmChannel.create(CAPACITY, CAPACITY))
        {
            final Ring ring = channel.fromClient();
            final RingWriter writer = ring.writer();
            final ByteBuffer body = ByteBuffer.allocateDirect(300);
            for (int i = 0; i < records; i++)
            {
                body.clear().limit(1 + (i * 53) % 300);
                if (!writer.write(body, RingWriter.FRAMES))
                {
                    break;
                }
            }
            final ByteBuffer memory = ring.memory.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (final int poke : pokes)
            {
                // low 12 bits: where in the ring (aligned to 4), the rest: what
                final int at = ring.base + (poke & 0xffc) % CAPACITY;
                memory.putInt(at, (poke >> 12) - 64 + (poke % 3 == 0 ? 0 : CAPACITY));
            }
            if (tail % 4 == 0)
            {
                ring.publishTail(tail);
            }
            final RingReader reader = ring.reader(256);
            final ByteBuffer out = ByteBuffer.allocateDirect(256);
            try
            {
                for (int i = 0; i < 200; i++)
                {
                    final int n = reader.read(out);
                    if (n == 0)
                    {
                        break;
                    }
                    assertThat(n).isBetween(1, 256);
                    assertThat(reader.lastType()).isIn(RingWriter.FRAMES, RingWriter.FRAMES_WITH_FDS);
                }
            }
            catch (final ShmCorruptException expected)
            {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Property(tries = 200)
    void aWriterFacingACorruptHeadWritesInsideTheRingOrSaysCorrupt(@ForAll final long head,
        @ForAll @IntRange(min = 1, max = 1000) final int length) throws IOException
    {
        try (ShmChannel channel = ShmChannel.create(CAPACITY, CAPACITY))
        {
            final Ring ring = channel.toClient();
            final RingWriter writer = ring.writer();
            final ByteBuffer body = ByteBuffer.allocateDirect(length);
            for (int i = 0; i < 3; i++)
            {
                writer.write(body, RingWriter.FRAMES);
            }
            ring.publishHead(head);
            final boolean inRange = head <= writer.position() && head >= writer.position() - CAPACITY;
            try
            {
                writer.write(body, RingWriter.FRAMES);
                assertThat(inRange).isTrue();
            }
            catch (final ShmCorruptException expected)
            {
                assertThat(inRange).isFalse();
            }
        }
    }
}

package io.seqbus.sys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RingWriter} and {@link RingReader} over a real channel: records come out whole and in order across many
 * wraps, a full ring refuses without writing, padding is stepped over, and the header a client checks is there.
 */
class RingTest
{
    private static final int CAPACITY = 4096;
    private final ShmChannel channel = create();
    private final ByteBuffer in = ByteBuffer.allocateDirect(CAPACITY);
    private final ByteBuffer out = ByteBuffer.allocateDirect(CAPACITY);

    @AfterEach
    void close()
    {
        channel.close();
    }

    @Test
    void recordsOfEverySizeComeOutWholeAndInOrderAcrossManyWraps() throws IOException
    {
        final RingWriter writer = channel.fromClient().writer();
        final RingReader reader = channel.fromClient().reader(1024);
        int written = 0;
        int read = 0;
        for (int round = 0; round < 20_000; round++)
        {
            final int length = 1 + (round * 37) % 1000;
            if (writer.write(body(written, 1 + (written * 37) % 1000), written % 2 == 0 ? RingWriter.FRAMES :
                RingWriter.FRAMES_WITH_FDS))
            {
                written++;
            }
            if (round % 3 != 0 || !writer.hasRoom(length))
            {
                final int n = reader.read(out);
                if (n > 0)
                {
                    assertThat(n).isEqualTo(1 + (read * 37) % 1000);
                    assertThat(out.get(n - 1)).isEqualTo((byte)(read + n));
                    assertThat(reader.lastType()).isEqualTo(read % 2 == 0 ? RingWriter.FRAMES :
                        RingWriter.FRAMES_WITH_FDS);
                    read++;
                }
            }
        }
        while (reader.read(out) > 0)
        {
            read++;
        }
        assertThat(read).isEqualTo(written).isGreaterThan(5_000);
        assertThat(reader.isEmpty()).isTrue();
        assertThat(reader.position()).isEqualTo(writer.position()).isGreaterThan(100L * CAPACITY);
    }

    @Test
    void aFullRingRefusesWithoutWritingAndTakesAgainOnceRead() throws IOException
    {
        final RingWriter writer = channel.toClient().writer();
        final RingReader reader = channel.toClient().reader(CAPACITY);
        int n = 0;
        while (writer.write(body(n, 1000), RingWriter.FRAMES))
        {
            n++;
        }
        assertThat(n).isEqualTo(4); // 1008 bytes a record: four fill 4032 of 4096
        final long full = writer.position();
        assertThat(writer.write(body(9, 1000), RingWriter.FRAMES)).isFalse();
        assertThat(writer.position()).isEqualTo(full);
        assertThat(writer.hasRoom(56)).as("the 64 bytes left at the end").isTrue();
        assertThat(writer.hasRoom(57)).isFalse();
        assertThat(reader.read(out)).isEqualTo(1000);
        assertThat(writer.hasRoom(1001)).as("the 64 at the end and the 1008 freed, not 1016").isFalse();
        assertThat(writer.write(body(4, 1000), RingWriter.FRAMES)).as("padding 64, then at index 0").isTrue();
        assertThat(writer.position()).isEqualTo(full + 64 + 1008);
        for (int i = 0; i < 4; i++)
        {
            assertThat(reader.read(out)).isEqualTo(1000);
        }
        assertThat(out.get(0)).isEqualTo((byte)4);
        assertThat(reader.read(out)).isZero();
    }

    @Test
    void peekLeavesTheRecordForTheNextRead() throws IOException
    {
        final RingWriter writer = channel.toClient().writer();
        final RingReader reader = channel.toClient().reader(CAPACITY);
        writer.write(body(7, 10), RingWriter.FRAMES);
        assertThat(reader.peek(out)).isEqualTo(10);
        assertThat(reader.peek(out)).isEqualTo(10);
        assertThat(reader.read(out)).isEqualTo(10);
        assertThat(reader.peek(out)).isZero();
    }

    @Test
    void aRecordOverHalfTheRingIsAProgrammingError()
    {
        assertThatThrownBy(() -> channel.toClient().writer().write(ByteBuffer.allocate(CAPACITY / 2),
            RingWriter.FRAMES)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBodyOverTheReadersBoundIsCorrupt() throws IOException
    {
        channel.fromClient().writer().write(body(1, 600), RingWriter.FRAMES);
        assertThatThrownBy(() -> channel.fromClient().reader(512).read(out))
            .isInstanceOf(ShmCorruptException.class).hasMessageContaining("600");
    }

    private ByteBuffer body(final int seed, final int length)
    {
        in.clear();
        for (int i = 0; i < length; i++)
        {
            in.put(i, (byte)(seed + i + (i == length - 1 ? 1 : 0)));
        }
        return in.limit(length);
    }

    private static ShmChannel create()
    {
        try
        {
            return ShmChannel.create(CAPACITY, CAPACITY);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}

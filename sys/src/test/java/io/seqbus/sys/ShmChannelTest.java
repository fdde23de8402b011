package io.seqbus.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The channel as the broker makes it and a client maps it: sealed so the client cannot cut it, the header checked,
 * the rings shared, and the wake-up protocol over real eventfds with a reader asleep in poll(2).
 */
class ShmChannelTest
{
    @Test
    void aClientMapsTheSameRingsAndCannotShrinkOrGrowThem() throws IOException
    {
        try (ShmChannel broker = ShmChannel.create(8192, 4096))
        {
            final int clientFd = dup(broker.memfd());
            assertThat(LibC.ftruncate(clientFd, 4096)).as("F_SEAL_SHRINK").isEqualTo(-1);
            assertThat(LibC.ftruncate(clientFd, 1 << 20)).as("F_SEAL_GROW").isEqualTo(-1);
            assertThat(LibC.fcntl(clientFd, LibC.F_ADD_SEALS, LibC.F_SEAL_WRITE)).as("F_SEAL_SEAL").isEqualTo(-1);
            try (ShmChannel client = ShmChannel.map(clientFd, 8192, 4096, broker.size()))
            {
                assertThat(client.memfd()).isEqualTo(-1);
                assertThat(isOpen(clientFd)).as("closed once mapped").isFalse();
                final ByteBuffer body = ByteBuffer.allocateDirect(100);
                body.put(0, (byte)42);
                assertThat(broker.toClient().writer().write(body, RingWriter.FRAMES)).isTrue();
                assertThat(client.fromClient().writer().write(body.limit(3), RingWriter.FRAMES)).isTrue();
                final ByteBuffer out = ByteBuffer.allocateDirect(4096);
                assertThat(client.toClient().reader(4096).read(out)).isEqualTo(100);
                assertThat(out.get(0)).isEqualTo((byte)42);
                assertThat(broker.fromClient().reader(4096).read(out)).isEqualTo(3);
            }
        }
    }

    @Test
    void aMemfdThatIsNotWhatShmReadySaidIsRefused() throws IOException
    {
        try (ShmChannel broker = ShmChannel.create(4096, 4096))
        {
            assertThatThrownBy(() -> ShmChannel.map(dup(broker.memfd()), 4096, 4096, broker.size() + 4096))
                .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> ShmChannel.map(dup(broker.memfd()), 8192, 4096, broker.size() + 4096))
                .isInstanceOf(IOException.class).hasMessageContaining("bytes");
        }
        try (Memfd unsealed = Memfd.create("not-a-channel", ShmChannel.size(4096, 4096)))
        {
            assertThatThrownBy(() -> ShmChannel.map(unsealed.release(), 4096, 4096, ShmChannel.size(4096, 4096)))
                .isInstanceOf(IOException.class).hasMessageContaining("sealed");
        }
    }

    @Test
    void aSleepingReaderIsWokenOnceAndASpinningOneNever() throws Exception
    {
        try (ShmChannel channel = ShmChannel.create(4096, 4096); EventFd wake = EventFd.create())
        {
            final Ring ring = channel.toClient();
            final RingWriter writer = ring.writer();
            final RingReader reader = ring.reader(4096);
            final ByteBuffer body = ByteBuffer.allocateDirect(8);
            writer.write(body, RingWriter.FRAMES);
            assertThat(ring.takeReaderSleeping()).as("a reader that did not say it sleeps").isFalse();

            final ByteBuffer pollfd = DirectAddress.allocateAligned(LibC.POLLFD_SIZE);
            pollfd.putInt(0, wake.fd()).putShort(4, (short)LibC.POLLIN);
            final CompletableFuture<Integer> slept = CompletableFuture.supplyAsync(() ->
            {
                final ByteBuffer out = ByteBuffer.allocateDirect(4096);
                try
                {
                    int got = reader.read(out);
                    ring.readerWillSleep();
                    if (reader.isEmpty())
                    {
                        LibC.poll(DirectAddress.of(pollfd), 1, 10_000);
                    }
                    ring.readerAwake();
                    wake.drain();
                    got += reader.read(out);
                    return got;
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            while (!slept.isDone() && !ring.takeReaderSleepingPeek())
            {
                Thread.onSpinWait();
            }
            writer.write(body, RingWriter.FRAMES);
            // The reader may have seen the record before it slept (then it cleared the flag itself): signal only
            // when the flag is taken, and never twice for one sleep.
            if (ring.takeReaderSleeping())
            {
                assertThat(ring.takeReaderSleeping()).as("one signal per sleep").isFalse();
                wake.signal();
            }
            assertThat(slept.get(10, TimeUnit.SECONDS)).isEqualTo(16);
        }
    }

    private static int dup(final int fd) throws IOException
    {
        final int copy = LibC.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 0);
        if (copy < 0)
        {
            throw LibC.failure("dup", LibC.errno());
        }
        return copy;
    }

    private static boolean isOpen(final int fd)
    {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }
}

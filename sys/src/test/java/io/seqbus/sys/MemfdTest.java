package io.seqbus.sys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Memfd} on real memfds: what it writes is what a receiver reads, its seal is the one the broker checks
 * for, the seals hold, and it leaves no descriptor open. Bytes are read back through /proc/self/fd (a new open of
 * the same memfd), leaks counted there by the name every memfd of this test carries.
 */
class MemfdTest
{
    private static final String NAME = "seqbus-memfd-test";

    private long openBefore;

    @BeforeEach
    void count() throws IOException
    {
        openBefore = openedByThisTest();
    }

    @AfterEach
    void nothingLeaks() throws IOException
    {
        assertThat(openedByThisTest()).as("memfds of this test left open").isEqualTo(openBefore);
    }

    @Test
    void bytesWrittenFromDirectAndHeapBuffersAreWhatTheBrokersCheckAcceptsOnceSealed() throws IOException
    {
        final byte[] bytes = new byte[(3 << 20) + 3]; // more than one bounce buffer, not page-aligned
        new Random(14).nextBytes(bytes);
        final int half = bytes.length / 2;
        try (Memfd memfd = Memfd.create(NAME, bytes.length))
        {
            final ByteBuffer direct = ByteBuffer.allocateDirect(half).put(bytes, 0, half).flip();
            memfd.write(0, direct);
            assertThat(direct.hasRemaining()).isFalse();
            final ByteBuffer heap = ByteBuffer.wrap(bytes, half, bytes.length - half);
            memfd.write(half, heap);
            assertThat(heap.position()).isEqualTo(bytes.length);

            memfd.seal();

            assertThat(memfd.seals()).isEqualTo(SealedMemfd.ALL_SEALS);
            assertThat(memfd.size()).isEqualTo(bytes.length);
            assertThat(new SealedMemfd().check(memfd.fd(), bytes.length)).isEqualTo(SealedMemfd.Verdict.SEALED);
            assertThat(Files.readAllBytes(procFd(memfd.fd()))).isEqualTo(bytes);
        }
    }

    @Test
    void anEmptyMemfdSealsToo() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, 0))
        {
            memfd.write(0, ByteBuffer.allocate(0));
            memfd.seal();
            assertThat(new SealedMemfd().check(memfd.fd(), 0)).isEqualTo(SealedMemfd.Verdict.SEALED);
        }
    }

    @Test
    void onceSealedItCanNeitherBeWrittenNorResized() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, 4096))
        {
            memfd.write(0, ByteBuffer.wrap(new byte[]{1, 2, 3}));
            memfd.seal();

            assertThatThrownBy(() -> memfd.write(0, ByteBuffer.wrap(new byte[]{9})))
                .isInstanceOf(IOException.class).hasMessageContaining("pwrite").hasMessageContaining("errno 1)");
            assertThat(LibC.ftruncate(memfd.fd(), 0)).isEqualTo(-1);
            assertThat(LibC.errno()).isEqualTo(LibC.EPERM);
            assertThat(LibC.ftruncate(memfd.fd(), 8192)).isEqualTo(-1);
            assertThat(LibC.errno()).isEqualTo(LibC.EPERM);
            assertThatThrownBy(memfd::seal).as("F_SEAL_SEAL").isInstanceOf(IOException.class);
            assertThat(Files.readAllBytes(procFd(memfd.fd()))).startsWith(1, 2, 3).hasSize(4096);
        }
    }

    @Test
    void sealingWhileAWritableSharedMappingExistsSaysWhy() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, 4096); Mapping loan = Mapping.readWrite(memfd))
        {
            assertThatThrownBy(memfd::seal).isInstanceOf(IOException.class)
                .hasMessageContaining("writable shared mapping");
            assertThat(memfd.seals()).as("nothing sealed").isZero();
        }
    }

    @Test
    void aWriteOutsideTheSizeIsRefusedSoTheSizeStaysWhatTheFrameSays() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, 10))
        {
            assertThatThrownBy(() -> memfd.write(8, ByteBuffer.wrap(new byte[3])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the memfd's 10 bytes");
            assertThatThrownBy(() -> memfd.write(-1, ByteBuffer.wrap(new byte[1])))
                .isInstanceOf(IllegalArgumentException.class);
            memfd.write(7, ByteBuffer.wrap(new byte[3]));
            assertThat(Files.size(procFd(memfd.fd()))).isEqualTo(10);
        }
        assertThatThrownBy(() -> Memfd.create(NAME, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReleasedDescriptorBelongsToTheCallerAndCloseIsIdempotent() throws IOException
    {
        final Memfd memfd = Memfd.create(NAME, 1);
        assertThat(openedByThisTest()).isEqualTo(openBefore + 1);
        final int fd = memfd.release();
        memfd.close();
        assertThat(openedByThisTest()).as("close after release leaves it open").isEqualTo(openBefore + 1);
        assertThatThrownBy(memfd::fd).isInstanceOf(IllegalStateException.class);
        LibC.close(fd);

        final Memfd other = Memfd.create(NAME, 1);
        other.close();
        other.close();
        assertThat(openedByThisTest()).isEqualTo(openBefore);
    }

    private static Path procFd(final int fd)
    {
        return Path.of("/proc/self/fd/" + fd);
    }

    private static long openedByThisTest() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(MemfdTest::isOurs).count();
        }
    }

    private static boolean isOurs(final Path link)
    {
        try
        {
            return Files.readSymbolicLink(link).toString().startsWith("/memfd:" + NAME);
        }
        catch (final IOException closedMeanwhile)
        {
            return false;
        }
    }
}

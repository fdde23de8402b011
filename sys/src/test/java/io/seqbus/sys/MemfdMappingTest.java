package io.seqbus.sys;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the client's loan and its read-only payloads rely on (docs/design/descriptors.md, "Client"), on real
 * memfds: a memfd filled through a writable shared mapping cannot be sealed while that mapping exists; replacing
 * it in place by a private mapping of the same memfd lets the seal through, keeps the bytes readable at the same
 * address, and turns a stale write into a private copy no subscriber sees; a subscriber's mapping replaced by an anonymous one reads zeros instead of faulting.
 */
class MemfdMappingTest
{
    private static final int LENGTH = 1 << 20;

    private int fd = -1;
    private long address;

    @AfterEach
    void release()
    {
        if (address != 0)
        {
            LibC.munmap(address, LENGTH);
        }
        if (fd >= 0)
        {
            LibC.close(fd);
        }
    }

    @Test
    void aLoanFilledInPlaceIsSealedOnceItsWritableMappingIsReplacedByAPrivateReadOnlyOne()
    {
        fd = LibC.memfd_create("seqbus-loan-spike", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        assertThat(fd).isNotNegative();
        assertThat(LibC.ftruncate(fd, LENGTH)).isZero();
        address = LibC.mmap(0, LENGTH, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        assertThat(address).isNotEqualTo(LibC.MAP_FAILED);
        final UnsafeBuffer loan = new UnsafeBuffer(address, LENGTH);
        for (int i = 0; i < LENGTH; i += 8)
        {
            loan.putLong(i, i * 0x9E3779B97F4A7C15L);
        }

        assertThat(LibC.fcntl(fd, LibC.F_ADD_SEALS, SealedMemfd.ALL_SEALS)).isEqualTo(-1);
        assertThat(LibC.errno()).as("a writable shared mapping blocks F_SEAL_WRITE").isEqualTo(LibC.EBUSY);

        // Private, so never a writable shared mapping; writable, so a stale write by a careless publisher lands
        // in its own copy-on-write page instead of faulting, and never reaches what subscribers map.
        final long same = LibC.mmap(address, LENGTH, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_FIXED, fd, 0);
        assertThat(same).as("replaced in place").isEqualTo(address);
        assertThat(LibC.fcntl(fd, LibC.F_ADD_SEALS, SealedMemfd.ALL_SEALS)).as("now it seals").isZero();
        assertThat(new SealedMemfd().check(fd, LENGTH)).isEqualTo(SealedMemfd.Verdict.SEALED);
        for (int i = 0; i < LENGTH; i += 8)
        {
            if (loan.getLong(i) != i * 0x9E3779B97F4A7C15L)
            {
                throw new AssertionError("byte " + i + " changed");
            }
        }

        loan.putLong(0, 42L); // after publish: a bug, but a harmless one
        final long subscriber = LibC.mmap(0, LENGTH, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
        try
        {
            assertThat(new UnsafeBuffer(subscriber, LENGTH).getLong(0)).as("what a subscriber maps").isZero();
            assertThat(loan.getLong(0)).isEqualTo(42L);
        }
        finally
        {
            LibC.munmap(subscriber, LENGTH);
        }
    }

    @Test
    void aPayloadMappingReplacedByAnAnonymousOneReadsZerosAndFreesTheMemfd()
    {
        fd = LibC.memfd_create("seqbus-payload-spike", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        assertThat(LibC.ftruncate(fd, LENGTH)).isZero();
        final long writer = LibC.mmap(0, LENGTH, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        new UnsafeBuffer(writer, LENGTH).setMemory(0, LENGTH, (byte)7);
        assertThat(LibC.munmap(writer, LENGTH)).isZero();
        assertThat(LibC.fcntl(fd, LibC.F_ADD_SEALS, SealedMemfd.ALL_SEALS)).isZero();

        address = LibC.mmap(0, LENGTH, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
        assertThat(address).as("a sealed memfd maps read-only").isNotEqualTo(LibC.MAP_FAILED);
        final UnsafeBuffer payload = new UnsafeBuffer(address, LENGTH);
        assertThat(payload.getByte(LENGTH - 1)).isEqualTo((byte)7);
        assertThat(LibC.mmap(0, LENGTH, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0))
            .as("never writable again").isEqualTo(LibC.MAP_FAILED);

        // The handler returned: the client lets go of the memfd's pages without leaving a hole a kept buffer
        // would fault on.
        final long replaced = LibC.mmap(address, LENGTH, LibC.PROT_READ,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_FIXED, -1, 0);
        assertThat(replaced).isEqualTo(address);
        assertThat(payload.getByte(LENGTH - 1)).isZero();
        assertThat(payload.getByte(0)).isZero();
    }
}

package io.seqbus.sys;

import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A memfd mapped into this process with mmap(2), and the two ways it ends besides munmap(2):
 * <ul>
 *   <li>a <b>loan</b> ({@link #readWrite}) is filled in place through a writable shared mapping, which F_SEAL_WRITE
 *   refuses (EBUSY) while it exists; {@link #sealInPlace()} replaces it at the same address by a private mapping
 *   of the same memfd, which never counts as writable, then seals. The bytes stay readable where they were, and
 *   a stale write after that lands in a private copy-on-write page that no receiver sees, never a fault;</li>
 *   <li>a received <b>payload</b> ({@link #readOnly}) is a read-only shared mapping; {@link #unmapToZeros()}
 *   replaces it at the same address by an anonymous read-only one: the memfd's pages are let go at once, and a
 *   buffer someone kept reads zeros instead of faulting.</li>
 * </ul>
 * {@link #close()} unmaps: only once no buffer over the range is reachable any more (a read after it crashes the
 * JVM), which is why a payload is first unmapped to zeros and closed later (the client's Cleaner).
 * Kernel facts behind this: {@code MemfdMappingTest}. Not thread-safe; one owner at a time.
 */
public final class Mapping implements AutoCloseable
{
    private final Memfd loan;
    private final long length;
    private long address;
    private boolean writable;

    private Mapping(final long address, final long length, final boolean writable, final Memfd loan)
    {
        this.address = address;
        this.length = length;
        this.writable = writable;
        this.loan = loan;
    }

    /**
     * Maps a payload a receiver got: read-only, shared.
     *
     * @param fd     a memfd (sealed, checked with {@link SealedMemfd}); the mapping outlives it: it may be closed.
     * @param length bytes to map, from 0: the payload size. 0 maps nothing.
     * @return the mapping.
     * @throws IOException when mmap fails (ENOMEM; EACCES for a write-only descriptor).
     */
    public static Mapping readOnly(final int fd, final long length) throws IOException
    {
        return new Mapping(map(fd, length, LibC.PROT_READ), length, false, null);
    }

    /**
     * Maps a loan: read-write, shared, the whole memfd, to fill in place and then {@link #sealInPlace()}.
     *
     * @param memfd an unsealed memfd; it must stay open until {@link #sealInPlace()}.
     * @return the mapping.
     * @throws IOException when mmap fails (EPERM once the memfd is sealed).
     */
    public static Mapping readWrite(final Memfd memfd) throws IOException
    {
        return new Mapping(
            map(memfd.fd(), memfd.size(), LibC.PROT_READ | LibC.PROT_WRITE), memfd.size(), true, memfd);
    }

    /** @return where the range starts; 0 for an empty mapping. */
    public long address()
    {
        return address;
    }

    /** @return bytes mapped. */
    public long length()
    {
        return length;
    }

    /**
     * @return a new buffer over the whole range (position 0, limit the length): writable for a loan before
     * {@link #sealInPlace()}, read-only otherwise. Valid until {@link #close()}.
     */
    public ByteBuffer buffer()
    {
        if (length > Integer.MAX_VALUE)
        {
            throw new IllegalStateException("a ByteBuffer holds at most 2 GiB; this mapping has " + length + " bytes");
        }
        if (address == 0)
        {
            if (length != 0)
            {
                throw new IllegalStateException("mapping closed");
            }
            return ByteBuffer.allocateDirect(0).asReadOnlyBuffer();
        }
        final ByteBuffer buffer = new Pointer(address).getByteBuffer(0, length);
        return writable ? buffer : buffer.asReadOnlyBuffer();
    }

    /**
     * Ends a loan: replaces the writable shared mapping by a private one of the same memfd at the same address
     * (bytes unchanged, still writable but only into copies), then seals the memfd with all four seals. Buffers
     * taken before keep working; what they write from now on nobody else sees.
     *
     * @throws IOException when the remap or the seal fails; the loan can then only be closed.
     */
    public void sealInPlace() throws IOException
    {
        if (loan == null || !writable)
        {
            throw new IllegalStateException("only an unsealed loan (readWrite) is sealed in place");
        }
        if (address != 0 && remap(LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_FIXED, loan.fd()))
        {
            throw LibC.failure("mmap(MAP_PRIVATE | MAP_FIXED) of the loan", LibC.errno());
        }
        writable = false;
        loan.seal();
    }

    /**
     * Lets go of the memfd's pages now and leaves zeros readable in their place, for buffers still reachable.
     *
     * @throws IOException when the kernel cannot make the anonymous mapping (ENOMEM).
     */
    public void unmapToZeros() throws IOException
    {
        if (address != 0 &&
            remap(LibC.PROT_READ, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_FIXED, -1))
        {
            throw LibC.failure("mmap(MAP_ANONYMOUS | MAP_FIXED) over a payload", LibC.errno());
        }
        writable = false;
    }

    /** Unmaps the range: no buffer over it may be used after this. Once is enough, more calls do nothing. */
    @Override
    public void close()
    {
        if (address != 0)
        {
            LibC.munmap(address, length);
            address = 0;
        }
    }

    private boolean remap(final int prot, final int flags, final int fd)
    {
        return LibC.mmap(address, length, prot, flags, fd, 0) != address;
    }

    private static long map(final int fd, final long length, final int prot) throws IOException
    {
        if (length < 0)
        {
            throw new IllegalArgumentException("mapping length must not be negative: " + length);
        }
        if (length == 0)
        {
            return 0; // mmap refuses 0 bytes; an empty payload needs no pages
        }
        final long address = LibC.mmap(0, length, prot, LibC.MAP_SHARED, fd, 0);
        if (address == LibC.MAP_FAILED)
        {
            throw LibC.failure("mmap of " + length + " bytes", LibC.errno());
        }
        return address;
    }
}

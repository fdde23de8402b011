package io.seqbus.sys;

import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One client's shared memory: a memfd the broker makes, sealed against shrinking and growing (so the client can
 * never cut it under the broker's mapping, a SIGBUS), mapped by both, holding a header and two {@link Ring}s:
 * {@code to_client}, which only the broker writes, and {@code from_client}, which only the client writes. The
 * layout is SPEC.md "Shared memory" (docs/design/shared-memory.md has why). Not thread-safe: one owner.
 */
public final class ShmChannel implements AutoCloseable
{
    /** "SEQBSHM1", as a little-endian u64. */
    public static final long MAGIC = ByteBuffer.wrap("SEQBSHM1".getBytes(StandardCharsets.US_ASCII))
        .order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    public static final int VERSION = 1;
    /** Bytes before the first ring: the header and the control words. */
    public static final int HEADER_LENGTH = 4096;
    /** Smallest ring. */
    public static final int MIN_CAPACITY = 4096;
    /** Largest ring: both and the header must fit one ByteBuffer. */
    public static final int MAX_CAPACITY = 1 << 29;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 8;
    static final int HEADER_LENGTH_OFFSET = 12;
    static final int TO_CLIENT_CAPACITY_OFFSET = 16;
    static final int FROM_CLIENT_CAPACITY_OFFSET = 20;
    static final int TO_CLIENT_OFFSET_OFFSET = 24;
    static final int FROM_CLIENT_OFFSET_OFFSET = 32;
    static final int TO_CLIENT_CONTROL = 128;
    static final int FROM_CLIENT_CONTROL = 640;

    private final long size;
    private final Ring toClient;
    private final Ring fromClient;
    private long address;
    private int memfd;

    private ShmChannel(final int memfd, final long address, final long size, final int toClientCapacity,
        final int fromClientCapacity)
    {
        this.memfd = memfd;
        this.address = address;
        this.size = size;
        final ByteBuffer memory = new Pointer(address).getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
        this.toClient = new Ring(memory, TO_CLIENT_CONTROL, HEADER_LENGTH, toClientCapacity);
        this.fromClient = new Ring(memory, FROM_CLIENT_CONTROL, HEADER_LENGTH + toClientCapacity, fromClientCapacity);
    }

    /**
     * @param toClientCapacity   bytes of the broker-to-client ring: a power of two.
     * @param fromClientCapacity bytes of the client-to-broker ring: a power of two.
     * @return the size of the memfd that holds both.
     */
    public static long size(final int toClientCapacity, final int fromClientCapacity)
    {
        return (long)HEADER_LENGTH + toClientCapacity + fromClientCapacity;
    }

    /**
     * The broker's side: a new memfd with the header written, sealed (shrink, grow, seal), mapped.
     *
     * @param toClientCapacity   a power of two, {@link #MIN_CAPACITY}..{@link #MAX_CAPACITY}.
     * @param fromClientCapacity a power of two, {@link #MIN_CAPACITY}..{@link #MAX_CAPACITY}.
     * @return the channel; it owns the memfd until {@link #closeMemfd()} or {@link #close()}.
     * @throws IOException when the kernel refuses (EMFILE, ENOMEM).
     */
    public static ShmChannel create(final int toClientCapacity, final int fromClientCapacity) throws IOException
    {
        checkCapacity(toClientCapacity);
        checkCapacity(fromClientCapacity);
        final long size = size(toClientCapacity, fromClientCapacity);
        final Memfd file = Memfd.create("seqbus-shm", size);
        try
        {
            if (LibC.fcntl(file.fd(), LibC.F_ADD_SEALS, LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_SEAL) != 0)
            {
                throw LibC.failure("sealing the shared-memory memfd", LibC.errno());
            }
            final long address = map(file.fd(), size);
            final ShmChannel channel =
                new ShmChannel(file.release(), address, size, toClientCapacity, fromClientCapacity);
            final ByteBuffer header = channel.toClient.memory;
            header.putLong(MAGIC_OFFSET, MAGIC);
            header.putInt(VERSION_OFFSET, VERSION);
            header.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
            header.putInt(TO_CLIENT_CAPACITY_OFFSET, toClientCapacity);
            header.putInt(FROM_CLIENT_CAPACITY_OFFSET, fromClientCapacity);
            header.putLong(TO_CLIENT_OFFSET_OFFSET, HEADER_LENGTH);
            header.putLong(FROM_CLIENT_OFFSET_OFFSET, (long)HEADER_LENGTH + toClientCapacity);
            return channel;
        }
        finally
        {
            file.close();
        }
    }

    /**
     * The client's side: maps a memfd the broker sent and checks it is what SHM_READY said.
     *
     * @param memfd              the received descriptor; closed here whatever happens (the mapping keeps it).
     * @param toClientCapacity   as SHM_READY states.
     * @param fromClientCapacity as SHM_READY states.
     * @param size               as SHM_READY states.
     * @return the channel.
     * @throws IOException when it is not a channel of that shape, or mmap fails.
     */
    public static ShmChannel map(final int memfd, final int toClientCapacity, final int fromClientCapacity,
        final long size) throws IOException
    {
        try
        {
            checkCapacity(toClientCapacity);
            checkCapacity(fromClientCapacity);
            if (size != size(toClientCapacity, fromClientCapacity))
            {
                throw new IOException("shared memory of " + size + " bytes cannot hold rings of " +
                    toClientCapacity + " and " + fromClientCapacity);
            }
            final int seals = LibC.fcntl(memfd, LibC.F_GET_SEALS, 0);
            final int needed = LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_SEAL;
            if (seals < 0 || (seals & needed) != needed)
            {
                throw new IOException("shared memory is not a memfd sealed against shrinking and growing");
            }
            final long found = sizeOf(memfd);
            if (found != size)
            {
                throw new IOException("shared memory memfd has " + found + " bytes, not " + size);
            }
            final ShmChannel channel =
                new ShmChannel(-1, map(memfd, size), size, toClientCapacity, fromClientCapacity);
            final ByteBuffer header = channel.toClient.memory;
            if (header.getLong(MAGIC_OFFSET) != MAGIC || header.getInt(VERSION_OFFSET) != VERSION ||
                header.getInt(HEADER_LENGTH_OFFSET) != HEADER_LENGTH ||
                header.getInt(TO_CLIENT_CAPACITY_OFFSET) != toClientCapacity ||
                header.getInt(FROM_CLIENT_CAPACITY_OFFSET) != fromClientCapacity ||
                header.getLong(TO_CLIENT_OFFSET_OFFSET) != HEADER_LENGTH ||
                header.getLong(FROM_CLIENT_OFFSET_OFFSET) != (long)HEADER_LENGTH + toClientCapacity)
            {
                channel.close();
                throw new IOException("shared memory header is not a version " + VERSION + " seqbus channel");
            }
            return channel;
        }
        finally
        {
            LibC.close(memfd);
        }
    }

    /** @return the memfd, -1 once closed (the client's is closed as soon as it is mapped). */
    public int memfd()
    {
        return memfd;
    }

    /** @return bytes mapped. */
    public long size()
    {
        return size;
    }

    /** @return the ring only the broker writes. */
    public Ring toClient()
    {
        return toClient;
    }

    /** @return the ring only the client writes. */
    public Ring fromClient()
    {
        return fromClient;
    }

    /** Closes the memfd once it was sent: the mapping keeps the memory. */
    public void closeMemfd()
    {
        if (memfd >= 0)
        {
            LibC.close(memfd);
            memfd = -1;
        }
    }

    /** Unmaps and closes: no ring of it may be used after this. Idempotent. */
    @Override
    public void close()
    {
        closeMemfd();
        if (address != 0)
        {
            LibC.munmap(address, size);
            address = 0;
        }
    }

    private static void checkCapacity(final int capacity)
    {
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("a ring's capacity must be a power of two from " + MIN_CAPACITY +
                " to " + MAX_CAPACITY + ", not " + capacity);
        }
    }

    private static long sizeOf(final int fd) throws IOException
    {
        // A statx of its own: SealedMemfd's buffers are Agrona's, which the client's JVM cannot use.
        final ByteBuffer statx = DirectAddress.allocateAligned(LibC.STATX_SIZE_BYTES);
        final ByteBuffer emptyPath = DirectAddress.allocateAligned(8);
        if (LibC.statx(fd, DirectAddress.of(emptyPath), LibC.AT_EMPTY_PATH, LibC.STATX_SIZE,
            DirectAddress.of(statx)) != 0)
        {
            throw LibC.failure("statx of the shared memory memfd", LibC.errno());
        }
        return statx.getLong(LibC.STATX_SIZE_OFFSET);
    }

    private static long map(final int fd, final long size) throws IOException
    {
        final long address = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (address == LibC.MAP_FAILED)
        {
            throw LibC.failure("mmap of " + size + " bytes of shared memory", LibC.errno());
        }
        return address;
    }
}

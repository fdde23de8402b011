package io.seqbus.sys;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A payload memfd being made: created close-on-exec with sealing allowed, sized once with ftruncate(2), filled
 * with pwrite(2), then sealed with all four seals ({@link SealedMemfd#ALL_SEALS}) so that every receiver maps the
 * same bytes. pwrite rather than a mapping: no writable shared mapping ever exists, so sealing cannot fail
 * EBUSY (a loan, filled in place, is sealed through {@link Mapping#sealInPlace()} instead). pwrite rather than
 * write: the file offset is shared with every process the descriptor is passed to, and stays untouched.
 *
 * <p>This object is the one owner of its descriptor until {@link #release()} hands it on or {@link #close()}
 * closes it. The size is fixed at creation: a write past it is refused, so the size a frame states is the size a
 * receiver finds. Not thread-safe; one owner at a time.
 */
public final class Memfd implements AutoCloseable
{
    /** Heap buffers go to the kernel through a direct buffer of at most this many bytes. */
    private static final int BOUNCE_BYTES = 1 << 20;

    private final long size;
    private int fd;

    private Memfd(final int fd, final long size)
    {
        this.fd = fd;
        this.size = size;
    }

    /**
     * @param name shows in /proc/PID/fd as {@code /memfd:NAME}, for whoever counts descriptors; at most 249 bytes.
     * @param size bytes, 0 or more; they read as zeros until written.
     * @return a new memfd of that size, unsealed.
     * @throws IOException when the kernel refuses (EMFILE: the process is out of descriptors; ENOMEM).
     */
    public static Memfd create(final String name, final long size) throws IOException
    {
        if (size < 0)
        {
            throw new IllegalArgumentException("memfd size must not be negative: " + size);
        }
        final int fd = LibC.memfd_create(name, LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        if (fd < 0)
        {
            throw LibC.failure("memfd_create", LibC.errno());
        }
        if (size > 0 && LibC.ftruncate(fd, size) != 0)
        {
            final int errno = LibC.errno();
            LibC.close(fd);
            throw LibC.failure("ftruncate to " + size + " bytes", errno);
        }
        return new Memfd(fd, size);
    }

    /** @return the descriptor, still owned by this object. */
    public int fd()
    {
        if (fd < 0)
        {
            throw new IllegalStateException("memfd already closed or released");
        }
        return fd;
    }

    /** @return bytes, as created. */
    public long size()
    {
        return size;
    }

    /**
     * Writes what lies between the buffer's position and limit at {@code offset}, and moves the position to the
     * limit. A direct buffer goes to the kernel as it is; a heap buffer through a direct copy.
     *
     * @param offset where in the memfd, from 0.
     * @param src    the bytes.
     * @throws IOException when the kernel refuses: EPERM once sealed.
     */
    public void write(final long offset, final ByteBuffer src) throws IOException
    {
        final int length = src.remaining();
        checkRange(offset, length);
        if (src.isDirect())
        {
            write(offset, DirectAddress.of(src) + src.position(), length);
            src.position(src.limit());
            return;
        }
        final ByteBuffer bounce = ByteBuffer.allocateDirect(Math.min(length, BOUNCE_BYTES));
        long at = offset;
        while (src.hasRemaining())
        {
            bounce.clear();
            final int n = Math.min(bounce.capacity(), src.remaining());
            bounce.put(bounce.position(), src, src.position(), n);
            write(at, DirectAddress.of(bounce), n);
            src.position(src.position() + n);
            at += n;
        }
    }

    /**
     * Writes {@code length} bytes of native memory at {@code offset}.
     *
     * @param offset  where in the memfd, from 0.
     * @param address where the bytes are: direct memory that stays valid during the call.
     * @param length  how many.
     * @throws IOException when the kernel refuses: EPERM once sealed.
     */
    public void write(final long offset, final long address, final long length) throws IOException
    {
        checkRange(offset, length);
        long done = 0;
        while (done < length)
        {
            final long n = LibC.pwrite(fd(), address + done, length - done, offset + done);
            if (n < 0)
            {
                final int errno = LibC.errno();
                if (errno == LibC.EINTR)
                {
                    continue;
                }
                throw LibC.failure("pwrite to memfd", errno);
            }
            done += n;
        }
    }

    /**
     * Adds all four seals: from now on nobody can write, shrink or grow it, nor change its seals.
     *
     * @throws IOException EBUSY while a writable shared mapping of it exists (the message says so); EPERM when it
     *                     was sealed already with F_SEAL_SEAL alone.
     */
    public void seal() throws IOException
    {
        if (LibC.fcntl(fd(), LibC.F_ADD_SEALS, SealedMemfd.ALL_SEALS) != 0)
        {
            final int errno = LibC.errno();
            if (errno == LibC.EBUSY)
            {
                throw new IOException("cannot seal the memfd: a writable shared mapping of it exists " +
                    "(a loan is sealed with Mapping.sealInPlace)");
            }
            throw LibC.failure("fcntl(F_ADD_SEALS)", errno);
        }
    }

    /**
     * @return the seals it carries (F_SEAL_* bits).
     * @throws IOException when F_GET_SEALS fails.
     */
    public int seals() throws IOException
    {
        final int seals = LibC.fcntl(fd(), LibC.F_GET_SEALS, 0);
        if (seals < 0)
        {
            throw LibC.failure("fcntl(F_GET_SEALS)", LibC.errno());
        }
        return seals;
    }

    /**
     * Hands the descriptor on: the caller owns it from now on, and {@link #close()} no longer closes it.
     *
     * @return the descriptor.
     */
    public int release()
    {
        final int released = fd();
        fd = -1;
        return released;
    }

    /** Closes the descriptor unless it was released; once is enough, more calls do nothing. */
    @Override
    public void close()
    {
        if (fd >= 0)
        {
            LibC.close(fd);
            fd = -1;
        }
    }

    private void checkRange(final long offset, final long length)
    {
        if (offset < 0 || length < 0 || offset > size - length)
        {
            throw new IllegalArgumentException(
                "write of " + length + " bytes at " + offset + " outside the memfd's " + size + " bytes");
        }
    }
}

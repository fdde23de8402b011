package io.seqbus.sys;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Checks that a descriptor a publisher passed as a payload is what the protocol promises every subscriber: a
 * memfd sealed against every change (F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_SEAL, read with
 * F_GET_SEALS), readable, of exactly the size the frame states (statx). Only a memfd can hold all four seals: a
 * file of another file system refuses F_GET_SEALS (EINVAL), and a tmpfs file opened by path starts with
 * F_SEAL_SEAL alone, so it can never gain the others. With F_SEAL_WRITE set no writable shared mapping exists
 * or can be made, so the bytes a subscriber maps are the bytes the publisher sealed.
 * Buffers are allocated once; a check allocates nothing. One instance per thread (the broker's agent).
 */
public final class SealedMemfd
{
    /** The four seals a payload memfd must carry. */
    public static final int ALL_SEALS = LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_WRITE;

    /** What a check found; each refusal has its own error code in the protocol. */
    public enum Verdict
    {
        /** A memfd with all four seals, readable, of the stated size. */
        SEALED,
        /** Not a memfd: a regular file, a pipe, a socket... (F_GET_SEALS refused, or not a regular file). */
        NOT_A_MEMFD,
        /** A memfd without all four seals: its bytes could still change. */
        NOT_SEALED,
        /** Sealed, but not of the size the frame states. */
        SIZE_MISMATCH,
        /** Opened write-only (or as a path only): a subscriber could not map it. */
        NOT_READABLE
    }

    private final UnsafeBuffer statx = new UnsafeBuffer(BufferUtil.allocateDirectAligned(LibC.STATX_SIZE_BYTES, 64));
    private final UnsafeBuffer emptyPath = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    private long lastSize = -1;
    private int lastSeals;

    /**
     * @param fd           the descriptor as received.
     * @param expectedSize bytes the frame says the payload has.
     * @return the verdict; the size and seals found stay readable for the error message.
     */
    public Verdict check(final int fd, final long expectedSize)
    {
        lastSize = -1;
        lastSeals = LibC.fcntl(fd, LibC.F_GET_SEALS, 0);
        if (lastSeals < 0)
        {
            return LibC.errno() == LibC.EBADF ? Verdict.NOT_READABLE : Verdict.NOT_A_MEMFD;
        }
        final int accessMode = LibC.fcntl(fd, LibC.F_GETFL, 0);
        if (accessMode < 0 || (accessMode & LibC.O_ACCMODE) == LibC.O_WRONLY)
        {
            return Verdict.NOT_READABLE;
        }
        if (LibC.statx(fd, emptyPath.addressOffset(), LibC.AT_EMPTY_PATH, LibC.STATX_TYPE | LibC.STATX_SIZE,
            statx.addressOffset()) != 0 ||
            (statx.getShort(LibC.STATX_MODE_OFFSET) & LibC.S_IFMT) != LibC.S_IFREG)
        {
            return Verdict.NOT_A_MEMFD;
        }
        if ((lastSeals & ALL_SEALS) != ALL_SEALS)
        {
            return Verdict.NOT_SEALED;
        }
        lastSize = statx.getLong(LibC.STATX_SIZE_OFFSET);
        return lastSize == expectedSize ? Verdict.SEALED : Verdict.SIZE_MISMATCH;
    }

    /** @return the size the last check found, -1 when it did not get that far. */
    public long lastSize()
    {
        return lastSize;
    }

    /** @return the seals the last check found (F_SEAL_* bits), -1 when F_GET_SEALS failed. */
    public int lastSeals()
    {
        return lastSeals;
    }
}

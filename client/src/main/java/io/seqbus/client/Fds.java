package io.seqbus.client;

import io.seqbus.sys.LibC;
import org.newsclub.net.unix.FileDescriptorCast;

import java.io.FileDescriptor;
import java.io.IOException;

/**
 * Descriptor numbers and {@link FileDescriptor} objects, without Unsafe (the client's JVM runs without the flag it
 * needs): junixsocket casts between the two natively. Loaded only when descriptors are used.
 */
final class Fds
{
    /** fcntl: a duplicate at the lowest free number, close-on-exec. */
    private static final int F_DUPFD_CLOEXEC = 1030;

    private Fds()
    {
    }

    /**
     * @return the number the kernel knows the descriptor by.
     * @throws IllegalArgumentException when it is not open.
     */
    static int number(final FileDescriptor descriptor)
    {
        if (descriptor == null || !descriptor.valid())
        {
            throw new IllegalArgumentException("not an open descriptor: " + descriptor);
        }
        try
        {
            return FileDescriptorCast.using(descriptor).as(Integer.class);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read the descriptor's number: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return a FileDescriptor for the number; whoever holds it owns the descriptor.
     */
    static FileDescriptor descriptor(final int fd)
    {
        try
        {
            return FileDescriptorCast.unsafeUsing(fd).getFileDescriptor();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot wrap descriptor " + fd + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return a new descriptor for the same open file, close-on-exec, owned by the caller.
     * @throws IllegalArgumentException when the kernel refuses (EBADF, EMFILE).
     */
    static int duplicate(final int fd)
    {
        final int copy = LibC.fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0)
        {
            final int errno = LibC.errno();
            throw new IllegalArgumentException("cannot duplicate descriptor " + fd + ": " + LibC.strerror(errno) +
                " (errno " + errno + ")");
        }
        return copy;
    }

    static void close(final int fd)
    {
        LibC.close(fd);
    }

    static void close(final int[] fds, final int from, final int count)
    {
        for (int i = from; i < from + count; i++)
        {
            LibC.close(fds[i]);
        }
    }
}

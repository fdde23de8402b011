package io.seqbus.broker.net;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.agrona.UnsafeApi;

import java.io.FileDescriptor;
import java.io.IOException;

/**
 * The few libc calls the broker's socket loop makes itself, bound with JNA's direct mapping:
 * primitive arguments and results only, so a call allocates nothing. Pointers are passed as
 * {@code long} addresses of direct memory; {@code size_t} and {@code ssize_t} are {@code long}
 * (64-bit Linux only, checked when this class loads).
 */
final class LibC
{
    static final int EAGAIN = 11;
    static final int EINTR = 4;

    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x001;
    static final int EPOLLOUT = 0x004;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    static final int EPOLLRDHUP = 0x2000;

    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;

    static final int MSG_PEEK = 0x2;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;

    /** struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16). */
    static final int EPOLL_EVENT_SIZE = Platform.isIntel() ? 12 : 16;
    /** Where epoll_data sits in struct epoll_event. */
    static final int EPOLL_EVENT_DATA_OFFSET = Platform.isIntel() ? 4 : 8;

    private static final long FD_OFFSET = UnsafeApi.objectFieldOffset(FileDescriptor.class, "fd");

    static
    {
        if (!Platform.isLinux() || Native.SIZE_T_SIZE != 8)
        {
            throw new IllegalStateException("seqbus's broker runs on 64-bit Linux only");
        }
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC()
    {
    }

    static native int epoll_create1(int flags);

    static native int epoll_ctl(int epfd, int op, int fd, long event);

    static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMs);

    static native int eventfd(int initval, int flags);

    static native long recv(int fd, long buf, long len, int flags);

    static native long send(int fd, long buf, long len, int flags);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native int close(int fd);

    static native String strerror(int errnum);

    /** Off the hot path (binding): changes a file's mode without following a link at the path. */
    static native int fchmodat(int dirfd, String path, int mode, int flags);

    /** @return errno of this thread's last call above. */
    static int errno()
    {
        return Native.getLastError();
    }

    /**
     * @param what the call that failed, for the message.
     * @param errno its errno.
     * @return an IOException in the words the kernel uses ("Broken pipe").
     */
    static IOException failure(final String what, final int errno)
    {
        return new IOException(strerror(errno) + " (" + what + ", errno " + errno + ")");
    }

    /**
     * @param descriptor an open descriptor.
     * @return its number, as the kernel knows it.
     */
    static int fd(final FileDescriptor descriptor)
    {
        // java.io.FileDescriptor keeps the number private; junixsocket has no public getter either.
        return UnsafeApi.getInt(descriptor, FD_OFFSET);
    }
}

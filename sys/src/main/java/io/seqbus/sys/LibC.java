package io.seqbus.sys;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.agrona.UnsafeApi;

import java.io.FileDescriptor;
import java.io.IOException;

/**
 * The libc calls seqbus makes itself (the broker's socket loop, descriptors, memfds and their mappings), bound
 * with JNA's direct mapping: primitive arguments and results only, so a call allocates nothing. Pointers are
 * passed as {@code long} addresses of direct memory; {@code size_t}, {@code ssize_t} and {@code off_t} are
 * {@code long} (64-bit Linux only, checked when this class loads). Public for the broker's {@code net} package;
 * the names and values are the kernel's, documented in its man pages.
 */
public final class LibC
{
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;

    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;

    public static final int EFD_CLOEXEC = 0x80000;

    public static final int POLLIN = 0x001;
    public static final int POLLERR = 0x008;
    public static final int POLLHUP = 0x010;
    /** Bytes of a struct pollfd: int fd, short events, short revents. */
    public static final int POLLFD_SIZE = 8;
    public static final int EFD_NONBLOCK = 0x800;

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;

    public static final int MSG_PEEK = 0x2;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    public static final int AF_UNIX = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;

    public static final int F_GETFL = 3;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x1;
    public static final int F_SEAL_SHRINK = 0x2;
    public static final int F_SEAL_GROW = 0x4;
    public static final int F_SEAL_WRITE = 0x8;
    public static final int O_ACCMODE = 0x3;
    public static final int O_WRONLY = 0x1;

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x1;
    public static final int MAP_PRIVATE = 0x2;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final long MAP_FAILED = -1;
    public static final int EBUSY = 16;

    public static final int MFD_CLOEXEC = 0x1;
    public static final int MFD_ALLOW_SEALING = 0x2;

    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int STATX_TYPE = 0x1;
    public static final int STATX_SIZE = 0x200;
    /** struct statx is laid out alike on every architecture, unlike struct stat. */
    public static final int STATX_SIZE_BYTES = 256;
    public static final int STATX_MODE_OFFSET = 28;
    public static final int STATX_SIZE_OFFSET = 40;
    public static final int S_IFMT = 0xF000;
    public static final int S_IFREG = 0x8000;

    /** ioctl: bytes of datagrams sent on a socket that its peer has not read yet (AF_UNIX: their skb truesize). */
    public static final long SIOCOUTQ = 0x5411;

    public static final int RLIMIT_NOFILE = 7;

    public static final int EBADF = 9;
    public static final int EINVAL = 22;
    public static final int EPERM = 1;
    /** sendmsg: the sender's user has more descriptors in flight than its RLIMIT_NOFILE. */
    public static final int ETOOMANYREFS = 109;

    /** struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16). */
    public static final int EPOLL_EVENT_SIZE = Platform.isIntel() ? 12 : 16;
    /** Where epoll_data sits in struct epoll_event. */
    public static final int EPOLL_EVENT_DATA_OFFSET = Platform.isIntel() ? 4 : 8;

    static
    {
        if (!Platform.isLinux() || Native.SIZE_T_SIZE != 8)
        {
            throw new IllegalStateException("seqbus's native calls need 64-bit Linux");
        }
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC()
    {
    }

    public static native int epoll_create1(int flags);

    public static native int epoll_ctl(int epfd, int op, int fd, long event);

    public static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMs);

    public static native int eventfd(int initval, int flags);

    /** @param fds address of {@code nfds} struct pollfd ({@link #POLLFD_SIZE} bytes each). */
    public static native int poll(long fds, long nfds, int timeoutMs);

    public static native long recv(int fd, long buf, long len, int flags);

    public static native long send(int fd, long buf, long len, int flags);

    public static native long read(int fd, long buf, long count);

    public static native long write(int fd, long buf, long count);

    /** Writes at {@code offset} without moving the file offset, which a passed descriptor shares with its peers. */
    public static native long pwrite(int fd, long buf, long count, long offset);

    public static native int close(int fd);

    /** Off the hot path (tests, tools): two connected sockets; {@code sv} is the address of two ints. */
    public static native int socketpair(int domain, int type, int protocol, long sv);

    /** @param msg address of a struct msghdr (see {@link ScmRights}). */
    public static native long recvmsg(int fd, long msg, int flags);

    /** @param msg address of a struct msghdr (see {@link ScmRights}). */
    public static native long sendmsg(int fd, long msg, int flags);

    /**
     * fcntl(2) is variadic; bound here with one integer argument, which the x86-64 and AArch64 Linux calling
     * conventions pass as they pass a fixed one. Used for the commands that take an int (or nothing).
     */
    public static native int fcntl(int fd, int cmd, long arg);

    /**
     * statx(2): its struct is the same on every architecture. The path is the address of a C string; an empty
     * one with AT_EMPTY_PATH describes dirfd itself.
     */
    public static native int statx(int dirfd, long path, int flags, int mask, long statxbuf);

    /** ioctl(2) is variadic; bound with one pointer argument, as {@link #fcntl} is. */
    public static native int ioctl(int fd, long request, long argp);

    public static native int memfd_create(String name, int flags);

    public static native int ftruncate(int fd, long length);

    public static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    public static native int munmap(long addr, long length);

    public static native String strerror(int errnum);

    /** @param rlim address of a struct rlimit: two unsigned 64-bit numbers, soft then hard. */
    public static native int getrlimit(int resource, long rlim);

    /** @param rlim address of a struct rlimit: two unsigned 64-bit numbers, soft then hard. */
    public static native int setrlimit(int resource, long rlim);

    /** Off the hot path (binding): changes a file's mode without following a link at the path. */
    public static native int fchmodat(int dirfd, String path, int mode, int flags);

    /** @return errno of this thread's last call above. */
    public static int errno()
    {
        return Native.getLastError();
    }

    /**
     * @param what the call that failed, for the message.
     * @param errno its errno.
     * @return an IOException in the words the kernel uses ("Broken pipe").
     */
    public static IOException failure(final String what, final int errno)
    {
        return new IOException(strerror(errno) + " (" + what + ", errno " + errno + ")");
    }

    /**
     * @param descriptor an open descriptor.
     * @return its number, as the kernel knows it.
     */
    public static int fd(final FileDescriptor descriptor)
    {
        // java.io.FileDescriptor keeps the number private; junixsocket has no public getter either.
        return UnsafeApi.getInt(descriptor, FdField.OFFSET);
    }

    /**
     * Agrona's Unsafe, only when {@link #fd} is called: Unsafe needs {@code --add-exports} on Java 17+, which the
     * broker has and a client's JVM does not (the client gets descriptor numbers from junixsocket instead), so
     * loading LibC must not touch it.
     */
    private static final class FdField
    {
        static final long OFFSET = UnsafeApi.objectFieldOffset(FileDescriptor.class, "fd");
    }
}

package io.seqbus.broker.bridge;

import io.seqbus.sys.LibC;
import org.agrona.UnsafeApi;

import java.io.FileDescriptor;
import java.nio.channels.DatagramChannel;

/**
 * The descriptor number of one of the media driver's UDP sockets, so the broker agent's epoll can watch it. The
 * JDK's {@link DatagramChannel} keeps its {@code FileDescriptor} private; it is read as {@link LibC#fd} reads the
 * number out of a {@code FileDescriptor}: with Agrona's Unsafe, which Aeron already needs the broker's
 * {@code --add-exports java.base/jdk.internal.misc} flag for. Present as {@code fd} in Java 17 and 25.
 */
final class DriverSocketFd
{
    private static final long FD_OFFSET = offset();

    private DriverSocketFd()
    {
    }

    /**
     * @param channel an open datagram channel of the JDK's own implementation.
     * @return its descriptor number, or -1 when this JDK keeps it elsewhere (the agent then looks every millisecond).
     */
    static int of(final DatagramChannel channel)
    {
        if (FD_OFFSET < 0 || !channel.isOpen())
        {
            return -1;
        }
        final Object descriptor = UnsafeApi.getReference(channel, FD_OFFSET);
        return descriptor instanceof FileDescriptor ? LibC.fd((FileDescriptor)descriptor) : -1;
    }

    private static long offset()
    {
        try
        {
            final Class<?> impl = Class.forName("sun.nio.ch.DatagramChannelImpl");
            return UnsafeApi.objectFieldOffset(impl, "fd");
        }
        catch (final ClassNotFoundException | RuntimeException | LinkageError ex)
        {
            return -1;
        }
    }
}

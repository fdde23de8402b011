package io.seqbus.broker;

import io.seqbus.broker.net.SocketFd;
import io.seqbus.sys.LibC;
import io.seqbus.sys.ScmRights;
import io.seqbus.wire.BusSocket;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.WelcomeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A raw client that passes descriptors: it reads and writes its socket with recvmsg/sendmsg (sys {@link ScmRights})
 * as a client with DESCRIPTORS must, for tests that send what no well-behaved client would.
 */
final class FdClient implements AutoCloseable
{
    private final AFUNIXDatagramChannel channel;
    private final int fd;
    private final ScmRights rights = new ScmRights(ScmRights.KERNEL_MAX_DESCRIPTORS);
    private final ByteBuffer in = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
    private final ByteBuffer out = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[Protocol.DEFAULT_MAX_DATAGRAM]);
    private WelcomeFrame welcome;

    /** One datagram and the descriptors that came with it, which the receiver now owns. */
    record Datagram(byte[] bytes, int[] fds, boolean controlTruncated)
    {
        UnsafeBuffer buffer()
        {
            return new UnsafeBuffer(bytes);
        }

        void closeDescriptors()
        {
            for (final int fd : fds)
            {
                LibC.close(fd);
            }
        }
    }

    FdClient(final String socket) throws IOException
    {
        channel = BusSocket.open();
        channel.connect(BusSocket.address(socket));
        channel.configureBlocking(false);
        fd = SocketFd.fdOf(channel);
    }

    /** HELLO with or without DESCRIPTORS; waits for WELCOME. */
    FdClient hello(final boolean descriptors) throws IOException
    {
        return hello(descriptors ? HelloFrame.FLAG_DESCRIPTORS : 0);
    }

    /** HELLO with these client flags; waits for WELCOME. */
    FdClient hello(final int clientFlags) throws IOException
    {
        final int n = HelloFrame.encode(scratch, 0, Protocol.VERSION, Protocol.VERSION, clientFlags, "fd-client", 0, 0);
        send(Arrays.copyOf(scratch.byteArray(), n));
        final Datagram d = receive(5_000);
        if (d == null || Protocol.frameType(d.buffer(), 0) != FrameType.WELCOME)
        {
            throw new IOException("no WELCOME");
        }
        welcome = new WelcomeFrame();
        welcome.wrap(d.buffer(), 0);
        return this;
    }

    WelcomeFrame welcome()
    {
        return welcome;
    }

    /** Sends one datagram with these descriptors attached (the kernel duplicates them; ours stay open). */
    void send(final byte[] datagram, final int... fds) throws IOException
    {
        out.clear();
        out.put(datagram).flip();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (rights.send(fd, out, fds, fds.length) == 0)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IOException("the broker did not take a datagram for 10 s");
            }
            Thread.onSpinWait();
        }
    }

    /** @return the next datagram and its descriptors, or null when none came within the timeout. */
    Datagram receive(final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            in.clear();
            final int n;
            try
            {
                n = rights.receive(fd, in);
            }
            catch (final IOException ex)
            {
                return null;
            }
            if (n < 0)
            {
                return null;
            }
            if (n > 0)
            {
                final byte[] bytes = new byte[n];
                in.flip();
                in.get(bytes);
                final int[] fds = new int[rights.descriptorCount()];
                for (int i = 0; i < fds.length; i++)
                {
                    fds[i] = rights.descriptor(i);
                }
                return new Datagram(bytes, fds, rights.isControlTruncated());
            }
            Thread.onSpinWait();
        }
        return null;
    }

    /** Reads until an ERROR frame comes, closing any descriptors on the way. */
    ErrorFrame awaitError(final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline)
        {
            final Datagram d = receive(Math.max(1, deadline - System.currentTimeMillis()));
            if (d == null)
            {
                break;
            }
            d.closeDescriptors();
            final UnsafeBuffer b = d.buffer();
            for (int at = 0; at < d.bytes().length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.ERROR)
                {
                    final ErrorFrame e = new ErrorFrame();
                    e.wrap(new UnsafeBuffer(Arrays.copyOfRange(d.bytes(), at, d.bytes().length)), 0);
                    return e;
                }
            }
        }
        throw new AssertionError("no ERROR frame within " + timeoutMs + " ms");
    }

    /** @return a PUBLISH_FDS frame as bytes. */
    static byte[] publishFds(final String topic, final int fdCount, final int fdFlags, final long payloadSize,
        final byte[] inline)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[PublishFdsFrame.frameLength(topic.length(), inline.length)]);
        final UnsafeBuffer t = new UnsafeBuffer(topic.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        final int n = PublishFdsFrame.encode(b, 0, t, 0, t.capacity(), fdCount, fdFlags, payloadSize,
            new UnsafeBuffer(inline), 0, inline.length);
        return Arrays.copyOf(b.byteArray(), n);
    }

    /** @return a PUBLISH_FDS frame whose first descriptor is a memfd payload of {@code size} bytes. */
    static byte[] publishMemfd(final String topic, final long size)
    {
        return publishFds(topic, 1, PublishFdsFrame.MEMFD_PAYLOAD, size, new byte[0]);
    }

    /**
     * @param marker a string in the link targets to count (a memfd's name, a file's path).
     * @return descriptors of this process (the broker runs in it) whose /proc/self/fd link contains the marker.
     */
    static int openDescriptors(final String marker)
    {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path link : fds)
            {
                try
                {
                    if (Files.readSymbolicLink(link).toString().contains(marker))
                    {
                        n++;
                    }
                }
                catch (final IOException ignored)
                {
                    // closed while we looked
                }
            }
        }
        catch (final IOException ex)
        {
            throw new AssertionError("cannot list /proc/self/fd", ex);
        }
        return n;
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}

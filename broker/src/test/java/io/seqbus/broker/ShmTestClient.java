package io.seqbus.broker;

import io.seqbus.broker.net.SocketFd;
import io.seqbus.sys.EventFd;
import io.seqbus.sys.LibC;
import io.seqbus.sys.RingReader;
import io.seqbus.sys.RingWriter;
import io.seqbus.sys.ScmRights;
import io.seqbus.sys.ShmChannel;
import io.seqbus.wire.BusSocket;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ShmAttachFrame;
import io.seqbus.wire.ShmFdsFrame;
import io.seqbus.wire.ShmReadyFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A raw shared-memory client built on sys alone (ShmChannel.map, RingWriter, RingReader, EventFd, ScmRights): it
 * does the handshake of SPEC.md "Shared memory" by hand, publishes and receives through the rings, and can write
 * into its from_client ring what no well-behaved client would (through a second mapping of the memfd, {@link #raw}).
 */
final class ShmTestClient implements AutoCloseable
{
    /** from_client.tail in the header (SPEC.md, "The memfd"). */
    static final int FROM_CLIENT_TAIL = 640;
    /** from_client.head, the broker's. */
    static final int FROM_CLIENT_HEAD = 768;
    /** to_client.head, the client's. */
    static final int TO_CLIENT_HEAD = 256;
    /** to_client.reader_sleeping, the client's flag. */
    static final int TO_CLIENT_READER_SLEEPING = 384;
    /** from_client.reader_sleeping, the broker's flag. */
    static final int FROM_CLIENT_READER_SLEEPING = 896;

    private final AFUNIXDatagramChannel channel;
    private final int fd;
    private final ScmRights rights = new ScmRights(ScmRights.KERNEL_MAX_DESCRIPTORS);
    private final ByteBuffer in = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
    private final ByteBuffer out = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[Protocol.DEFAULT_MAX_DATAGRAM]);
    private ShmChannel shm;
    private RingWriter writer;
    private RingReader reader;
    private EventFd clientWake;
    private EventFd brokerWake;
    private long rawAddress;
    private long rawSize;
    private UnsafeBuffer raw;
    private int toClientCapacity;
    private int fromClientCapacity;

    ShmTestClient(final String socket) throws IOException
    {
        channel = BusSocket.open();
        channel.connect(BusSocket.address(socket));
        channel.configureBlocking(false);
        fd = SocketFd.fdOf(channel);
    }

    /**
     * HELLO with DESCRIPTORS and SHARED_MEMORY, then a PING: after WELCOME, SHM_READY comes first if the broker
     * offers rings, else the PONG does (on the socket), so the answer needs no waiting for nothing.
     *
     * @return true when the broker offered rings (mapped, not yet attached).
     */
    boolean hello(final String name) throws IOException
    {
        sendSocket(Arrays.copyOf(scratch.byteArray(), HelloFrame.encode(scratch, 0, Protocol.VERSION,
            Protocol.VERSION, HelloFrame.FLAG_DESCRIPTORS | HelloFrame.FLAG_SHARED_MEMORY, name, 0, 0)));
        final FdClient.Datagram welcome = receiveSocket(5_000);
        if (welcome == null || Protocol.frameType(welcome.buffer(), 0) != FrameType.WELCOME)
        {
            throw new IOException("no WELCOME");
        }
        sendSocket(Arrays.copyOf(scratch.byteArray(), PingFrame.encode(scratch, 0, FrameType.PING, 7)));
        final FdClient.Datagram next = receiveSocket(5_000);
        if (next == null)
        {
            throw new IOException("neither SHM_READY nor PONG");
        }
        if (Protocol.frameType(next.buffer(), 0) != FrameType.SHM_READY)
        {
            next.closeDescriptors();
            return false;
        }
        if (next.fds().length != 3 || next.bytes().length != ShmReadyFrame.LENGTH)
        {
            throw new IOException("SHM_READY with " + next.fds().length + " descriptors");
        }
        final ShmReadyFrame ready = new ShmReadyFrame();
        ready.wrap(next.buffer(), 0);
        toClientCapacity = ready.toClientCapacity();
        fromClientCapacity = ready.fromClientCapacity();
        rawSize = ready.size();
        rawAddress = LibC.mmap(0, rawSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, next.fds()[0], 0);
        if (rawAddress == LibC.MAP_FAILED)
        {
            throw new IOException("mmap failed");
        }
        raw = new UnsafeBuffer(rawAddress, (int)rawSize);
        shm = ShmChannel.map(next.fds()[0], toClientCapacity, fromClientCapacity, rawSize);
        clientWake = EventFd.of(next.fds()[1]);
        brokerWake = EventFd.of(next.fds()[2]);
        writer = shm.fromClient().writer();
        reader = shm.toClient().reader(Protocol.DEFAULT_MAX_DATAGRAM);
        // Everything after SHM_READY comes through the ring: the PONG too.
        final byte[] pong = receiveRing(5_000);
        if (pong == null || Protocol.frameType(new UnsafeBuffer(pong), 0) != FrameType.PONG)
        {
            throw new IOException("no PONG in to_client after SHM_READY");
        }
        return true;
    }

    /** SHM_ATTACH, the last frame on the socket. */
    void attach() throws IOException
    {
        sendSocket(Arrays.copyOf(scratch.byteArray(), ShmAttachFrame.encode(scratch, 0)));
    }

    /** @return a second mapping of the memfd, to write what the rings' writer would not. */
    UnsafeBuffer raw()
    {
        return raw;
    }

    int toClientCapacity()
    {
        return toClientCapacity;
    }

    int fromClientCapacity()
    {
        return fromClientCapacity;
    }

    /** @return where from_client's records start in {@link #raw}. */
    int fromClientBase()
    {
        return ShmChannel.HEADER_LENGTH + toClientCapacity;
    }

    /**
     * Writes one datagram as a record of from_client, waking the broker if it sleeps.
     *
     * @return true when the broker said it slept, so broker_wake was signalled.
     */
    boolean publishRing(final byte[] datagram) throws IOException
    {
        return writeRecord(datagram, RingWriter.FRAMES);
    }

    boolean writeRecord(final byte[] body, final int type) throws IOException
    {
        out.clear();
        out.put(body).flip();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!writer.write(out, type))
        {
            if (System.nanoTime() > deadline)
            {
                throw new IOException("from_client stayed full for 10 s");
            }
            Thread.onSpinWait();
        }
        if (shm.fromClient().takeReaderSleeping())
        {
            brokerWake.signal();
            return true;
        }
        return false;
    }

    /**
     * One record if it fits now (no waiting).
     *
     * @return false when from_client is full.
     */
    boolean tryPublishRing(final byte[] datagram) throws IOException
    {
        out.clear();
        out.put(datagram).flip();
        if (!writer.write(out, RingWriter.FRAMES))
        {
            return false;
        }
        if (shm.fromClient().takeReaderSleeping())
        {
            brokerWake.signal();
        }
        return true;
    }

    /** @return the signals on client_wake since the last call. */
    long drainClientWake()
    {
        return clientWake.drain();
    }

    /** Wakes the broker as a client that wrote would (after a raw write). */
    void wakeBroker()
    {
        brokerWake.signal();
    }

    /** @return the next datagram of to_client, or null when none came within the timeout. */
    byte[] receiveRing(final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        do
        {
            in.clear();
            final int n = reader.read(in);
            if (n > 0)
            {
                if (shm.toClient().takeWriterWaiting())
                {
                    brokerWake.signal();
                }
                final byte[] bytes = new byte[n];
                in.get(0, bytes);
                return bytes;
            }
            Thread.onSpinWait();
        }
        while (System.nanoTime() < deadline);
        return null;
    }

    /** @return true when to_client holds a record now. */
    boolean ringHasInput() throws IOException
    {
        return !reader.isEmpty();
    }

    /** Reads to_client until an ERROR frame comes. */
    ErrorFrame awaitRingError(final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline)
        {
            final byte[] d = receiveRing(Math.max(1, deadline - System.currentTimeMillis()));
            if (d == null)
            {
                break;
            }
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.ERROR)
                {
                    final ErrorFrame e = new ErrorFrame();
                    e.wrap(new UnsafeBuffer(Arrays.copyOfRange(d, at, d.length)), 0);
                    return e;
                }
            }
        }
        throw new AssertionError("no ERROR frame in to_client within " + timeoutMs + " ms");
    }

    /** Sends one datagram on the socket with these descriptors. */
    void sendSocket(final byte[] datagram, final int... fds) throws IOException
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

    /** An SHM_FDS datagram saying {@code count}, with these descriptors. */
    void sendShmFds(final int count, final int... fds) throws IOException
    {
        sendSocket(Arrays.copyOf(scratch.byteArray(), ShmFdsFrame.encode(scratch, 0, count)), fds);
    }

    /** @return the next socket datagram, or null on timeout or end of stream. */
    FdClient.Datagram receiveSocket(final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            in.clear();
            final int n = rights.receive(fd, in);
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
                return new FdClient.Datagram(bytes, fds, rights.isControlTruncated());
            }
            Thread.onSpinWait();
        }
        return null;
    }

    /** @return true once the broker closed the socket (end of stream, nothing left unread). */
    boolean isClosedByBroker() throws IOException
    {
        in.clear();
        final int n = rights.receive(fd, in);
        rights.closeReceived();
        return n < 0;
    }

    /** Closes the socket alone, keeping the mapping and eventfds: as a client killed with its memory inspected. */
    void closeSocket() throws IOException
    {
        channel.close();
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
        if (shm != null)
        {
            shm.close();
            clientWake.close();
            brokerWake.close();
            LibC.munmap(rawAddress, rawSize);
            shm = null;
        }
    }
}

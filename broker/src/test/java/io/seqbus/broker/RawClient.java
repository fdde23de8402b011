package io.seqbus.broker;

import io.seqbus.wire.BusSocket;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client that speaks raw bytes, for tests that send what no well-behaved client would.
 */
final class RawClient implements AutoCloseable
{
    private final AFUNIXDatagramChannel channel;
    private final ByteBuffer in = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(512 * 1024));
    private java.nio.channels.Selector selector;
    private java.nio.channels.SelectionKey key;

    RawClient(final String socket) throws IOException
    {
        channel = BusSocket.open();
        channel.connect(BusSocket.address(socket));
        channel.configureBlocking(false);
    }

    /** Sends HELLO and waits for WELCOME. */
    RawClient hello() throws IOException
    {
        return hello("raw");
    }

    /** Sends HELLO with this client name and waits for WELCOME. */
    RawClient hello(final String name) throws IOException
    {
        return hello(name, 0);
    }

    /** Sends HELLO with this client name and client_flags (no SESSION) and waits for WELCOME. */
    RawClient hello(final String name, final int clientFlags) throws IOException
    {
        final int n = HelloFrame.encode(out, 0, 1, 1, clientFlags, name, 0, 0);
        send(out, n);
        final byte[] welcome = receive(5_000);
        if (welcome == null || Protocol.frameType(new UnsafeBuffer(welcome), 0) != FrameType.WELCOME)
        {
            throw new IOException("no WELCOME");
        }
        return this;
    }

    UnsafeBuffer scratch()
    {
        return out;
    }

    void send(final UnsafeBuffer buffer, final int length) throws IOException
    {
        final ByteBuffer bb = ByteBuffer.allocateDirect(length);
        buffer.getBytes(0, bb, length);
        bb.flip();
        while (bb.hasRemaining())
        {
            if (channel.write(bb) == 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    void send(final byte[] bytes) throws IOException
    {
        send(new UnsafeBuffer(bytes), bytes.length);
    }

    /**
     * One non-blocking send.
     *
     * @return true when the kernel took the datagram, false when its queue is full.
     */
    boolean trySend(final byte[] bytes) throws IOException
    {
        return channel.write(ByteBuffer.wrap(bytes)) > 0;
    }

    /**
     * Reads and drops datagrams until none has come for {@code quietMs}.
     *
     * @return datagrams read.
     */
    int drain(final long quietMs) throws IOException
    {
        int n = 0;
        while (receive(quietMs) != null)
        {
            n++;
        }
        return n;
    }

    /**
     * @return the next datagram, or null if none came within the timeout or the broker closed.
     */
    byte[] receive(final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            in.clear();
            final int n;
            try
            {
                n = channel.read(in);
            }
            catch (final IOException ex)
            {
                return null;
            }
            if (n > 0)
            {
                final byte[] bytes = new byte[n];
                in.flip();
                in.get(bytes);
                return bytes;
            }
            Thread.onSpinWait();
        }
        return null;
    }

    /**
     * Reads datagrams until an ERROR frame comes and returns it, decoded.
     */
    ErrorFrame awaitError(final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline)
        {
            final byte[] d = receive(deadline - System.currentTimeMillis());
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
                    e.wrap(new UnsafeBuffer(java.util.Arrays.copyOfRange(d, at, d.length)), 0);
                    return e;
                }
            }
        }
        throw new AssertionError("no ERROR frame within " + timeoutMs + " ms");
    }

    /**
     * @return true once the broker has closed this connection: poll reports a hang-up, which
     *         junixsocket shows as a cancelled key (a read cannot tell EOF from "nothing yet").
     */
    boolean isClosedByBroker() throws IOException
    {
        if (selector == null)
        {
            selector = channel.provider().openSelector();
            key = channel.register(selector, java.nio.channels.SelectionKey.OP_READ);
        }
        selector.selectNow();
        return !key.isValid();
    }

    /** Every frame type of every datagram received within the timeout. */
    List<Integer> frameTypes(final long timeoutMs) throws IOException
    {
        final List<Integer> types = new ArrayList<>();
        byte[] d;
        while ((d = receive(timeoutMs)) != null)
        {
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                types.add(Protocol.frameType(b, at));
            }
        }
        return types;
    }

    @Override
    public void close() throws IOException
    {
        if (selector != null)
        {
            selector.close();
        }
        channel.close();
    }
}

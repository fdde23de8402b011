package io.seqbus.broker;

import io.seqbus.wire.BusSocket;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One raw connection of the fuzzer. After each datagram it sends a PING and waits until the
 * broker answers PONG (it took the datagram and goes on) or a fatal ERROR (it refused it and
 * closes the connection), so that every datagram sent is one the broker read, not one still
 * queued in the kernel when the connection went. It reads and throws away everything else,
 * so a fuzzing subscriber never holds publishers back.
 */
final class FuzzConnection implements AutoCloseable
{
    private static final long ANSWER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long TOKEN_BASE = 0x7E57_0000_0000_0000L;

    private final AFUNIXDatagramChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(2 * Protocol.DEFAULT_MAX_DATAGRAM);
    private final ByteBuffer in;
    private final UnsafeBuffer inView = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer ping = new UnsafeBuffer(new byte[PingFrame.LENGTH]);
    private long nextToken = TOKEN_BASE;
    private long pongToken;
    private boolean fatalError;

    FuzzConnection(final String socket, final ByteBuffer in) throws IOException
    {
        this.in = in;
        inView.wrap(in);
        channel = BusSocket.open();
        try
        {
            channel.connect(BusSocket.address(socket));
            channel.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * Sends one datagram and waits for the broker's verdict on it.
     *
     * @return true when the broker goes on with this connection, false when it closed it.
     * @throws IOException when the broker gave neither PONG nor a fatal ERROR within 10 s.
     */
    boolean sendAndSync(final byte[] datagram) throws IOException
    {
        try
        {
            write(datagram, datagram.length);
            final long token = ++nextToken;
            PingFrame.encode(ping, 0, FrameType.PING, token);
            write(ping.byteArray(), PingFrame.LENGTH);
            final long deadline = System.nanoTime() + ANSWER_TIMEOUT_NS;
            while (pongToken != token && !fatalError)
            {
                if (read() == 0)
                {
                    if (System.nanoTime() - deadline > 0)
                    {
                        throw new IOException("neither PONG nor a fatal ERROR within 10 s");
                    }
                    LockSupport.parkNanos(20_000);
                }
            }
            return !fatalError;
        }
        catch (final IOException ex)
        {
            if (fatalError || (ex.getMessage() != null && ex.getMessage().startsWith("neither")))
            {
                throw ex;
            }
            // Broken pipe or reset: read what came before it.
            return !drainAfterClose();
        }
    }

    private boolean drainAfterClose()
    {
        try
        {
            while (read() > 0)
            {
                if (fatalError)
                {
                    return true;
                }
            }
        }
        catch (final IOException ignore)
        {
            // the connection is gone either way
        }
        return true;
    }

    private void write(final byte[] bytes, final int length) throws IOException
    {
        out.clear();
        out.put(bytes, 0, length).flip();
        final long deadline = System.nanoTime() + ANSWER_TIMEOUT_NS;
        while (channel.write(out) == 0 && length > 0)
        {
            read();
            if (System.nanoTime() - deadline > 0)
            {
                throw new IOException("neither PONG nor a fatal ERROR within 10 s (socket full)");
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /** Reads one datagram if there is one and notes PONGs and fatal ERRORs in it. @return its length. */
    private int read() throws IOException
    {
        in.clear();
        final int n = channel.read(in);
        for (int at = 0; at + Protocol.HEADER_LENGTH <= n; )
        {
            final int length = Protocol.frameLength(inView, at);
            final int type = Protocol.frameType(inView, at);
            if (type == FrameType.PONG)
            {
                pongToken = inView.getLong(at + PingFrame.TOKEN_OFFSET, Protocol.BYTE_ORDER);
            }
            else if (type == FrameType.ERROR && inView.getByte(at + ErrorFrame.FATAL_OFFSET) != 0)
            {
                fatalError = true;
            }
            if (length < Protocol.HEADER_LENGTH)
            {
                throw new IOException("the broker sent a frame of length " + length);
            }
            at += length;
        }
        return Math.max(n, 0);
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}

package io.seqbus.broker.metrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One accepted connection of the metrics endpoint: reads one request head, writes one reply, then
 * closes. Every step has a deadline, so a client that stops sending or stops reading holds a
 * connection for a bounded time; the loop closes it when {@link #expired} says so.
 */
final class HttpConnection
{
    /** From accept to a complete request head. */
    static final long REQUEST_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /** From a complete request to the reply's last byte taken by the kernel. */
    static final long WRITE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    // After the reply: how long to wait for the client's end of stream. Closing while bytes the client
    // sent are still unread makes the kernel send a reset, which can destroy the reply before the
    // client reads it; reading them first (as nginx's lingering close does) avoids that.
    private static final long LINGER_NS = TimeUnit.SECONDS.toNanos(1);

    private enum State
    {
        READING, WRITING, DRAINING
    }

    private final SocketChannel channel;
    private final RequestHead head = new RequestHead();
    private State state = State.READING;
    private ByteBuffer reply;
    private long deadlineNs;

    HttpConnection(final SocketChannel channel, final long nowNs)
    {
        this.channel = channel;
        this.deadlineNs = nowNs + REQUEST_TIMEOUT_NS;
    }

    /**
     * Does what the socket is ready for: reads, answers, writes or drains.
     *
     * @param routes what to answer to a request.
     * @param nowNs  {@link System#nanoTime()} now.
     * @return false when the connection is done and is to be closed.
     * @throws IOException when the socket fails; the connection is to be closed.
     */
    boolean advance(final Function<RequestHead.Request, HttpReply> routes, final long nowNs) throws IOException
    {
        return switch (state)
        {
            case READING -> read(routes, nowNs);
            case WRITING -> write(nowNs);
            case DRAINING -> drain();
        };
    }

    /**
     * @return the selection key operations the connection waits for now.
     */
    int interestOps()
    {
        return state == State.WRITING ? SelectionKey.OP_WRITE : SelectionKey.OP_READ;
    }

    /**
     * @return when the current step must be over, as {@link System#nanoTime()}.
     */
    long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * @param nowNs {@link System#nanoTime()} now.
     * @return true when the current step took too long.
     */
    boolean expired(final long nowNs)
    {
        return nowNs - deadlineNs >= 0;
    }

    void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // closed either way: the descriptor is released
        }
    }

    private boolean read(final Function<RequestHead.Request, HttpReply> routes, final long nowNs)
        throws IOException
    {
        if (channel.read(head.buffer()) < 0)
        {
            return false; // the client gave up before its request was complete
        }
        HttpReply answer;
        boolean withBody = true;
        try
        {
            final RequestHead.Request request = head.parse();
            if (request == null)
            {
                return true;
            }
            answer = routes.apply(request);
            withBody = !request.isHead();
        }
        catch (final HttpError ex)
        {
            answer = ex.reply();
        }
        reply = answer.encode(withBody);
        state = State.WRITING;
        deadlineNs = nowNs + WRITE_TIMEOUT_NS;
        return write(nowNs);
    }

    private boolean write(final long nowNs) throws IOException
    {
        channel.write(reply);
        if (reply.hasRemaining())
        {
            return true;
        }
        reply = null;
        channel.shutdownOutput();
        state = State.DRAINING;
        deadlineNs = nowNs + LINGER_NS;
        return true;
    }

    private boolean drain() throws IOException
    {
        final ByteBuffer scratch = head.buffer();
        scratch.clear();
        return channel.read(scratch) >= 0;
    }
}

package io.seqbus.ops;

import io.seqbus.client.ErrorCode;
import io.seqbus.wire.BusSocket;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.StatReplyFrame;
import io.seqbus.wire.StatRequestFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Asks a broker for its statistics over its own socket: HELLO once, then a STAT_REQUEST per document, its
 * STAT_REPLY chunks put back together (SPEC.md). One connection serves every request of a live view, so a
 * view refreshing each second is one client to the broker, not a connect and a disconnect each second.
 * Blocking, as a command-line tool may be. The client jar has no use for it, so it lives here.
 */
public final class StatClient implements AutoCloseable
{
    /** The name it gives in HELLO: live views leave their own row out by it and by their pid. */
    static final String CLIENT_NAME = "seqbus-stat";
    /**
     * How long a request waits for its whole STAT_REPLY. A broker answers within a duty cycle; one that does not
     * answer in this long is wedged, and {@code seqbus stat}, {@code top} and {@code reload} say so rather than
     * hang with it.
     */
    public static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
    private static final int READ_BUFFER = 196_608 + 1;

    private final AFUNIXDatagramChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(256);
    private final UnsafeBuffer outBuffer = new UnsafeBuffer(out);
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
    private final UnsafeBuffer inBuffer = new UnsafeBuffer(in);
    private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_BROKER);
    private final StatReplyFrame reply = new StatReplyFrame();
    private final ErrorFrame error = new ErrorFrame();
    private final long replyTimeoutNs;
    private boolean helloSent;
    private int requestId = (int)ProcessHandle.current().pid();

    private StatClient(final AFUNIXDatagramChannel channel, final Duration replyTimeout)
    {
        this.channel = channel;
        this.replyTimeoutNs = replyTimeout.toNanos();
    }

    /**
     * @param socket broker socket path or {@code @name}.
     * @return a connection to ask on; HELLO goes with the first request.
     * @throws IOException when the broker cannot be reached.
     */
    public static StatClient connect(final String socket) throws IOException
    {
        return connect(socket, REPLY_TIMEOUT);
    }

    /**
     * @param socket       broker socket path or {@code @name}.
     * @param replyTimeout how long each request waits for its whole STAT_REPLY.
     * @return a connection to ask on; HELLO goes with the first request.
     * @throws IOException when the broker cannot be reached.
     */
    static StatClient connect(final String socket, final Duration replyTimeout) throws IOException
    {
        return new StatClient(BusSocket.connect(socket), replyTimeout);
    }

    /**
     * @param socket    broker socket path or {@code @name}.
     * @param statFlags {@link StatRequestFrame#NO_CLIENTS}, {@link StatRequestFrame#NO_TOPICS}, or 0.
     * @return the JSON document.
     * @throws IOException when the broker cannot be reached or answers with an ERROR.
     */
    public static String request(final String socket, final int statFlags) throws IOException
    {
        try (StatClient client = connect(socket))
        {
            return client.request(statFlags);
        }
    }

    /**
     * @param statFlags {@link StatRequestFrame#NO_CLIENTS}, {@link StatRequestFrame#NO_TOPICS}, or 0.
     * @return the JSON document.
     * @throws IOException when the broker is gone or answers with an ERROR.
     */
    public String request(final int statFlags) throws IOException
    {
        int length = 0;
        if (!helloSent)
        {
            // HELLO and the first request in one datagram: one round trip for a one-off `seqbus stat`.
            length = HelloFrame.encode(outBuffer, 0, Protocol.VERSION, Protocol.VERSION, CLIENT_NAME);
            helloSent = true;
        }
        final int id = ++requestId;
        length += StatRequestFrame.encode(outBuffer, length, statFlags, id);
        out.clear().limit(length);
        channel.write(out);

        byte[] document = null;
        int received = 0;
        final long deadlineNs = System.nanoTime() + replyTimeoutNs;
        while (document == null || received < document.length)
        {
            in.clear();
            final long leftNs = deadlineNs - System.nanoTime();
            // junixsocket's channel read returns -1 when SO_TIMEOUT passes, as it does at the end of the stream:
            // the clock tells the two apart.
            channel.socket().setSoTimeout((int)Math.max(1, TimeUnit.NANOSECONDS.toMillis(leftNs)));
            final int n = leftNs > 0 ? channel.read(in) : -1;
            if (n <= 0)
            {
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    throw new IOException("the broker did not answer a STAT_REQUEST within " +
                        TimeUnit.NANOSECONDS.toMillis(replyTimeoutNs) + " ms (is it wedged? its log and /health " +
                        "say more)");
                }
                throw new IOException("the broker closed the connection before its STAT_REPLY was complete");
            }
            if (validator.validate(inBuffer, 0, n) != 0)
            {
                throw new IOException("malformed datagram from the broker: " + validator.errorReason());
            }
            for (int at = 0; at < n; at += Protocol.frameLength(inBuffer, at))
            {
                final int type = Protocol.frameType(inBuffer, at);
                if (type == FrameType.ERROR)
                {
                    error.wrap(inBuffer, at);
                    throw new IOException("broker refused: " + ErrorCode.name(error.code()) + ": " + error.reason());
                }
                if (type != FrameType.STAT_REPLY)
                {
                    continue;
                }
                reply.wrap(inBuffer, at);
                if (reply.requestId() != id)
                {
                    continue;
                }
                if (document == null)
                {
                    document = new byte[reply.totalLength()];
                }
                if (reply.chunkOffset() != received || received + reply.chunkLength() > document.length)
                {
                    throw new IOException("STAT_REPLY chunk at " + reply.chunkOffset() + " out of order");
                }
                inBuffer.getBytes(reply.chunkIndex(), document, received, reply.chunkLength());
                received += reply.chunkLength();
            }
        }
        return new String(document, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}

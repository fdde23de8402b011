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

/**
 * Asks a broker for its statistics over its own socket: HELLO and STAT_REQUEST in one datagram,
 * then the STAT_REPLY chunks put back together (SPEC.md). One request per connection; blocking,
 * as a command-line tool may be. The client jar has no use for it, so it lives here.
 */
public final class StatClient
{
    private static final int READ_BUFFER = 196_608 + 1;

    private StatClient()
    {
    }

    /**
     * @param socket    broker socket path or {@code @name}.
     * @param statFlags {@link StatRequestFrame#NO_CLIENTS}, {@link StatRequestFrame#NO_TOPICS}, or 0.
     * @return the JSON document.
     * @throws IOException when the broker cannot be reached or answers with an ERROR.
     */
    public static String request(final String socket, final int statFlags) throws IOException
    {
        try (AFUNIXDatagramChannel channel = BusSocket.connect(socket))
        {
            final ByteBuffer out = ByteBuffer.allocateDirect(256);
            final UnsafeBuffer outBuffer = new UnsafeBuffer(out);
            int length = HelloFrame.encode(outBuffer, 0, Protocol.VERSION, Protocol.VERSION, "seqbus-stat");
            final int requestId = (int)ProcessHandle.current().pid();
            length += StatRequestFrame.encode(outBuffer, length, statFlags, requestId);
            out.limit(length);
            channel.write(out);

            final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
            final UnsafeBuffer inBuffer = new UnsafeBuffer(in);
            final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_BROKER);
            final StatReplyFrame reply = new StatReplyFrame();
            final ErrorFrame error = new ErrorFrame();
            byte[] document = null;
            int received = 0;
            while (document == null || received < document.length)
            {
                in.clear();
                final int n = channel.read(in);
                if (n <= 0)
                {
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
                    if (reply.requestId() != requestId)
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
    }
}

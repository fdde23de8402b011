package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SafeBuffer;

import java.nio.ByteBuffer;

/**
 * The bytes of the outbound batch and how they leave: one datagram of whole frames at most max_datagram
 * long. Used only under the {@link Outbound} lock.
 */
final class Batch
{
    private final Connection connection;
    private final SafeBuffer outBuffer = new SafeBuffer();
    private ByteBuffer outByteBuffer;
    private int outPosition;

    Batch(final Connection connection)
    {
        this.connection = connection;
        outByteBuffer = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM);
        outBuffer.wrap(outByteBuffer);
    }

    /**
     * @return the buffer to encode the next frame into, at {@link #position()}.
     */
    SafeBuffer buffer()
    {
        return outBuffer;
    }

    int position()
    {
        return outPosition;
    }

    /** The frame just encoded at {@link #position()} joins the batch. */
    void advance(final int frameLength)
    {
        outPosition += frameLength;
    }

    boolean isEmpty()
    {
        return outPosition == 0;
    }

    /** Drops everything, when the client closes for good. */
    void clear()
    {
        outPosition = 0;
    }

    /** True when the batch has room for a frame of this length, after trying to send it. */
    boolean reserve(final int frameLength)
    {
        final int limit = connection.maxDatagram();
        if (frameLength > limit)
        {
            throw new IllegalArgumentException(
                "frame of " + frameLength + " bytes is larger than the broker's max_datagram of " + limit);
        }
        if (outPosition + frameLength <= limit)
        {
            return true;
        }
        send();
        return outPosition + frameLength <= limit;
    }

    /**
     * Writes the batch if connected: one datagram of whole frames at most max_datagram long.
     *
     * @return datagrams written.
     */
    int send()
    {
        int datagrams = 0;
        while (outPosition > 0 && connection.state() == Connection.CONNECTED && connection.writeFailure() == null)
        {
            final int maxDatagram = connection.maxDatagram();
            int length = outPosition;
            if (length > maxDatagram)
            {
                // Only after a reconnect to a broker with a smaller max_datagram.
                length = 0;
                while (length + Protocol.frameLength(outBuffer, length) <= maxDatagram)
                {
                    length += Protocol.frameLength(outBuffer, length);
                }
                if (length == 0)
                {
                    final int tooLarge = Protocol.frameLength(outBuffer, 0);
                    outBuffer.putBytes(0, outBuffer, tooLarge, outPosition - tooLarge);
                    outPosition -= tooLarge;
                    continue;
                }
            }
            outByteBuffer.clear().limit(length);
            if (!connection.write(outByteBuffer))
            {
                break;
            }
            if (length < outPosition)
            {
                outBuffer.putBytes(0, outBuffer, length, outPosition - length);
            }
            outPosition -= length;
            datagrams++;
        }
        return datagrams;
    }

    /**
     * @return the PUBLISH frames in the batch: at close, what was accepted and will not be sent.
     */
    int countPublishes()
    {
        int count = 0;
        for (int at = 0; at < outPosition; at += Protocol.frameLength(outBuffer, at))
        {
            if (Protocol.frameType(outBuffer, at) == FrameType.PUBLISH)
            {
                count++;
            }
        }
        return count;
    }

    /**
     * In the handshake: keeps only the PUBLISH frames (SUBSCRIBE, UNSUBSCRIBE, PING and PONG belonged to the
     * old connection; live subscriptions were just sent and a waiting sync pings again).
     */
    void keepOnlyPublishes()
    {
        int kept = 0;
        for (int at = 0; at < outPosition; )
        {
            final int length = Protocol.frameLength(outBuffer, at);
            if (Protocol.frameType(outBuffer, at) == FrameType.PUBLISH)
            {
                if (kept != at)
                {
                    outBuffer.putBytes(kept, outBuffer, at, length);
                }
                kept += length;
            }
            at += length;
        }
        outPosition = kept;
    }

    /** On WELCOME: room for the broker's max_datagram, keeping what is in the batch. */
    void ensureCapacity(final int maxDatagram)
    {
        if (maxDatagram > outByteBuffer.capacity())
        {
            final ByteBuffer larger = ByteBuffer.allocateDirect(maxDatagram);
            final SafeBuffer largerBuffer = new SafeBuffer(larger);
            largerBuffer.putBytes(0, outBuffer, 0, outPosition);
            outByteBuffer = larger;
            outBuffer.wrap(larger);
        }
    }
}

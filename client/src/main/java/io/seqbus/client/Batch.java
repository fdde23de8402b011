package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.SafeBuffer;

import java.nio.ByteBuffer;

/**
 * The bytes of the outbound batch and how they leave: one datagram of whole frames at most max_datagram
 * long. Used only under the {@link Outbound} lock.
 * <p>
 * The batch owns the descriptors of its PUBLISH_FDS frames, in frame order (each frame the next {@code fd_count}),
 * and closes them once the datagram that carries them is sent (the broker got its own copies) or the frame is
 * dropped; at most {@code max_descriptors_per_datagram} go in one datagram.
 */
final class Batch
{
    private final Connection connection;
    private final SafeBuffer outBuffer = new SafeBuffer();
    private ByteBuffer outByteBuffer;
    private int outPosition;
    // The descriptors of the PUBLISH_FDS frames in the batch, in frame order: the first fdsHeld of fds.
    private int[] fds = new int[0];
    private int fdsHeld;

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

    /** Drops everything, when the client closes for good; closes the descriptors it held. */
    void clear()
    {
        outPosition = 0;
        closeFds(fdsHeld);
    }

    /** The PUBLISH_FDS frame just encoded at {@link #position()} owns these descriptors, which the batch now owns. */
    void advance(final int frameLength, final int[] frameFds, final int count)
    {
        if (fdsHeld + count > fds.length)
        {
            fds = java.util.Arrays.copyOf(fds, Math.max(fdsHeld + count, 2 * fds.length));
        }
        System.arraycopy(frameFds, 0, fds, fdsHeld, count);
        fdsHeld += count;
        outPosition += frameLength;
    }

    /** @return descriptors waiting in the batch. */
    int fdCount()
    {
        return fdsHeld;
    }

    /** True when the batch has room for a frame of this length, after trying to send it. */
    boolean reserve(final int frameLength)
    {
        return reserve(frameLength, 0);
    }

    /** True when the batch has room for a frame of this length and descriptors, after trying to send it. */
    boolean reserve(final int frameLength, final int fdCount)
    {
        final int limit = connection.maxOutDatagram();
        if (frameLength > limit)
        {
            throw new IllegalArgumentException("frame of " + frameLength + " bytes is larger than the broker's " +
                (limit < connection.maxDatagram() ? "shared-memory ring takes (" : "max_datagram of ") + limit +
                (limit < connection.maxDatagram() ? " bytes a record)" : ""));
        }
        if (outPosition + frameLength <= limit && fits(fdCount))
        {
            return true;
        }
        send();
        return outPosition + frameLength <= limit && fits(fdCount);
    }

    private boolean fits(final int fdCount)
    {
        return fdCount == 0 || fdsHeld + fdCount <= connection.maxDescriptorsPerDatagram();
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
            final int maxDatagram = connection.maxOutDatagram();
            final int maxFds = connection.maxDescriptorsPerDatagram();
            int length = outPosition;
            int fdCount = fdsHeld;
            if (length > maxDatagram || fdCount > maxFds)
            {
                // Only after a reconnect to a broker with a smaller max_datagram or max_descriptors_per_datagram, or
                // on rings whose records are shorter than max_datagram.
                length = 0;
                fdCount = 0;
                while (length < outPosition)
                {
                    final int frameLength = Protocol.frameLength(outBuffer, length);
                    final int frameFds = frameFds(length);
                    if (length + frameLength > maxDatagram || fdCount + frameFds > maxFds)
                    {
                        break;
                    }
                    length += frameLength;
                    fdCount += frameFds;
                }
                if (length == 0)
                {
                    final int tooLarge = Protocol.frameLength(outBuffer, 0);
                    closeFds(frameFds(0));
                    outBuffer.putBytes(0, outBuffer, tooLarge, outPosition - tooLarge);
                    outPosition -= tooLarge;
                    continue;
                }
            }
            outByteBuffer.clear().limit(length);
            if (fdCount == 0 ? !connection.write(outByteBuffer) : !connection.write(outByteBuffer, fds, fdCount))
            {
                break;
            }
            closeFds(fdCount);
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
            final int type = Protocol.frameType(outBuffer, at);
            if (type == FrameType.PUBLISH || type == FrameType.PUBLISH_FDS)
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
            final int type = Protocol.frameType(outBuffer, at);
            if (type == FrameType.PUBLISH || type == FrameType.PUBLISH_FDS)
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

    /**
     * On WELCOME from a broker that passes no descriptors: the PUBLISH_FDS frames cannot go, so they are dropped
     * and their descriptors closed.
     *
     * @return frames dropped.
     */
    int dropDescriptorPublishes()
    {
        if (fdsHeld == 0)
        {
            return 0;
        }
        int kept = 0;
        int dropped = 0;
        for (int at = 0; at < outPosition; )
        {
            final int length = Protocol.frameLength(outBuffer, at);
            if (Protocol.frameType(outBuffer, at) == FrameType.PUBLISH_FDS)
            {
                dropped++;
            }
            else
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
        closeFds(fdsHeld);
        return dropped;
    }

    /** @return descriptors the frame at {@code at} owns. */
    private int frameFds(final int at)
    {
        return Protocol.frameType(outBuffer, at) == FrameType.PUBLISH_FDS ?
            outBuffer.getByte(at + PublishFdsFrame.FD_COUNT_OFFSET) & 0xFF : 0;
    }


    /** Closes the first {@code count} descriptors and forgets them: sent (the broker has its own) or dropped. */
    private void closeFds(final int count)
    {
        if (count == 0)
        {
            return;
        }
        Fds.close(fds, 0, count);
        System.arraycopy(fds, count, fds, 0, fdsHeld - count);
        fdsHeld -= count;
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

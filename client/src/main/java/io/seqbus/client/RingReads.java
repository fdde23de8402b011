package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.ShmFdsFrame;

import java.io.IOException;
import java.nio.ByteBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * The to_client ring of a connection on shared memory, read by {@link Inbound} one record at a time as if each were
 * a datagram from the socket: a record with descriptors (FRAMES_WITH_FDS) takes them from the SHM_FDS datagram the
 * broker sent on the socket before it committed the record. The ring's memory is entered once per read() and stays
 * mapped until {@link #release()}, whoever detaches the link meanwhile. Owned by Inbound, on the polling side.
 */
final class RingReads
{
    // The shared memory this read() entered (ShmLink.enter).
    private ShmLink inUse;
    // The SHM_FDS datagram of a FRAMES_WITH_FDS record: made at the first one.
    private ByteBuffer fdsByteBuffer;
    private SafeBuffer fdsBuffer;

    /**
     * One record into {@code dst}. An empty ring on a socket that hung up is the end of stream, once what the broker
     * committed before is read (an ERROR may say why it ended).
     *
     * @param fds    given the record's descriptors, when it has any.
     * @param socket receives them.
     * @return bytes read, 0 when none waits (or the link was retired), -1 at end of stream.
     * @throws IOException when the socket fails, or a record's descriptors are not there.
     */
    int read(final ShmLink link, final ByteBuffer dst, final ReceivedFds fds, final DescriptorSocket socket)
        throws IOException
    {
        if (!enter(link))
        {
            return 0;
        }
        int length = link.read(dst);
        if (length == 0)
        {
            if (!link.hungUp())
            {
                return 0;
            }
            length = link.read(dst);
            if (length == 0)
            {
                return -1;
            }
        }
        if (link.lastHadFds())
        {
            receiveRecordFds(link, fds, socket);
        }
        return length;
    }

    /** Lets go of the ring entered by this read(): the end of every read(). */
    void release()
    {
        final ShmLink link = inUse;
        if (link != null)
        {
            inUse = null;
            link.exit();
        }
    }

    /** @return true when the link is entered for this read() (kept until {@link #release()}), false if retired. */
    private boolean enter(final ShmLink link)
    {
        if (link == inUse)
        {
            return true;
        }
        release();
        if (link.enter())
        {
            inUse = link;
            return true;
        }
        return false;
    }

    private void receiveRecordFds(final ShmLink link, final ReceivedFds fds, final DescriptorSocket socket)
        throws IOException
    {
        if (fdsByteBuffer == null)
        {
            fdsByteBuffer = ByteBuffer.allocateDirect(256);
            fdsBuffer = new SafeBuffer(fdsByteBuffer);
        }
        fdsByteBuffer.clear();
        final int length = socket.receive(link.socketFd(), fdsByteBuffer);
        fds.receivedFrom(socket);
        if (length < ShmFdsFrame.LENGTH || Protocol.frameType(fdsBuffer, 0) != FrameType.SHM_FDS ||
            Protocol.frameLength(fdsBuffer, 0) != length ||
            (!fds.truncated() && fdsBuffer.getInt(ShmFdsFrame.FD_COUNT_OFFSET, BYTE_ORDER) != fds.received()))
        {
            fds.closeUnused();
            throw new IOException("a FRAMES_WITH_FDS record of shared memory came without its SHM_FDS datagram " +
                "(read " + length + " bytes and " + fds.received() + " descriptors from the socket)");
        }
    }
}

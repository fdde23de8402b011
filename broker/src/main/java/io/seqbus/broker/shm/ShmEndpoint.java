package io.seqbus.broker.shm;

import io.seqbus.sys.EventFd;
import io.seqbus.sys.Ring;
import io.seqbus.sys.RingReader;
import io.seqbus.sys.RingWriter;
import io.seqbus.sys.ShmChannel;
import io.seqbus.sys.ShmCorruptException;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One shared-memory client's side of the broker: its memfd with the two rings ({@link ShmChannel}), the eventfd the
 * client waits on ({@code client_wake}) and the one the broker's epoll watches ({@code broker_wake}), the broker's
 * writer of {@code to_client} and reader of {@code from_client}, and the broker's halves of the wake protocol.
 * Owned by the agent thread through its {@code net.ClientConnection}; from {@link #close} on every method is a
 * no-op or an {@link IOException}, never a touch of unmapped memory.
 */
public final class ShmEndpoint implements AutoCloseable
{
    private final ShmChannel channel;
    private final EventFd clientWake;
    private final EventFd brokerWake;
    private final Ring toClient;
    private final Ring fromClient;
    private final RingWriter writer;
    private final RingReader reader;
    private final long size;
    private boolean attached;
    private boolean closed;

    private ShmEndpoint(final ShmChannel channel, final EventFd clientWake, final EventFd brokerWake, final int maxBody)
    {
        this.channel = channel;
        this.clientWake = clientWake;
        this.brokerWake = brokerWake;
        this.toClient = channel.toClient();
        this.fromClient = channel.fromClient();
        this.writer = toClient.writer();
        this.reader = fromClient.reader(maxBody);
        this.size = channel.size();
    }

    /**
     * Creates a client's memfd (sealed), its rings and its two eventfds; on failure nothing is left open.
     *
     * @param ringBytes bytes of each ring, a power of two.
     * @param maxBody   the largest record body read from the client: max_datagram.
     * @return the endpoint.
     * @throws IOException when the kernel refuses a memfd, a mapping or an eventfd.
     */
    public static ShmEndpoint create(final int ringBytes, final int maxBody) throws IOException
    {
        ShmChannel channel = null;
        EventFd clientWake = null;
        EventFd brokerWake = null;
        try
        {
            channel = ShmChannel.create(ringBytes, ringBytes);
            clientWake = EventFd.create();
            brokerWake = EventFd.create();
            return new ShmEndpoint(channel, clientWake, brokerWake, maxBody);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (brokerWake != null)
            {
                brokerWake.close();
            }
            if (clientWake != null)
            {
                clientWake.close();
            }
            if (channel != null)
            {
                channel.close();
            }
            throw ex;
        }
    }

    /** @return the memfd, to pass to the client in SHM_READY. */
    public int memfd()
    {
        return channel.memfd();
    }

    /** SHM_READY is sent: the broker's memfd is closed, its mapping keeps the memory. */
    public void memfdSent()
    {
        channel.closeMemfd();
    }

    /** @return the eventfd the client waits on, to pass in SHM_READY. */
    public int clientWakeFd()
    {
        return clientWake.fd();
    }

    /** @return the eventfd the broker's epoll watches, to pass in SHM_READY. */
    public int brokerWakeFd()
    {
        return brokerWake.fd();
    }

    /** @return bytes of the memfd: both rings and the header; what its uid is charged. */
    public long size()
    {
        return size;
    }

    /** @return bytes of the to_client ring. */
    public int toClientCapacity()
    {
        return toClient.capacity();
    }

    /** @return bytes of the from_client ring. */
    public int fromClientCapacity()
    {
        return fromClient.capacity();
    }

    /** @return true once the client sent SHM_ATTACH: it writes into from_client from then on. */
    public boolean isAttached()
    {
        return attached;
    }

    /** The client sent SHM_ATTACH. */
    public void attach()
    {
        attached = true;
    }

    /** @return true once closed: nothing is mapped any more. */
    public boolean isClosed()
    {
        return closed;
    }

    // ---- to_client: the broker is its only writer

    /**
     * Whether a record of this body fits now; if not, raises the broker's "writer waiting" flag, so the client's
     * next read signals {@code broker_wake}.
     *
     * @param bodyLength bytes of the datagram.
     * @return true when it fits.
     * @throws IOException when closed, or when the client wrote a head that cannot be ({@link ShmCorruptException}).
     */
    public boolean hasRoomOrWait(final int bodyLength) throws IOException
    {
        checkOpen();
        if (writer.hasRoom(bodyLength))
        {
            return true;
        }
        // Flag first, then look again: a client that read meanwhile either sees the flag or made the room we see.
        toClient.writerWillWait();
        if (writer.hasRoom(bodyLength))
        {
            toClient.writerAwake();
            return true;
        }
        return false;
    }

    /**
     * Writes one datagram as one record; call {@link #hasRoomOrWait} first.
     *
     * @param datagram position..limit is the body; its position is unchanged.
     * @param withFds  true when its frames use descriptors (their SHM_FDS datagram went on the socket just before).
     * @throws IOException when closed, when there was no room after all, or the client corrupted the ring.
     */
    public void write(final ByteBuffer datagram, final boolean withFds) throws IOException
    {
        checkOpen();
        if (!writer.write(datagram, withFds ? RingWriter.FRAMES_WITH_FDS : RingWriter.FRAMES))
        {
            throw new IOException("to_client ring full after it had room");
        }
    }

    /** After a flush: wakes the client if it said it sleeps (one eventfd write per sleep, none while it spins). */
    public void afterWrites()
    {
        if (!closed && toClient.takeReaderSleeping())
        {
            clientWake.signal();
        }
    }

    /** {@code broker_wake} fired: takes its count, and lowers the broker's "writer waiting" flag. */
    public void onBrokerWake()
    {
        if (!closed)
        {
            brokerWake.drain();
            toClient.writerAwake();
        }
    }

    // ---- from_client: the broker is its only reader; nothing in it is trusted

    /**
     * Copies the next record's body into {@code dst} from index 0.
     *
     * @return its length, 0 when the ring is empty.
     * @throws ShmCorruptException when the client wrote a position, length or type that cannot be.
     */
    public int read(final ByteBuffer dst) throws ShmCorruptException
    {
        return closed ? 0 : reader.read(dst);
    }

    /**
     * As {@link #read} but leaves the record in the ring: how a held-back publisher is looked at.
     *
     * @return its length, 0 when the ring is empty.
     * @throws ShmCorruptException when the client wrote a position, length or type that cannot be.
     */
    public int peek(final ByteBuffer dst) throws ShmCorruptException
    {
        return closed ? 0 : reader.peek(dst);
    }

    /** @return true when the last record read or peeked was FRAMES_WITH_FDS: its descriptors wait on the socket. */
    public boolean lastHadFds()
    {
        return reader.lastType() == RingWriter.FRAMES_WITH_FDS;
    }

    /**
     * @return true when a record waits.
     * @throws ShmCorruptException when the client wrote a tail that cannot be.
     */
    public boolean hasInput() throws ShmCorruptException
    {
        return !closed && !reader.isEmpty();
    }

    /** After records were consumed: wakes a client that waits for room. */
    public void afterReads()
    {
        if (!closed && fromClient.takeWriterWaiting())
        {
            clientWake.signal();
        }
    }

    /**
     * The agent is about to block in epoll_wait: says so in the ring, then looks again.
     *
     * @return true when the ring is still empty (the client will signal {@code broker_wake} when it writes).
     * @throws ShmCorruptException when the client wrote a tail that cannot be.
     */
    public boolean sleepIfEmpty() throws ShmCorruptException
    {
        if (closed)
        {
            return true;
        }
        fromClient.readerWillSleep();
        return reader.isEmpty();
    }

    /** The agent is awake again: the client need not signal. */
    public void awake()
    {
        if (!closed)
        {
            fromClient.readerAwake();
        }
    }

    private void checkOpen() throws IOException
    {
        if (closed)
        {
            throw new IOException("its shared memory is closed");
        }
    }

    /** Unmaps the rings, closes the memfd (if not yet) and both eventfds; idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            channel.close();
            clientWake.close();
            brokerWake.close();
        }
    }
}

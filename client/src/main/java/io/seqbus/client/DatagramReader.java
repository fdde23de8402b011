package io.seqbus.client;

import io.seqbus.wire.SafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The polling side's reads from the broker: one datagram at a time from the socket (recvmsg with its descriptors
 * on a connection that passes them) or from the shared-memory ring, into one buffer, each handed to {@link Inbound}
 * to dispatch. It stops reading while the descriptor budget could not take what a datagram may bring, reads what
 * the broker sent before a failure (the ERROR that says why may be among it), and reports end of stream as a lost
 * connection. Owned by the polling thread, as {@link Inbound} is.
 */
final class DatagramReader
{
    private static final int INITIAL_READ_CAPACITY = 256 * 1024;

    /** Who dispatches each datagram read: its bytes are in {@link #buffer()}, its descriptors in {@link #fds()}. */
    @FunctionalInterface
    interface Handler
    {
        void onDatagram(int length);
    }

    private final Connection connection;
    private final Reconnector reconnector;
    private final ErrorHandler errorHandler;
    private final int pollDatagramLimit;
    private final Handler handler;
    private final RingReads ring = new RingReads();
    private final ReceivedFds fds = new ReceivedFds();
    private final SafeBuffer readBuffer = new SafeBuffer();
    private ByteBuffer readByteBuffer;
    private boolean shortOfDescriptors;
    // The next read of a waiting thread is skipped: the last read took datagrams from the socket and then met EAGAIN
    // (it is empty, as of that moment), or took one datagram for a thread that sleeps in poll(2) next.
    private boolean skipNextRead;

    DatagramReader(
        final ClientOptions options, final Connection connection, final Reconnector reconnector, final Handler handler)
    {
        this.connection = connection;
        this.reconnector = reconnector;
        this.errorHandler = options.errorHandler();
        this.pollDatagramLimit = options.pollDatagramLimit();
        this.handler = handler;
        readByteBuffer = ByteBuffer.allocateDirect(INITIAL_READ_CAPACITY);
        readBuffer.wrap(readByteBuffer);
    }

    /** @return the buffer each datagram is read into; the same object for the reader's life (rewrapped as it grows). */
    SafeBuffer buffer()
    {
        return readBuffer;
    }

    /** @return the descriptors the datagram being dispatched brought. */
    ReceivedFds fds()
    {
        return fds;
    }

    /**
     * Reads at most {@code pollDatagramLimit} datagrams without blocking and dispatches them. End of stream
     * (the broker closed the connection, and everything it sent before has been read) loses the connection.
     *
     * @return datagrams read, plus one when the connection was lost.
     */
    int read()
    {
        return read(pollDatagramLimit);
    }

    private int read(final int limit)
    {
        try
        {
            return readDatagrams(limit);
        }
        finally
        {
            ring.release();
        }
    }

    /**
     * As {@link #read()}, except right after a read that emptied the socket: then it reads nothing, once. For the
     * client's own waits only, whose next step after finding no work is to spin (which reads again at once) or to
     * sleep in poll(2) (which sees anything that came since): a read here would be one more recvmsg meeting
     * EAGAIN per wake-up, and on a VM a system call costs over a microsecond (shared/bench/limit's sockinfo).
     *
     * @param sleepsNext the thread sleeps in poll(2) as soon as it finds no work (it does not spin): then one
     *                   datagram is read from the socket, and the next read is skipped. The poll(2) returns at once
     *                   if more came, so nothing waits longer, and a wake-up that brought one datagram costs the
     *                   poll(2) and one recvmsg, not a third call that meets EAGAIN.
     */
    int readUnlessJustDrained(final boolean sleepsNext)
    {
        if (skipNextRead)
        {
            skipNextRead = false;
            return 0;
        }
        if (!sleepsNext || connection.shm() != null)
        {
            return read();
        }
        final int datagrams = read(1);
        skipNextRead |= datagrams == 1;
        return datagrams;
    }

    private int readDatagrams(final int limit)
    {
        final FileChannel reads = connection.reads();
        if (reads == null)
        {
            return 0;
        }
        int datagrams = 0;
        skipNextRead = false;
        while (datagrams < limit)
        {
            if (connection.socketFd() >= 0 && !descriptorRoom())
            {
                break;
            }
            // Between datagrams: a ring's records may be as long as the max_datagram of the WELCOME just read.
            ensureCapacity();
            readByteBuffer.clear();
            final int length;
            try
            {
                length = readOne(reads);
            }
            catch (final IOException ex)
            {
                return datagrams + lostWithoutNotice(reads, ex);
            }
            if (length < 0)
            {
                // Everything sent before the end was read, and no ERROR closed the connection.
                reconnector.connectionLost(BusException.reset("the seqbus broker at " + connection.socket() +
                    " closed the connection without an ERROR (did it crash or get killed?)", null), true);
                return datagrams + 1;
            }
            if (length == 0)
            {
                if (connection.shm() == null)
                {
                    connection.counters().increment(ClientStats.EMPTY_READS);
                    skipNextRead = datagrams > 0;
                }
                break;
            }
            datagrams++;
            onDatagram(length);
            if (connection.reads() != reads)
            {
                break;
            }
        }
        return datagrams;
    }

    /**
     * A read or a write failed: first reads what the broker sent before the end, which may hold the ERROR that
     * says why (an eviction's SLOW_CONSUMER, SHUTTING_DOWN). Linux reports a reset (ECONNRESET: the broker
     * closed with frames of ours unread, as an eviction does) before the datagrams still queued, and clears it
     * once reported; a publisher's failed write (EPIPE) comes before the polling side has read anything. Only
     * when no ERROR ended the connection is the loss reported, as a {@link BusException#isReset() reset}.
     *
     * @return datagrams read, plus one for the loss.
     */
    int lostWithoutNotice(final FileChannel reads, final IOException failure)
    {
        try
        {
            return readUntilLost(reads, failure);
        }
        finally
        {
            ring.release();
        }
    }

    private int readUntilLost(final FileChannel reads, final IOException failure)
    {
        int datagrams = 0;
        while (reads != null && connection.reads() == reads)
        {
            readByteBuffer.clear();
            final int length;
            try
            {
                length = readOne(reads);
            }
            catch (final IOException ignore)
            {
                break;
            }
            if (length <= 0)
            {
                break;
            }
            datagrams++;
            onDatagram(length);
        }
        if (connection.reads() == reads)
        {
            reconnector.connectionLost(BusException.reset("lost the connection to the seqbus broker at " +
                connection.socket() + " without an ERROR (did it crash or get killed?): " +
                Connection.oneLine(failure), failure), true);
        }
        return datagrams + 1;
    }

    /**
     * One datagram: with recvmsg and its descriptors on a connection that asked for DESCRIPTORS, else read(2).
     *
     * @return bytes read, 0 when none waits, -1 at end of stream.
     */
    private int readOne(final FileChannel reads) throws IOException
    {
        fds.clear();
        final ShmLink link = connection.shm();
        if (link != null)
        {
            return ring.read(link, readByteBuffer, fds, connection.descriptorSocket());
        }
        final int socketFd = connection.socketFd();
        if (socketFd < 0)
        {
            return reads.read(readByteBuffer);
        }
        final DescriptorSocket socket = connection.descriptorSocket();
        final int length = socket.receive(socketFd, readByteBuffer);
        fds.receivedFrom(socket);
        return length;
    }

    /** For tests: a budget with another limit. */
    void fdBudget(final FdBudget budget)
    {
        fds.budget(budget);
    }

    /**
     * Before a recvmsg: room for the descriptors one datagram may carry, else no read (the broker's slow-consumer
     * policy applies), said once to the error handler until there is room again.
     */
    private boolean descriptorRoom()
    {
        final int needed = Math.max(connection.maxDescriptorsPerDatagram(), 1);
        final FdBudget budget = fds.budget();
        if (budget.hasRoom(needed))
        {
            shortOfDescriptors = false;
            return true;
        }
        if (!shortOfDescriptors)
        {
            shortOfDescriptors = true;
            connection.counters().increment(ClientStats.ERRORS);
            try
            {
                errorHandler.onError(new BusError(ErrorCode.CLIENT, false, 0, "not reading from the seqbus broker at " +
                    connection.socket() + ": " + budget.open() + " descriptors open, limit " + budget.limit() +
                    ", and a datagram may bring " + needed + ": raise LimitNOFILE or close kept payloads"));
            }
            catch (final Throwable ex)
            {
                errorHandler.onHandlerException(ex, null, null);
            }
        }
        return false;
    }

    /** @return true while reading is stopped for want of descriptors (the conductor then sleeps instead of polling). */
    boolean isShortOfDescriptors()
    {
        return shortOfDescriptors;
    }

    /** Between reads, never while a datagram is being dispatched: room for the broker's max_datagram. */
    void ensureCapacity()
    {
        final int maxDatagram = connection.maxDatagram();
        if (maxDatagram > readByteBuffer.capacity())
        {
            readByteBuffer = ByteBuffer.allocateDirect(maxDatagram);
            readBuffer.wrap(readByteBuffer);
        }
    }

    private void onDatagram(final int length)
    {
        try
        {
            handler.onDatagram(length);
        }
        finally
        {
            fds.closeUnused();
        }
    }
}

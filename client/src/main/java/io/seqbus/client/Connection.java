package io.seqbus.client;

import io.seqbus.wire.BusSocket;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.Protocol;
import org.agrona.CloseHelper;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;

/**
 * The socket to the broker and what every thread needs to know about it: the client's state, what the last
 * WELCOME said, and why the client closed. The channel itself changes only under the {@link Outbound} lock,
 * on the polling side; the state is volatile so publishers read it without locking.
 */
final class Connection
{
    static final int AWAITING_WELCOME = 1;
    static final int CONNECTED = 2;
    static final int DISCONNECTED = 3;
    static final int CLOSED = 4;

    private final String socket;
    private final Path privateDirectory;
    private final long uid;
    private final Counters counters = new Counters(ClientStats.COUNT);

    private volatile int state = DISCONNECTED;
    private volatile boolean closing;
    private volatile BusException closedCause;
    private volatile IOException writeFailure;
    private volatile long connectionEpoch;
    private volatile int maxPayload = Protocol.DEFAULT_MAX_PAYLOAD;
    private volatile int maxDatagram = Protocol.DEFAULT_MAX_DATAGRAM;
    private volatile int maxTopicLength = Protocol.MAX_TOPIC_LENGTH;
    private volatile int nodeId;
    private volatile long publisherId;
    private volatile String nodeName = "";
    // From the last WELCOME's descriptor limits; 0 when the connection passes no descriptors.
    private volatile int maxDescriptorsPerMessage;
    private volatile int maxDescriptorsPerDatagram;
    private volatile long maxMemfdSize;
    // From the last WELCOME's service trailer; null while not connected or when the broker predates the service patterns.
    private volatile ServiceLimits serviceLimits;
    // Whether HELLO asks for DESCRIPTORS: decided once, at the first connect (ClientOptions.descriptors).
    private final boolean descriptorsWanted;
    // Whether HELLO asks for SHARED_MEMORY (ClientOptions.sharedMemory), until a mapping failed (sharedMemoryOff).
    private final boolean sharedMemoryWanted;
    private volatile boolean sharedMemoryOff;
    // The rings of a connection the broker moved to shared memory: set by the polling side under lock at SHM_READY,
    // closed by detach. Reads come from it at once; writes once SHM_ATTACH is out (ShmLink.isAttached).
    private volatile ShmLink shm;
    // Whether the current (or last) connection is on shared memory, for ClientStats.
    private volatile boolean onSharedMemory;
    // recvmsg/sendmsg for a connection that asked for DESCRIPTORS; null otherwise (no JNA is loaded then).
    private DescriptorSocket descriptorSocket;
    private volatile int socketFd = -1;
    private boolean closedByUser;
    private AFUNIXDatagramChannel channel;
    // The channel's socket read and written as a plain descriptor (read(2), write(2)): junixsocket's own
    // read and write allocate on every call. Never closed here: junixsocket owns the descriptor. Like
    // junixsocket's channel, an interrupt during a read or write closes it; the client then reconnects.
    private FileChannel reads;
    private FileChannel writes;
    private Selector selector;

    Connection(
        final String socket, final Path privateDirectory, final long uid, final boolean descriptorsWanted,
        final boolean sharedMemoryWanted)
    {
        this.socket = socket;
        this.privateDirectory = privateDirectory;
        this.uid = uid;
        this.descriptorsWanted = descriptorsWanted;
        this.sharedMemoryWanted = sharedMemoryWanted;
    }

    /** @return true when the next HELLO asks for SHARED_MEMORY. */
    boolean asksSharedMemory()
    {
        return sharedMemoryWanted && !sharedMemoryOff;
    }

    /** Polling side: a mapping failed; this client stays on the socket from now on. */
    void sharedMemoryOff()
    {
        sharedMemoryOff = true;
    }

    /** @return the rings of this connection, polling side or under lock; null on the socket alone. */
    ShmLink shm()
    {
        return shm;
    }

    /** @return true when the current (or last) connection is on shared memory. */
    boolean onSharedMemory()
    {
        return onSharedMemory;
    }

    /**
     * Under lock, polling side, at SHM_READY: from now on the broker's frames are read from the rings; SHM_ATTACH goes
     * out on the socket now, or with the next write if the socket is full, and this client's frames follow it into
     * the ring.
     */
    void sharedMemory(final ShmLink link)
    {
        if (channel == null)
        {
            // Closed by another thread (close()) while the rings were being mapped.
            link.close();
            return;
        }
        shm = link;
        onSharedMemory = true;
        tryAttach(link);
    }

    /** Under lock: SHM_ATTACH still to send (the socket was full). */
    boolean attachPending()
    {
        final ShmLink link = shm;
        return link != null && !link.isAttached();
    }

    /**
     * Under lock: sends SHM_ATTACH, the last frame of this client on the socket.
     *
     * @return true when it is out (now or before): writes go into the ring.
     */
    boolean tryAttach(final ShmLink link)
    {
        if (link.isAttached())
        {
            return true;
        }
        try
        {
            final ByteBuffer attach = link.attachDatagram();
            final int length = attach.remaining();
            if (descriptorSocket.send(socketFd, attach, null, 0) != length)
            {
                return false;
            }
            counters.increment(ClientStats.DATAGRAMS_OUT);
            counters.add(ClientStats.BYTES_OUT, length);
            link.attached();
            return true;
        }
        catch (final IOException ex)
        {
            writeFailure = ex;
            // The polling side handles it: out of its sleep in poll(2) now.
            wakeup();
            return false;
        }
    }

    /** @return true when HELLO asks for DESCRIPTORS and the socket is read and written with recvmsg/sendmsg. */
    boolean descriptorsWanted()
    {
        return descriptorsWanted;
    }

    /**
     * @return the socket's descriptor for {@link DescriptorSocket}, polling side or under lock; -1 while
     * disconnected or for a connection without DESCRIPTORS.
     */
    int socketFd()
    {
        return socketFd;
    }

    /** @return the recvmsg/sendmsg of a connection that asked for DESCRIPTORS, else null. */
    DescriptorSocket descriptorSocket()
    {
        return descriptorSocket;
    }

    /** @return most descriptors one publish may carry; 0 when this connection passes none (yet). */
    /** @return the broker's service limits, or null when it did not announce the service patterns (or none yet). */
    ServiceLimits serviceLimits()
    {
        return serviceLimits;
    }

    /**
     * @param what the call, for the message.
     * @return the broker's service limits.
     * @throws BusException when the broker of this connection did not announce the service patterns.
     */
    ServiceLimits requireServices(final String what)
    {
        final ServiceLimits limits = serviceLimits;
        if (limits == null)
        {
            throw ServiceLimits.unsupported(what, socket());
        }
        return limits;
    }

    /** Under lock, on WELCOME after {@link #welcomed}: its service trailer, or null without one. */
    void servicesWelcomed(final ServiceLimits limits)
    {
        serviceLimits = limits;
    }

    int maxDescriptorsPerMessage()
    {
        return maxDescriptorsPerMessage;
    }

    /** @return most descriptors one datagram may carry; 0 when this connection passes none (yet). */
    int maxDescriptorsPerDatagram()
    {
        return maxDescriptorsPerDatagram;
    }

    /** @return the largest memfd payload the broker takes; 0 when this connection passes no descriptors (yet). */
    long maxMemfdSize()
    {
        return maxMemfdSize;
    }

    /** @return true when the last WELCOME carried the descriptor limits: this connection passes descriptors. */
    boolean passesDescriptors()
    {
        return maxDescriptorsPerMessage > 0;
    }

    /** The client's counters (see {@link ClientStats}): each written by one thread at a time. */
    Counters counters()
    {
        return counters;
    }

    String socket()
    {
        return socket;
    }

    int state()
    {
        return state;
    }

    void state(final int state)
    {
        this.state = state;
    }

    boolean isClosing()
    {
        return closing;
    }

    void closing()
    {
        closing = true;
    }

    BusException closedCause()
    {
        return closedCause;
    }

    void closedCause(final BusException cause)
    {
        closedCause = cause;
    }

    /** Under lock. */
    void closedByUser()
    {
        closedByUser = true;
    }

    IOException writeFailure()
    {
        return writeFailure;
    }

    long connectionEpoch()
    {
        return connectionEpoch;
    }

    int maxPayload()
    {
        return maxPayload;
    }

    int maxDatagram()
    {
        return maxDatagram;
    }

    /**
     * @return the longest datagram this client may write: max_datagram, or less on rings too small for a record that
     * long (a record takes at most half of from_client).
     */
    int maxOutDatagram()
    {
        final int max = maxDatagram;
        final ShmLink link = shm;
        return link != null ? Math.min(max, link.maxRecordBody()) : max;
    }

    int maxTopicLength()
    {
        return maxTopicLength;
    }

    int nodeId()
    {
        return nodeId;
    }

    long publisherId()
    {
        return publisherId;
    }

    String nodeName()
    {
        return nodeName;
    }

    AFUNIXDatagramChannel channel()
    {
        return channel;
    }

    /**
     * @return the socket for reading, polling side only: read gives -1 at end of stream and 0 when nothing
     * waits (the socket is non-blocking); null while disconnected.
     */
    FileChannel reads()
    {
        return reads;
    }

    /**
     * Under lock: ends the polling side's sleep in poll(2), or makes its next one return at once.
     */
    void wakeup()
    {
        final ShmLink link = shm;
        if (link != null)
        {
            link.wakeup();
            return;
        }
        final Selector current = selector;
        if (current != null)
        {
            current.wakeup();
        }
    }

    /**
     * Sleeps in poll(2) until the broker sends something or the time is up. Only the polling
     * thread calls it; what it finds, a hang-up included, is read by the next {@link Inbound#read()}.
     *
     * @param timeoutMs longest sleep.
     */
    void awaitReadable(final long timeoutMs)
    {
        final ShmLink link = shm;
        if (link != null)
        {
            if (link.enter())
            {
                try
                {
                    link.awaitReadable(timeoutMs);
                }
                catch (final IOException ignore)
                {
                    // the next read finds the corruption and handles it
                }
                finally
                {
                    link.exit();
                }
            }
            return;
        }
        final Selector current = selector;
        if (current == null)
        {
            return;
        }
        try
        {
            if (current.select(timeoutMs) > 0)
            {
                current.selectedKeys().clear();
            }
        }
        catch (final IOException | java.nio.channels.ClosedSelectorException ignore)
        {
            // the next read finds the failure and handles it
        }
    }

    /**
     * Under lock, on WELCOME: what the broker said, and a new epoch so a waiting sync knows its PING was lost
     * with an older connection.
     *
     * @return the new epoch; 1 for the first connection.
     */
    long welcomed(
        final int maxDatagram, final int maxPayload, final int maxTopicLength, final int nodeId, final long publisherId,
        final String nodeName, final int maxDescriptorsPerMessage, final int maxDescriptorsPerDatagram,
        final long maxMemfdSize)
    {
        final boolean descriptors = descriptorsWanted && maxDescriptorsPerMessage > 0 && maxDescriptorsPerDatagram > 0;
        this.maxDescriptorsPerMessage = descriptors ? maxDescriptorsPerMessage : 0;
        this.maxDescriptorsPerDatagram = descriptors ? Math.max(maxDescriptorsPerDatagram, maxDescriptorsPerMessage) : 0;
        this.maxMemfdSize = descriptors ? maxMemfdSize : 0;
        this.maxPayload = maxPayload;
        this.maxTopicLength = maxTopicLength;
        this.nodeId = nodeId;
        this.publisherId = publisherId;
        this.nodeName = nodeName;
        this.maxDatagram = maxDatagram;
        final long epoch = connectionEpoch + 1;
        connectionEpoch = epoch;
        state = CONNECTED;
        return epoch;
    }

    /**
     * Opens a connection; to the default socket only after its per-user folder passed {@link DefaultSocket}'s
     * checks, so a folder another user made (and a fake broker in it) is never reached.
     *
     * @throws IOException a {@link DefaultSocket.UnsafePathException} when the folder fails a check, or why the
     *                     connect failed.
     */
    AFUNIXDatagramChannel open() throws IOException
    {
        if (privateDirectory != null)
        {
            DefaultSocket.checkBeforeConnect(privateDirectory, uid);
        }
        final AFUNIXSocketAddress address = BusSocket.address(socket);
        final AFUNIXDatagramChannel newChannel = BusSocket.open();
        try
        {
            newChannel.connect(address);
            newChannel.configureBlocking(false);
            return newChannel;
        }
        catch (final IOException | RuntimeException ex)
        {
            CloseHelper.quietClose(newChannel);
            throw ex;
        }
    }

    /** Under lock, polling side. */
    void attach(final AFUNIXDatagramChannel newChannel) throws IOException
    {
        channel = newChannel;
        final FileDescriptor fd = newChannel.getFileDescriptor();
        reads = new FileInputStream(fd).getChannel();
        writes = new FileOutputStream(fd).getChannel();
        writeFailure = null;
        maxDescriptorsPerMessage = 0;
        maxDescriptorsPerDatagram = 0;
        maxMemfdSize = 0;
        onSharedMemory = false;
        if (descriptorsWanted || sharedMemoryWanted)
        {
            // SHM_READY brings its descriptors with it: a connection that asks for shared memory reads with recvmsg.
            if (descriptorSocket == null)
            {
                descriptorSocket = new DescriptorSocket();
            }
            socketFd = Fds.number(fd);
        }
        selector = AFUNIXSelectorProvider.provider().openSelector();
        newChannel.register(selector, SelectionKey.OP_READ);
    }

    /** Under lock. */
    void detach()
    {
        final ShmLink link = shm;
        if (link != null)
        {
            shm = null;
            link.close();
        }
        CloseHelper.quietClose(channel);
        CloseHelper.quietClose(selector);
        channel = null;
        reads = null;
        writes = null;
        socketFd = -1;
        maxDescriptorsPerMessage = 0;
        maxDescriptorsPerDatagram = 0;
        maxMemfdSize = 0;
        serviceLimits = null;
        selector = null;
        writeFailure = null;
    }

    /**
     * Under lock: writes one datagram. A failure is kept for the polling side, which reconnects.
     *
     * @return false when nothing was written: the socket is full, or the write failed.
     */
    boolean write(final ByteBuffer buffer)
    {
        return write(buffer, null, 0);
    }

    /**
     * Under lock: writes one datagram with {@code count} descriptors attached (sendmsg), or none (FileChannel on a
     * connection without DESCRIPTORS). A failure is kept for the polling side, which reconnects.
     *
     * @return false when nothing was written: the socket is full, or the write failed.
     */
    boolean write(final ByteBuffer buffer, final int[] fds, final int count)
    {
        final ShmLink link = shm;
        if (link != null && tryAttach(link))
        {
            return writeRecord(link, buffer, fds, count);
        }
        try
        {
            final int fd = socketFd;
            final int written = fd >= 0 ? descriptorSocket.send(fd, buffer, fds, count) : writes.write(buffer);
            if (written > 0)
            {
                counters.increment(ClientStats.DATAGRAMS_OUT);
                counters.add(ClientStats.BYTES_OUT, written);
                return true;
            }
            return false;
        }
        catch (final IOException ex)
        {
            writeFailure = ex;
            // The polling side handles it: out of its sleep in poll(2) now.
            wakeup();
            return false;
        }
    }

    /**
     * Under lock: one datagram as one record of from_client. With descriptors, their SHM_FDS datagram goes on the
     * socket first (SCM_RIGHTS), then the record, FRAMES_WITH_FDS: the broker finds it queued when it reads the record.
     * Room is checked before anything is sent, so an SHM_FDS is always followed by its record.
     */
    private boolean writeRecord(final ShmLink link, final ByteBuffer buffer, final int[] fds, final int count)
    {
        try
        {
            final int length = buffer.remaining();
            if (count == 0)
            {
                if (!link.write(buffer, false))
                {
                    return false;
                }
            }
            else
            {
                if (!link.hasRoom(length))
                {
                    return false;
                }
                final ByteBuffer announce = link.fdsDatagram(count);
                final int fdsLength = announce.remaining();
                if (descriptorSocket.send(socketFd, announce, fds, count) != fdsLength)
                {
                    return false;
                }
                counters.increment(ClientStats.DATAGRAMS_OUT);
                counters.add(ClientStats.BYTES_OUT, fdsLength);
                if (!link.write(buffer, true))
                {
                    throw new IOException("from_client had room for a record and then had none");
                }
            }
            counters.increment(ClientStats.DATAGRAMS_OUT);
            counters.add(ClientStats.BYTES_OUT, length);
            return true;
        }
        catch (final IOException ex)
        {
            writeFailure = ex;
            // The polling side handles it: out of its sleep in poll(2) now.
            wakeup();
            return false;
        }
    }

    /** Under lock, during the handshake: a datagram that does not fit now fails the attempt. */
    void writeWhole(final ByteBuffer buffer, final int length) throws IOException
    {
        buffer.clear().limit(length);
        final int fd = socketFd;
        if ((fd >= 0 ? descriptorSocket.send(fd, buffer, null, 0) : writes.write(buffer)) != length)
        {
            throw new IOException("the broker's socket is full during the handshake");
        }
        counters.increment(ClientStats.DATAGRAMS_OUT);
        counters.add(ClientStats.BYTES_OUT, length);
    }

    /** Throws what the caller of a closed client should see. */
    void checkOpen()
    {
        if (state == CLOSED)
        {
            final BusException cause = closedCause;
            if (cause != null && !closedByUser)
            {
                throw new BusException(cause.getMessage(), cause.code(), cause);
            }
            throw new IllegalStateException("this BusClient is closed");
        }
    }

    BusException lost(final Exception ex)
    {
        return new BusException("lost the connection to the seqbus broker at " + socket + ": " + oneLine(ex), ex);
    }

    String stateName()
    {
        final int s = state;
        return s == CONNECTED ? "connected" : s == AWAITING_WELCOME ? "connecting" : s == DISCONNECTED ?
            "disconnected" : "closed";
    }

    static String oneLine(final Exception ex)
    {
        final String text = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        final int newline = text.indexOf('\n');
        return newline >= 0 ? text.substring(0, newline) : text;
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.Backpressure;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.net.Poller;
import io.seqbus.broker.shm.ShmEndpoint;
import io.seqbus.sys.ScmRights;
import io.seqbus.sys.ShmCorruptException;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ShmFdsFrame;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;

/**
 * The read path: what epoll reported ready, the publishers read again without polling (hot),
 * the peers that hung up with input left, and the ones held back by max_frames_per_second. Each
 * datagram goes to {@link ClientCommandAdapter} with the descriptors that came with it; reading stops while
 * {@link Backpressure} holds publishers back.
 *
 * <p>Every datagram is taken with recvmsg(2) ({@link ScmRights}, its control buffer sized once for
 * max_descriptors_per_datagram): a plain recv(2) would make the kernel close the descriptors a client passed.
 * The one plain recv left is the peek while publishers are held back, which leaves them queued.
 *
 * <p>A client on shared memory (issue 15) is read from its from_client ring once it attached, every duty cycle and
 * without a system call: each record is copied into the same read buffer and handled as a datagram, its descriptors
 * (FRAMES_WITH_FDS) taken from the one SHM_FDS datagram waiting on its socket. A corrupt ring or SHM_FDS sequence
 * closes that client with PROTOCOL_VIOLATION; nothing else notices.
 */
final class Reader
{
    private final BrokerContext context;
    private final Poller poller;
    private final Listener listener;
    private final BrokerCounters counters;
    private final Backpressure backpressure;
    private final ClientCommandAdapter protocol;
    private final Connections connections;
    private final EpochNanoClock epochClock;
    private final ByteBuffer readByteBuffer;
    private final UnsafeBuffer readBuffer;
    private final ScmRights received;
    // What a FRAMES record's datagram carries: no descriptors (never received into).
    private final ScmRights noDescriptors = new ScmRights(1);
    // The SHM_FDS datagram before a FRAMES_WITH_FDS record; room for more, so a longer one is seen as such.
    private final ByteBuffer fdsByteBuffer = ByteBuffer.allocateDirect(64);
    private final UnsafeBuffer fdsBuffer = new UnsafeBuffer(fdsByteBuffer);
    private final SharedMemoryClients shm;
    // Records were read from some ring last cycle: more likely wait, so the agent skips epoll_wait as for hot sockets.
    private boolean ringsBusy;
    private final ArrayList<ClientConnection> hungUp = new ArrayList<>();
    private final ArrayList<ClientConnection> throttled = new ArrayList<>();
    private final ArrayList<ClientConnection> parked = new ArrayList<>();
    private ArrayList<ClientConnection> hot = new ArrayList<>();
    private ArrayList<ClientConnection> hotSpare = new ArrayList<>();
    /**
     * What the agent's epoll gives back for a socket of the LAN's media driver. Here, not in the bridge: a broker
     * without a LAN has no Aeron on its class path (seqbus-broker-testing), and reading LanBridge's would load it.
     */
    static final Object LAN_DRIVER_SOCKET = new Object();

    // A socket of the LAN's media driver was ready in the last poll: the bridge's duty cycle runs the driver.
    private boolean lanSocketReady;

    Reader(
        final BrokerContext context,
        final Poller poller,
        final Listener listener,
        final BrokerCounters counters,
        final Backpressure backpressure,
        final ClientCommandAdapter protocol,
        final Connections connections,
        final EpochNanoClock epochClock,
        final SharedMemoryClients shm)
    {
        this.shm = shm;
        this.context = context;
        this.poller = poller;
        this.listener = listener;
        this.counters = counters;
        this.backpressure = backpressure;
        this.protocol = protocol;
        this.connections = connections;
        this.epochClock = epochClock;
        // One byte more than the limit: a longer datagram is cut by the kernel without a word,
        // and the extra byte is how we notice.
        this.readByteBuffer = ByteBuffer.allocateDirect(context.maxDatagram() + 1);
        this.readBuffer = new UnsafeBuffer(readByteBuffer);
        this.received = new ScmRights(context.maxDescriptorsPerDatagram());
    }

    boolean hasHot()
    {
        return !hot.isEmpty() || ringsBusy;
    }

    /**
     * @return true if the last poll found a socket of the LAN's media driver ready; cleared by the call.
     */
    boolean takeLanSocketReady()
    {
        final boolean ready = lanSocketReady;
        lanSocketReady = false;
        return ready;
    }

    boolean hasThrottled()
    {
        return !throttled.isEmpty();
    }

    boolean hasHungUp()
    {
        return !hungUp.isEmpty();
    }

    boolean hasParked()
    {
        return !parked.isEmpty();
    }

    /**
     * @return true when frames it sent run more than a burst ahead of max_frames_per_second: it is not read
     * until they are due (the one place the frame rate is checked).
     */
    private boolean overFrameRate(final ClientConnection c, final long nowNs)
    {
        return context.maxFramesPerSecond() > 0 && c.framesAheadNs(nowNs) > Configuration.FRAME_RATE_BURST_NS;
    }

    /** Serves what the last {@link Poller#poll} reported ready. */
    int onReady(final long nowNs, final boolean holdPublishers)
    {
        int work = 0;
        for (int i = 0, n = poller.readyCount(); i < n; i++)
        {
            final Object attachment = poller.attachment(i);
            if (attachment == listener)
            {
                work += connections.acceptAll(listener);
                continue;
            }
            if (attachment == LAN_DRIVER_SOCKET)
            {
                lanSocketReady = true;
                continue;
            }
            // Else a connection, or one that left since.
            if (!(attachment instanceof ClientConnection c) || c.state() == ClientConnection.State.CLOSED)
            {
                continue;
            }
            final ShmEndpoint endpoint = c.shm();
            if (endpoint != null && poller.fd(i) == endpoint.brokerWakeFd())
            {
                work += onBrokerWake(c, endpoint);
                continue;
            }
            final int events = poller.events(i);
            if ((events & Poller.HANG_UP) != 0)
            {
                // Level-triggered, a hang-up would be reported on every poll: stop polling it. What
                // the peer sent before it went is still readable; drainHungUp reads it, then closes.
                // A CLOSING one is closed by finishClosing, once its write fails or the linger ends.
                connections.stopPolling(c);
                if (c.state() != ClientConnection.State.CLOSING && c.markHungUp())
                {
                    hungUp.add(c);
                }
                continue;
            }
            if (c.state() == ClientConnection.State.CLOSING)
            {
                // Writable again: finishClosing() sends the ERROR.
                continue;
            }
            if ((events & Poller.WRITE) != 0 && c.subscriber().isWriteBlocked())
            {
                c.subscriber().onWritable();
                connections.updateInterest(c);
                work++;
            }
            if ((events & Poller.READ) != 0)
            {
                work += holdPublishers || backpressure.holdPublishers() ?
                    readWhileHeld(c, nowNs) : read(c, nowNs, context.readBurst());
            }
        }
        return work;
    }

    /**
     * While publishers are held back, the broker still serves everything else: it looks at each
     * datagram before taking it, takes what does not publish (HELLO, SUBSCRIBE, PING, STAT...), and
     * stops reading a connection whose next datagram would publish, leaving that datagram with the
     * kernel, so the publisher waits, as AF_UNIX makes a writer wait, while accepting, handshakes
     * and subscribers go on. {@link #unpark} reads those connections again once publishers may go.
     *
     * @return datagrams taken.
     */
    private int readWhileHeld(final ClientConnection c, final long nowNs)
    {
        if (c.state() != ClientConnection.State.OPEN && c.state() != ClientConnection.State.AWAITING_HELLO)
        {
            return 0;
        }
        if (c.isShmAttached())
        {
            return readRing(c, nowNs, context.readBurst(), true);
        }
        int datagrams = 0;
        try
        {
            while (datagrams < context.readBurst())
            {
                readByteBuffer.clear();
                final int length = c.io().peek(readByteBuffer);
                if (length <= 0)
                {
                    if (length < 0)
                    {
                        connections.close(c, "peer closed");
                    }
                    break;
                }
                if (protocol.wouldPublish(readBuffer, length))
                {
                    park(c);
                    break;
                }
                readByteBuffer.clear();
                // Taken with its descriptors: the peek above left them queued.
                if (receive(c) <= 0)
                {
                    break;
                }
                datagrams++;
                if (!onDatagram(c, length, nowNs) || attachedNow(c))
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            connections.close(c, "read failed: " + ex.getMessage());
        }
        return datagrams;
    }

    /**
     * @return true when the datagram just handled was its SHM_ATTACH: its socket is read no more (but for SHM_FDS).
     */
    private boolean attachedNow(final ClientConnection c)
    {
        if (c.isShmAttached() && c.state() != ClientConnection.State.CLOSED)
        {
            connections.updateInterest(c);
            return true;
        }
        return false;
    }

    /**
     * Takes one datagram and its descriptors, which the caller then owns (through {@link #received}).
     *
     * @return bytes read, 0 when none is waiting, -1 when the peer is gone (the connection is closed).
     */
    private int receive(final ClientConnection c) throws IOException
    {
        final int length = receiveAfterReset(c, readByteBuffer);
        if (length < 0)
        {
            connections.close(c, "peer closed");
        }
        return length;
    }

    /**
     * recvmsg of one datagram into {@link #received}. Linux reports a reset (ECONNRESET: the client closed with
     * datagrams of ours unread, as a short-lived shared-memory client does with the SHM_READY it had no need to read)
     * once, and before the datagrams the client sent that are still queued: those are read, not lost with the
     * connection. A failure that stays is real.
     */
    private int receiveAfterReset(final ClientConnection c, final ByteBuffer dst) throws IOException
    {
        try
        {
            return received.receive(c.io().fd(), dst);
        }
        catch (final IOException reset)
        {
            return received.receive(c.io().fd(), dst);
        }
    }

    /**
     * @return false when the datagram was refused with a fatal ERROR and the connection closes after its flush.
     */
    private boolean onDatagram(final ClientConnection c, final int length, final long nowNs)
    {
        return onDatagram(c, length, received, nowNs);
    }

    private boolean onDatagram(final ClientConnection c, final int length, final ScmRights rights, final long nowNs)
    {
        counters.increment(BrokerCounters.DATAGRAMS_READ);
        counters.add(BrokerCounters.BYTES_READ, length);
        final boolean ok = rights.isControlTruncated() ?
            protocol.onTruncatedDescriptors(c, rights) :
            protocol.onDatagram(c, readBuffer, length, rights, nowNs, epochClock.nanoTime());
        if (!ok)
        {
            connections.closeAfterFlush(c);
        }
        return ok;
    }

    private void park(final ClientConnection c)
    {
        if (c.park())
        {
            parked.add(c);
            counters.increment(BrokerCounters.PUBLISHERS_PARKED);
            connections.updateInterest(c);
        }
    }

    /**
     * Publishers may go again: every parked connection is read again, first directly (its
     * datagram is waiting), then as epoll reports it.
     *
     * @return connections released.
     */
    int unpark()
    {
        final int n = parked.size();
        for (int i = 0; i < n; i++)
        {
            final ClientConnection c = parked.get(i);
            c.unpark();
            if (c.state() != ClientConnection.State.CLOSED)
            {
                connections.updateInterest(c);
                if (!c.isHungUp() && c.markHot())
                {
                    hot.add(c);
                }
            }
        }
        parked.clear();
        return n;
    }

    /**
     * Stops reading a connection whose frames ran more than a second ahead of max_frames_per_second,
     * so the kernel holds it back; {@link #releaseThrottled} reads it again once it is due.
     */
    private void throttleIfAhead(final ClientConnection c, final long nowNs)
    {
        if (c.state() == ClientConnection.State.OPEN && c.throttle())
        {
            throttled.add(c);
            counters.increment(BrokerCounters.LIMIT_FRAME_RATE);
            connections.updateInterest(c);
        }
    }

    int releaseThrottled(final long nowNs)
    {
        int released = 0;
        for (int i = throttled.size() - 1; i >= 0; i--)
        {
            final ClientConnection c = throttled.get(i);
            if (c.state() != ClientConnection.State.OPEN || !overFrameRate(c, nowNs))
            {
                c.unthrottle();
                throttled.remove(i);
                released++;
                if (c.state() == ClientConnection.State.OPEN)
                {
                    connections.updateInterest(c);
                }
            }
        }
        return released;
    }

    /** Reads the connections that stopped at their burst last time, so likely have more. */
    int readHot(final long nowNs)
    {
        final ArrayList<ClientConnection> reading = hot;
        hot = hotSpare;
        hotSpare = reading;
        int work = 0;
        for (int i = 0, n = reading.size(); i < n; i++)
        {
            final ClientConnection c = reading.get(i);
            c.clearHot();
            if (!c.isHungUp() && !c.isThrottled() && !backpressure.holdPublishers())
            {
                work += read(c, nowNs, context.readBurst());
            }
        }
        reading.clear();
        return work;
    }

    /**
     * Reads up to {@code burst} datagrams from a client; closes it at the end of its stream.
     *
     * @return datagrams read.
     */
    private int read(final ClientConnection c, final long nowNs, final int burst)
    {
        int datagrams = 0;
        if (c.state() == ClientConnection.State.CLOSING || c.state() == ClientConnection.State.CLOSED)
        {
            return 0;
        }
        if (c.isShmAttached())
        {
            return readRing(c, nowNs, burst, false);
        }
        try
        {
            while (datagrams < burst)
            {
                readByteBuffer.clear();
                final int length = receive(c);
                if (length <= 0)
                {
                    break;
                }
                datagrams++;
                if (!onDatagram(c, length, nowNs) || attachedNow(c))
                {
                    break;
                }
                if (overFrameRate(c, nowNs))
                {
                    throttleIfAhead(c, nowNs);
                    break;
                }
                if (backpressure.holdPublishers())
                {
                    // A subscriber just filled up (or the LAN backlog): stop reading here, so the
                    // kernel holds this publisher back until it drains (the block policy).
                    counters.increment(BrokerCounters.PUBLISHER_STALLS);
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            connections.close(c, "read failed: " + ex.getMessage());
        }
        if (datagrams > 0)
        {
            c.onDatagramsRead(nowNs);
        }
        // A publisher that sent a moment ago is read again directly while the agent waits for work: a read
        // finds its next message as soon as epoll would, in one syscall. A few only; over many
        // sockets one epoll_wait is cheaper than a read each.
        final boolean keepHot = datagrams > 0 ||
            (nowNs - c.lastDatagramNs() < Configuration.HOT_LINGER_NS && hot.size() < Configuration.HOT_LINGER_MAX);
        if (keepHot && c.state() != ClientConnection.State.CLOSED && c.markHot())
        {
            hot.add(c);
        }
        return datagrams;
    }

    /**
     * Reads every attached shared-memory client's from_client ring: a volatile load each when empty, no system call.
     * Held-back publishers are peeked at and parked as on the socket; throttled, parked and hung-up ones wait.
     *
     * @return records read.
     */
    int readAttached(final long nowNs, final boolean holdPublishers)
    {
        ringsBusy = false;
        if (connections.isDraining())
        {
            return 0;
        }
        final ArrayList<ClientConnection> attached = shm.attached();
        int work = 0;
        // Backwards: a client closed on the way leaves the list.
        for (int i = attached.size() - 1; i >= 0; i--)
        {
            if (i >= attached.size())
            {
                continue;
            }
            final ClientConnection c = attached.get(i);
            if (SharedMemoryClients.isReadable(c))
            {
                work += readRing(c, nowNs, context.readBurst(), holdPublishers || backpressure.holdPublishers());
            }
        }
        ringsBusy = work > 0;
        return work;
    }

    /**
     * Up to {@code burst} records of an attached client's from_client ring, each copied into the read buffer and
     * handled as a datagram read from its socket would be.
     *
     * @param held true while publishers are held back: a record that would publish stays in the ring, and the
     *             client is parked.
     * @return records read.
     */
    private int readRing(final ClientConnection c, final long nowNs, final int burst, final boolean held)
    {
        final ShmEndpoint endpoint = c.shm();
        int records = 0;
        try
        {
            while (records < burst && c.state() == ClientConnection.State.OPEN)
            {
                readByteBuffer.clear();
                final int length = held ? endpoint.peek(readByteBuffer) : endpoint.read(readByteBuffer);
                if (length == 0)
                {
                    break;
                }
                if (held)
                {
                    if (protocol.wouldPublish(readBuffer, length))
                    {
                        park(c);
                        break;
                    }
                    readByteBuffer.clear();
                    endpoint.read(readByteBuffer);
                }
                records++;
                final ScmRights rights = endpoint.lastHadFds() ? takeRecordDescriptors(c) : noDescriptors;
                if (rights == null)
                {
                    break;
                }
                if (!onDatagram(c, length, rights, nowNs))
                {
                    break;
                }
                if (!held && overFrameRate(c, nowNs))
                {
                    throttleIfAhead(c, nowNs);
                    break;
                }
                if (!held && backpressure.holdPublishers())
                {
                    counters.increment(BrokerCounters.PUBLISHER_STALLS);
                    break;
                }
            }
        }
        catch (final ShmCorruptException ex)
        {
            refuseCorrupt(c, "its from_client ring is corrupt: " + ex.getMessage());
        }
        catch (final IOException ex)
        {
            connections.close(c, "read failed: " + ex.getMessage());
        }
        if (records > 0)
        {
            // Room was made: a client that waits for it is woken (once per wait).
            endpoint.afterReads();
            c.onDatagramsRead(nowNs);
        }
        return records;
    }

    /**
     * A FRAMES_WITH_FDS record: its descriptors are in the one SHM_FDS datagram the client sent on its socket just
     * before committing it.
     *
     * @return the receive holding them, or null when there was no such datagram, or it was not exactly one SHM_FDS
     * frame naming as many descriptors as came (the client is refused, PROTOCOL_VIOLATION).
     */
    private ScmRights takeRecordDescriptors(final ClientConnection c) throws IOException
    {
        fdsByteBuffer.clear();
        final int length = receiveAfterReset(c, fdsByteBuffer);
        final String problem;
        if (length <= 0)
        {
            problem = "a FRAMES_WITH_FDS record without its SHM_FDS datagram on the socket";
        }
        else if (received.isControlTruncated() || received.isDataTruncated())
        {
            problem = "its SHM_FDS datagram was cut off (over max_descriptors_per_datagram " +
                context.maxDescriptorsPerDatagram() + ")";
        }
        else if (length != ShmFdsFrame.LENGTH || Protocol.frameType(fdsBuffer, 0) != FrameType.SHM_FDS ||
            Protocol.frameLength(fdsBuffer, 0) != ShmFdsFrame.LENGTH)
        {
            problem = "the datagram before a FRAMES_WITH_FDS record is not one SHM_FDS frame";
        }
        else if (fdsBuffer.getInt(ShmFdsFrame.FD_COUNT_OFFSET, Protocol.BYTE_ORDER) != received.descriptorCount() ||
            fdsBuffer.getInt(ShmFdsFrame.RESERVED_OFFSET, Protocol.BYTE_ORDER) != 0)
        {
            problem = "SHM_FDS says " + (fdsBuffer.getInt(ShmFdsFrame.FD_COUNT_OFFSET, Protocol.BYTE_ORDER) &
                0xFFFF_FFFFL) + " descriptors; " + received.descriptorCount() + " came";
        }
        else
        {
            return received;
        }
        received.closeReceived();
        refuseCorrupt(c, problem);
        return null;
    }

    /** A client whose shared memory cannot be trusted: PROTOCOL_VIOLATION, closed; every other client goes on. */
    private void refuseCorrupt(final ClientConnection c, final String why)
    {
        if (c.state() == ClientConnection.State.CLOSED)
        {
            return;
        }
        shm.onCorrupt(c);
        protocol.reject(c, ErrorCode.PROTOCOL_VIOLATION, 0, why);
        connections.closeAfterFlush(c);
    }

    /**
     * Its broker_wake fired: the client made room in its to_client ring, or wrote into from_client while the agent
     * slept (read this cycle with every attached ring).
     *
     * @return 1: work done.
     */
    private int onBrokerWake(final ClientConnection c, final ShmEndpoint endpoint)
    {
        endpoint.onBrokerWake();
        if (c.subscriber().isWriteBlocked())
        {
            c.subscriber().onWritable();
        }
        return 1;
    }

    /**
     * Reads what the peers that hung up sent before they went, then closes them.
     */
    int drainHungUp(final long nowNs)
    {
        int work = 0;
        for (int i = hungUp.size() - 1; i >= 0; i--)
        {
            final ClientConnection c = hungUp.get(i);
            if (c.state() != ClientConnection.State.CLOSED)
            {
                final boolean onSocket = !c.isShmAttached();
                final int n = read(c, nowNs, context.readBurst());
                work += n;
                // A read that stopped because a subscriber filled up again (block policy) left the rest
                // with the kernel: read on once it drains, rather than close and lose what was sent. A read that
                // stopped at SHM_ATTACH left the records the client committed after it in from_client: the next
                // cycle reads them from there (a client that attaches, publishes and closes at once hangs up
                // before the broker read its SHM_ATTACH).
                final boolean attachedNow = onSocket && c.isShmAttached();
                if (n < context.readBurst() && !attachedNow && c.state() != ClientConnection.State.CLOSED &&
                    !backpressure.holdPublishers())
                {
                    connections.close(c, "peer closed");
                }
            }
            if (c.state() == ClientConnection.State.CLOSED)
            {
                hungUp.remove(i);
            }
            if (backpressure.holdPublishers())
            {
                break;
            }
        }
        return work;
    }

    /**
     * Reads and drops what a client sent that the stopping broker will not serve (a HELLO that
     * raced the stop, say): closing a socket with unread input makes the kernel reset the
     * connection, and the client would get ECONNRESET instead of the SHUTTING_DOWN error.
     */
    void discardUnread(final ClientConnection c)
    {
        try
        {
            for (int i = 0; i < Configuration.SHUTDOWN_DISCARD_LIMIT; i++)
            {
                readByteBuffer.clear();
                if (c.io().read(readByteBuffer) <= 0)
                {
                    return;
                }
            }
        }
        catch (final IOException ignore)
        {
            // gone already: nothing to reset
        }
    }
}

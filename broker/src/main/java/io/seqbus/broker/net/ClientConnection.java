package io.seqbus.broker.net;

import io.seqbus.broker.acl.Permissions;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.Subscriber;
import io.seqbus.broker.quota.UidAccount;
import io.seqbus.broker.shm.ShmEndpoint;
import io.seqbus.wire.Printable;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

import java.io.IOException;

/**
 * A connected client as the broker sees it: its socket, who it is (from the kernel) and what it may do, where its
 * handshake and session stand, and how the agent reads it (polled, hot, parked, throttled, hung up). What is
 * queued for it and what it subscribed to are its {@link Subscriber}'s, which reaches it through a
 * {@link SocketTransport}. Every field is private; each change has a method named for what it means. Owned by
 * the agent thread.
 */
public final class ClientConnection
{
    /** Lifecycle of a connection. */
    public enum State
    {
        /** Accepted; the first frame must be HELLO. */
        AWAITING_HELLO,
        /** Welcomed; every frame type may flow. */
        OPEN,
        /** A fatal ERROR waits for room in the kernel; nothing more is read; closed once sent or at the linger's end. */
        CLOSING,
        /** Closed; nothing more is read or written. */
        CLOSED
    }

    private final long connectionId;
    private final AFUNIXDatagramChannel channel;
    private final SocketFd io;
    private final int pid;
    private final int uid;
    private final int gid;
    private long publisherId;
    private final UidAccount account;
    private final long acceptedNs;
    private final Subscriber subscriber;
    private State state = State.AWAITING_HELLO;
    private String name = "";
    private long lastSequence;
    private boolean session;
    private long firstSequence = 1;
    // True when its session was remembered as closed with publishes numbered, so subscribers may know it.
    private boolean sessionSeen;
    private Permissions permissions = Permissions.ALL;
    private final LastTopic lastTopic = new LastTopic();
    private boolean mayBlock = true;
    private long lingerDeadlineNs;
    // How the agent reads it: see Reader.
    private boolean polled;
    private boolean hungUp;
    private boolean hot;
    private long lastDatagramNs;
    private boolean parked;
    private boolean throttled;
    // Under max_frames_per_second: when the frames read so far would have been due at the allowed rate, ns
    // (a token bucket kept as one clock, GCRA).
    private long frameClockNs;
    // Its shared-memory rings (issue 15), from the handshake that offered them until close; null on the socket.
    private ShmEndpoint shm;
    // Its requests waiting for a RESPONSE (issue 19); kept by the broker's request table.
    private int pendingRequests;

    /**
     * @param connectionId broker-local number, for logs.
     * @param channel      the accepted channel.
     * @param credentials  the peer's credentials from SO_PEERCRED, or null if unknown.
     * @param publisherId  the id DELIVER frames carry for this connection's publishes.
     * @param account      what its uid holds at the broker.
     * @param acceptedNs   when it was accepted, for the handshake timeout.
     * @param fanOut       where its subscriber endpoint comes from.
     * @param events       told when writing to it blocks or fails.
     * @param queueLimit   bytes queued before its slow-consumer policy applies, until it subscribes.
     * @throws IOException if the channel is closed already.
     */
    public ClientConnection(
        final long connectionId, final AFUNIXDatagramChannel channel, final AFUNIXSocketCredentials credentials,
        final long publisherId, final UidAccount account, final long acceptedNs, final FanOut fanOut,
        final SocketTransport.Events events, final int queueLimit) throws IOException
    {
        this.account = account;
        this.acceptedNs = acceptedNs;
        this.connectionId = connectionId;
        this.channel = channel;
        this.io = new SocketFd(SocketFd.fdOf(channel), channel);
        this.pid = credentials == null ? 0 : (int)credentials.getPid();
        this.uid = credentials == null ? -1 : (int)credentials.getUid();
        this.gid = credentials == null ? -1 : (int)credentials.getGid();
        this.publisherId = publisherId;
        this.subscriber = fanOut.newSubscriber(new SocketTransport(this, events), account, queueLimit);
        this.subscriber.owner(this);
    }

    /** @return its requests waiting for a RESPONSE. */
    public int pendingRequests()
    {
        return pendingRequests;
    }

    /** @param delta requests begun (positive) or ended (negative); the request table's call. */
    public void pendingRequests(final int delta)
    {
        pendingRequests += delta;
    }

    /** @return broker-local connection number. */
    public long connectionId()
    {
        return connectionId;
    }

    /** @return the channel. */
    public AFUNIXDatagramChannel channel()
    {
        return channel;
    }

    /** @return its socket, as the agent reads and writes it. */
    public SocketFd io()
    {
        return io;
    }

    /** @return the peer's pid from the kernel. */
    public int pid()
    {
        return pid;
    }

    /** @return the peer's uid from the kernel. */
    public int uid()
    {
        return uid;
    }

    /** @return the peer's primary gid from the kernel. */
    public int gid()
    {
        return gid;
    }

    /** @return publisher id of this connection. */
    public long publisherId()
    {
        return publisherId;
    }

    /** @return its endpoint in the fan-out: what is queued for it and what it subscribed to. */
    public Subscriber subscriber()
    {
        return subscriber;
    }

    /** @return what its uid holds at the broker. */
    public UidAccount account()
    {
        return account;
    }

    /** @return when it was accepted, ns. */
    public long acceptedNs()
    {
        return acceptedNs;
    }

    /** @return the lifecycle state. */
    public State state()
    {
        return state;
    }

    /** @param state the new state. */
    public void state(final State state)
    {
        this.state = state;
    }

    /** @return the client's name from HELLO. */
    public String name()
    {
        return name;
    }

    /** @param name the client's name from HELLO. */
    public void name(final String name)
    {
        this.name = name;
    }

    /**
     * HELLO carried a session (SPEC.md): the id derived from it replaces the per-connection one, and the
     * numbering continues where the client says.
     *
     * @param publisherId  derived from the uid and the session.
     * @param nextSequence the sequence the next publish gets; below 1 is taken as 1.
     * @param seenBefore   true when the broker remembered the session as closed with publishes numbered.
     */
    public void resumeSession(final long publisherId, final long nextSequence, final boolean seenBefore)
    {
        this.publisherId = publisherId;
        this.session = true;
        this.sessionSeen = seenBefore;
        this.firstSequence = Math.max(1, nextSequence);
        this.lastSequence = firstSequence - 1;
    }

    /** @return true when its HELLO carried a session, so its publisher id outlives it. */
    public boolean hasSession()
    {
        return session;
    }

    /** @return true when the broker numbered at least one of its publishes. */
    public boolean numberedAny()
    {
        return lastSequence >= firstSequence;
    }

    /** @return the sequence of the next publish: one more than the last. */
    public long nextSequence()
    {
        return ++lastSequence;
    }

    /** @return publishes accepted from this connection. */
    public long lastSequence()
    {
        return lastSequence;
    }

    /** @return true when subscribers may have seen its session's publishes before this connection. */
    public boolean sessionSeen()
    {
        return sessionSeen;
    }

    /** @return the topic it last published to and was allowed, for {@code PublishRights}. */
    public LastTopic lastTopic()
    {
        return lastTopic;
    }

    /** @return what this peer may publish and subscribe. */
    public Permissions permissions()
    {
        return permissions;
    }

    /** @return whether this peer may subscribe with the block policy. */
    public boolean mayBlock()
    {
        return mayBlock;
    }

    /**
     * Applies the access rules for its identity, at accept and on reload.
     *
     * @param permissions what it may publish and subscribe.
     * @param mayBlock    whether it may subscribe with the block policy.
     */
    public void grant(final Permissions permissions, final boolean mayBlock)
    {
        this.permissions = permissions;
        this.mayBlock = mayBlock;
    }

    /**
     * A fatal ERROR waits for room in the kernel: nothing more is read.
     *
     * @param deadlineNs when to close even if it could not be sent.
     */
    public void beginClosing(final long deadlineNs)
    {
        state = State.CLOSING;
        lingerDeadlineNs = deadlineNs;
    }

    /** @return in {@link State#CLOSING}: when to close even if the last frames could not be sent, ns. */
    public long lingerDeadlineNs()
    {
        return lingerDeadlineNs;
    }

    /** @return true while the agent's {@link Poller} watches it: from accept until it hangs up or closes. */
    public boolean isPolled()
    {
        return polled;
    }

    /** Now registered with the agent's {@link Poller}. */
    public void onPolled()
    {
        polled = true;
    }

    /** @return true if it was polled until now: the caller deregisters it. */
    public boolean stopPolled()
    {
        final boolean was = polled;
        polled = false;
        return was;
    }

    /** @return true once the peer hung up; what it sent before is still read. */
    public boolean isHungUp()
    {
        return hungUp;
    }

    /** @return true the first time: the peer hung up. */
    public boolean markHungUp()
    {
        final boolean first = !hungUp;
        hungUp = true;
        return first;
    }

    /** @return true while listed as a publisher to read again next cycle without polling first. */
    public boolean isHot()
    {
        return hot;
    }

    /** @return true when newly listed as hot; the caller lists it. */
    public boolean markHot()
    {
        final boolean newly = !hot;
        hot = true;
        return newly;
    }

    /** No longer listed as hot. */
    public void clearHot()
    {
        hot = false;
    }

    /** @return when a datagram was last read from it, ns: a publisher stays hot a while after. */
    public long lastDatagramNs()
    {
        return lastDatagramNs;
    }

    /** @param nowNs when datagrams were just read from it. */
    public void onDatagramsRead(final long nowNs)
    {
        lastDatagramNs = nowNs;
    }

    /** @return true while not read because a datagram it sent would publish while publishers are held back. */
    public boolean isParked()
    {
        return parked;
    }

    /** @return true when newly parked; the caller lists it. */
    public boolean park()
    {
        final boolean newly = !parked;
        parked = true;
        return newly;
    }

    /** Publishers may go again: it is read again. */
    public void unpark()
    {
        parked = false;
    }

    /** @return true while it is not read because it sent frames faster than max_frames_per_second. */
    public boolean isThrottled()
    {
        return throttled;
    }

    /** @return true when newly throttled; the caller lists it. */
    public boolean throttle()
    {
        final boolean newly = !throttled;
        throttled = true;
        return newly;
    }

    /** It is due again, or the limit went. */
    public void unthrottle()
    {
        throttled = false;
    }

    /**
     * Counts frames against max_frames_per_second: each is due one interval after the previous one.
     *
     * @param frames     read in one datagram.
     * @param nowNs      the agent's clock.
     * @param intervalNs between frames at the allowed rate.
     */
    public void chargeFrames(final int frames, final long nowNs, final long intervalNs)
    {
        frameClockNs = Math.max(frameClockNs, nowNs) + frames * intervalNs;
    }

    /**
     * @param nowNs the agent's clock.
     * @return how far its frames run ahead of their due time, ns.
     */
    public long framesAheadNs(final long nowNs)
    {
        return frameClockNs - nowNs;
    }

    /**
     * @return its shared-memory rings, offered at its HELLO (every frame to it goes into its to_client ring from
     * then on); null while it is on the socket alone.
     */
    public ShmEndpoint shm()
    {
        return shm;
    }

    /** @return true once it sent SHM_ATTACH: what it sends is read from its from_client ring, not its socket. */
    public boolean isShmAttached()
    {
        return shm != null && shm.isAttached();
    }

    /** @param endpoint its rings, offered at the handshake. */
    public void useSharedMemory(final ShmEndpoint endpoint)
    {
        this.shm = endpoint;
    }

    /** @return the transport in the STAT document and the metrics: {@code "shm"} or {@code "socket"}. */
    public String transportName()
    {
        return shm == null ? "socket" : "shm";
    }

    /** @return a short label for logs: id, name, pid and uid. */
    public String label()
    {
        return "client#" + connectionId + (name.isEmpty() ? "" : "(" + Printable.of(name) + ")") + " pid=" + pid +
            " uid=" + uid;
    }

}

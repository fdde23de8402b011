package io.seqbus.broker.net;

import io.seqbus.broker.acl.Permissions;
import io.seqbus.broker.fanout.Outbox;
import io.seqbus.broker.quota.UidAccount;
import io.seqbus.broker.route.Subscription;
import io.seqbus.wire.Printable;
import org.agrona.collections.Int2ObjectHashMap;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

import java.io.IOException;

/**
 * A connected client as the broker sees it: its socket, who it is (from the kernel), what it
 * subscribed to, and what is queued for it. Owned by the agent thread.
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
    private final Outbox outbox;
    private final UidAccount account;
    private final long acceptedNs;
    private final Int2ObjectHashMap<Subscription> subscriptions = new Int2ObjectHashMap<>();
    /** True while the agent's {@link Poller} watches it: from accept until it hangs up or closes. */
    public boolean polled;
    private State state = State.AWAITING_HELLO;
    private String name = "";
    private long lastSequence;
    private boolean session;
    private long firstSequence = 1;
    private int queueLimit;

    /** True while listed among the outboxes to flush this duty cycle. */
    public boolean flushPending;
    /** True while the kernel's queue for this client is full. */
    public boolean writeBlocked;
    /** True while this client's queue is over its bound and holds publishers back. */
    public boolean overLimit;
    /** When {@link #overLimit} became true, ns. */
    public long overLimitSinceNs;
    /** True once the peer hung up; what it sent before is still read. */
    public boolean hungUp;
    /** True while listed as a publisher to read again next cycle without polling first. */
    public boolean hot;
    /** When a datagram was last read from it, ns: a publisher stays hot a while after. */
    public long lastDatagramNs;
    /** True once a slow-consumer policy evicts it; nothing more is queued for it. */
    public boolean evicting;
    /** Why it is being evicted, for its SLOW_CONSUMER ERROR. */
    public String evictReason;
    /** Subscriptions with drops not yet reported by a GAP. */
    public int pendingGaps;
    /** In {@link State#CLOSING}: when to close even if the ERROR could not be sent, ns. */
    public long lingerDeadlineNs;
    /** What this peer may publish and subscribe, from the access rules for its uid and gid. */
    public Permissions permissions = Permissions.ALL;
    /** Whether the access rules let this peer subscribe with the block policy. */
    public boolean mayBlock = true;
    /** Heap charged for its subscriptions, bytes. */
    public long subscriptionBytes;
    /** True while not read because a datagram it sent would publish while publishers are held back. */
    public boolean parked;
    /**
     * Under max_frames_per_second: when the frames read so far would have been due at the allowed
     * rate, ns (a token bucket kept as one clock, GCRA); more than a second ahead of now, it is not read.
     */
    public long frameClockNs;
    /** True when its session was remembered as closed with publishes numbered, so subscribers may know it. */
    public boolean sessionSeen;
    /** True while it is not read because it sent frames faster than max_frames_per_second. */
    public boolean throttled;

    /**
     * @param connectionId broker-local number, for logs.
     * @param channel      the accepted channel.
     * @param credentials  the peer's credentials from SO_PEERCRED, or null if unknown.
     * @param publisherId  the id DELIVER frames carry for this connection's publishes.
     * @param outbox       its outbound queue, charged to {@code account}.
     * @param account      what its uid holds at the broker.
     * @param queueLimit   bytes queued before its slow-consumer policy applies.
     * @param acceptedNs   when it was accepted, for the handshake timeout.
     * @throws IOException if the channel is closed already.
     */
    public ClientConnection(
        final long connectionId, final AFUNIXDatagramChannel channel, final AFUNIXSocketCredentials credentials,
        final long publisherId, final Outbox outbox, final UidAccount account, final int queueLimit,
        final long acceptedNs) throws IOException
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
        this.outbox = outbox;
        this.queueLimit = queueLimit;
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

    /** @return the outbound queue. */
    public Outbox outbox()
    {
        return outbox;
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

    /** @return live subscriptions by client id. */
    public Int2ObjectHashMap<Subscription> subscriptions()
    {
        return subscriptions;
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
     */
    public void resumeSession(final long publisherId, final long nextSequence)
    {
        this.publisherId = publisherId;
        this.session = true;
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

    /** @return bytes queued before its slow-consumer policy applies. */
    public int queueLimit()
    {
        return queueLimit;
    }

    /** @param queueLimit bytes queued before its slow-consumer policy applies. */
    public void queueLimit(final int queueLimit)
    {
        this.queueLimit = queueLimit;
    }

    /** @return a short label for logs: id, name, pid and uid. */
    public String label()
    {
        return "client#" + connectionId + (name.isEmpty() ? "" : "(" + Printable.of(name) + ")") + " pid=" + pid +
            " uid=" + uid;
    }
}

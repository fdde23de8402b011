package io.seqbus.broker;

import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.WriteCounter;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.log.LogRateLimit;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.net.Poller;
import io.seqbus.broker.net.SocketTransport;
import io.seqbus.broker.quota.UidAccount;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.sys.ScmRights;
import io.seqbus.wire.ErrorCode;
import org.agrona.CloseHelper;
import org.agrona.collections.Long2ObjectHashMap;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;

/**
 * The lifecycle of every client connection, on the agent thread: accept and register (within the
 * limits in all and per uid), and close at once or after a last frame (the CLOSING linger). Told by each
 * connection's {@link SocketTransport} when writing to it blocks or fails.
 */
final class Connections implements SocketTransport.Events
{
    private final BrokerContext context;
    private final Poller poller;
    private final BrokerCounters counters;
    private final FanOut fanOut;
    private final ClientCommandAdapter protocol;
    private final SharedMemoryClients shm;
    private final TransportTotals transportTotals = new TransportTotals();
    private final Long2ObjectHashMap<ClientConnection> connections = new Long2ObjectHashMap<>();
    private final UidAccounts accounts;
    // In the order accepted, so the handshake deadlines come due in this order too.
    private final ArrayDeque<ClientConnection> awaitingHello = new ArrayDeque<>();
    private final ArrayList<ClientConnection> closing = new ArrayList<>();
    private final WriteCounter writeCounter = this::onDatagramWritten;
    // Every connection's sendmsg(2) with descriptors goes through these, in turn, on the agent thread.
    private final ScmRights sender = new ScmRights(ScmRights.KERNEL_MAX_DESCRIPTORS);
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(8);
    private final long startEpochSeconds = System.currentTimeMillis() / 1000;
    private long nextConnectionId = 1;
    private final LogRateLimit connectionLog =
        new LogRateLimit("connect and disconnect lines", Configuration.CONNECTION_LOG_LINES_PER_SECOND, System.nanoTime());
    private boolean draining;

    Connections(
        final BrokerContext context, final Poller poller, final BrokerCounters counters, final FanOut fanOut,
        final ClientCommandAdapter protocol, final UidAccounts accounts, final SharedMemoryClients shm)
    {
        this.shm = shm;
        this.accounts = accounts;
        this.context = context;
        this.poller = poller;
        this.counters = counters;
        this.fanOut = fanOut;
        this.protocol = protocol;
    }

    /**
     * @return every registered connection; iterate on the agent thread only.
     */
    Collection<ClientConnection> values()
    {
        return connections.values();
    }

    /** @return messages and bytes per transport, closed connections included. */
    TransportTotals transportTotals()
    {
        return transportTotals;
    }

    /**
     * @return what every uid with a connection holds.
     */
    UidAccounts accounts()
    {
        return accounts;
    }

    /**
     * Closes the connections that did not send HELLO within the handshake timeout: a connection
     * costs the broker a descriptor and memory before it says who it is.
     *
     * @return connections closed.
     */
    int expireHandshakes(final long nowNs)
    {
        connectionLog.poll(nowNs);
        final long timeoutNs = context.handshakeTimeoutMs() * 1_000_000L;
        int closed = 0;
        ClientConnection c;
        while ((c = awaitingHello.peekFirst()) != null)
        {
            if (c.state() == ClientConnection.State.AWAITING_HELLO && nowNs - c.acceptedNs() > timeoutNs)
            {
                counters.increment(BrokerCounters.HANDSHAKE_TIMEOUTS);
                protocol.reject(c, ErrorCode.HELLO_REQUIRED, 0,
                    "no HELLO within handshake_timeout_ms " + context.handshakeTimeoutMs());
                closeAfterFlush(c);
                closed++;
            }
            else if (c.state() == ClientConnection.State.AWAITING_HELLO)
            {
                break;
            }
            awaitingHello.pollFirst();
        }
        return closed;
    }

    /**
     * @return counts each datagram sent to a client.
     */
    WriteCounter writeCounter()
    {
        return writeCounter;
    }

    /**
     * @return true once stopping: nothing more is read.
     */
    boolean isDraining()
    {
        return draining;
    }

    /**
     * @return true while some connection waits for the linger to end.
     */
    boolean hasClosing()
    {
        return !closing.isEmpty();
    }

    /**
     * Stops reading every connection; what is queued is still written.
     */
    void beginDrain()
    {
        draining = true;
        for (final ClientConnection c : connections.values())
        {
            updateInterest(c);
        }
    }

    /**
     * Polls a connection for what it needs now: reads unless stopping or throttled, writes while
     * its queue waits for room.
     */
    void updateInterest(final ClientConnection c)
    {
        if (c.isPolled())
        {
            // A shared-memory client's queue waits for room in its ring (broker_wake), not in its socket; once
            // attached, its socket is polled for hang-up alone (SHM_FDS datagrams are taken as its records say).
            final boolean reads = !draining && !c.isThrottled() && !c.isParked() && !c.isShmAttached();
            final boolean writes = c.subscriber().isWriteBlocked() && c.shm() == null;
            setInterest(c, (reads ? Poller.READ : 0) | (writes ? Poller.WRITE : 0));
        }
    }

    /**
     * Stops polling a connection that hung up: the kernel would report it on every poll from now on.
     * What it sent before it went is still read.
     */
    void stopPolling(final ClientConnection c)
    {
        if (c.stopPolled())
        {
            poller.deregister(c.io().fd());
        }
    }

    private void setInterest(final ClientConnection c, final int interest)
    {
        try
        {
            poller.interest(c.io().fd(), interest);
        }
        catch (final IOException ex)
        {
            close(c, "cannot poll it: " + ex.getMessage());
        }
    }

    /**
     * @return bytes still queued for clients; read by the agent or after it stopped.
     */
    long queuedBytes()
    {
        long bytes = 0;
        for (final ClientConnection c : connections.values())
        {
            bytes += c.state() == ClientConnection.State.CLOSED || c.isHungUp() ? 0 : c.subscriber().queuedBytes();
        }
        return bytes;
    }

    int acceptAll(final Listener listener)
    {
        int accepted = 0;
        while (true)
        {
            final AFUNIXDatagramSocket socket;
            try
            {
                socket = listener.accept();
            }
            catch (final IOException ex)
            {
                Log.warn("accept failed: " + ex.getMessage());
                return accepted;
            }
            if (socket == null)
            {
                return accepted;
            }
            accepted++;
            register(socket);
        }
    }

    private void register(final AFUNIXDatagramSocket socket)
    {
        final AFUNIXDatagramChannel channel = socket.getChannel();
        AFUNIXSocketCredentials credentials = null;
        try
        {
            credentials = socket.getPeerCredentials();
        }
        catch (final IOException ex)
        {
            Log.warn("no peer credentials for a new connection: " + ex.getMessage());
        }
        final long connectionId = nextConnectionId++;
        final long publisherId = (startEpochSeconds << 32) | (connectionId & 0xFFFF_FFFFL);
        final UidAccount account = accounts.open(credentials == null ? -1 : (int)credentials.getUid());
        final ClientConnection c;
        try
        {
            c = new ClientConnection(connectionId, channel, credentials, publisherId, account, System.nanoTime(),
                fanOut, this, context.maxQueueBytes());
        }
        catch (final IOException ex)
        {
            Log.warn("a new connection went before it was registered: " + ex.getMessage());
            accounts.close(account);
            CloseHelper.quietClose(channel);
            return;
        }
        counters.increment(BrokerCounters.CONNECTIONS_ACCEPTED);
        try
        {
            channel.configureBlocking(false);
            if (connections.size() >= context.maxConnections())
            {
                counters.increment(BrokerCounters.CONNECTIONS_REFUSED);
                refuse(c, "the broker serves at most " + context.maxConnections() + " connections");
                return;
            }
            if (account.connections() > context.maxConnectionsPerUid())
            {
                counters.increment(BrokerCounters.CONNECTIONS_REFUSED);
                counters.increment(BrokerCounters.LIMIT_CONNECTIONS_PER_UID);
                refuse(c, "uid " + c.uid() + " holds " + context.maxConnectionsPerUid() +
                    " connections already (max_connections_per_uid)");
                return;
            }
            // The kernel's word on who the peer is, looked up once: every PUBLISH and SUBSCRIBE
            // of this connection is checked against these permissions.
            c.grant(context.accessControl().permissionsFor(c.uid(), c.gid()),
                context.accessControl().mayBlock(c.uid(), c.gid()));
            poller.register(c.io().fd(), Poller.READ, c);
            c.onPolled();
        }
        catch (final IOException ex)
        {
            Log.warn("cannot register " + c.label() + ": " + ex.getMessage());
            c.subscriber().close();
            accounts.close(account);
            CloseHelper.quietClose(channel);
            return;
        }
        connections.put(connectionId, c);
        awaitingHello.addLast(c);
        counters.set(BrokerCounters.CONNECTIONS_OPEN, connections.size());
        if (connectionLog.allow(Log.Level.INFO, c.acceptedNs()))
        {
            Log.info("accepted " + c.label());
        }
    }

    private void refuse(final ClientConnection c, final String why)
    {
        protocol.reject(c, ErrorCode.LIMIT_EXCEEDED, 0, why);
        try
        {
            c.subscriber().drain(writeCounter);
        }
        catch (final IOException ex)
        {
            Log.debug("refused " + c.label() + " went before its ERROR: " + ex.getMessage());
        }
        c.subscriber().close();
        accounts.close(c.account());
        CloseHelper.quietClose(c.channel());
    }

    /**
     * Applies reloaded access rules: every connection gets its identity's new permissions, and
     * loses (with an ACCESS_DENIED ERROR each) the subscriptions they no longer allow.
     *
     * @param rules the new rules.
     */
    void applyAccessControl(final AccessControl rules)
    {
        int removed = 0;
        for (final ClientConnection c : connections.values())
        {
            if (c.state() != ClientConnection.State.CLOSED && c.state() != ClientConnection.State.CLOSING)
            {
                removed += protocol.reapply(c, rules);
            }
        }
        Log.info("reload: access rules applied to " + connections.size() + " connections; " + removed +
            " subscriptions no longer allowed were removed");
    }

    private void onDatagramWritten(final int bytes)
    {
        counters.increment(BrokerCounters.DATAGRAMS_WRITTEN);
        counters.add(BrokerCounters.BYTES_WRITTEN, bytes);
    }

    /**
     * Closes a connection once its last frame (a fatal ERROR, usually) is out. Its subscriptions
     * go at once; the ERROR may have to wait for the client to read, for at most the linger.
     */
    void closeAfterFlush(final ClientConnection c)
    {
        if (c.state() == ClientConnection.State.CLOSED || c.state() == ClientConnection.State.CLOSING)
        {
            return;
        }
        protocol.forget(c);
        c.subscriber().leaveBlock();
        try
        {
            if (c.subscriber().drain(writeCounter))
            {
                close(c, null);
                return;
            }
        }
        catch (final IOException ex)
        {
            close(c, "write failed: " + ex.getMessage());
            return;
        }
        c.beginClosing(System.nanoTime() + Configuration.CLOSE_LINGER_NS);
        if (c.isPolled())
        {
            // On shared memory the ERROR waits for room in the ring: broker_wake wakes the agent for finishClosing.
            setInterest(c, c.shm() == null ? Poller.WRITE : 0);
        }
        closing.add(c);
    }

    int finishClosing(final long nowNs)
    {
        int work = 0;
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            final ClientConnection c = closing.get(i);
            if (c.state() == ClientConnection.State.CLOSING)
            {
                try
                {
                    if (c.subscriber().drain(writeCounter))
                    {
                        close(c, null);
                        work++;
                    }
                    else if (nowNs - c.lingerDeadlineNs() > 0)
                    {
                        close(c, "its last frames did not fit in " +
                            Configuration.CLOSE_LINGER_NS / 1_000_000 + " ms");
                    }
                }
                catch (final IOException ex)
                {
                    close(c, "write failed: " + ex.getMessage());
                }
            }
            if (c.state() == ClientConnection.State.CLOSED)
            {
                closing.remove(i);
            }
        }
        return work;
    }

    void close(final ClientConnection c, final String why)
    {
        if (c.state() == ClientConnection.State.CLOSED)
        {
            return;
        }
        c.state(ClientConnection.State.CLOSED);
        protocol.forget(c);
        c.subscriber().close();
        stopPolling(c);
        shm.closed(c);
        CloseHelper.quietClose(c.channel());
        if (connections.remove(c.connectionId()) != null)
        {
            transportTotals.closed(c);
            accounts.close(c.account());
        }
        counters.increment(BrokerCounters.CONNECTIONS_CLOSED);
        counters.set(BrokerCounters.CONNECTIONS_OPEN, connections.size());
        if (why != null && connectionLog.allow(Log.Level.INFO, System.nanoTime()))
        {
            Log.info("closed " + c.label() + ": " + why);
        }
    }

    @Override
    public ScmRights sender()
    {
        return sender;
    }

    @Override
    public ByteBuffer scratch()
    {
        return scratch;
    }

    @Override
    public void onWriteBlocked(final ClientConnection c)
    {
        updateInterest(c);
    }

    @Override
    public void onWriteFailed(final ClientConnection c, final IOException cause)
    {
        close(c, "write failed: " + cause.getMessage());
    }

}

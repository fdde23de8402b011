package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.WriteCounter;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.log.LogRateLimit;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.net.Poller;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.broker.shm.ShmEndpoint;
import io.seqbus.broker.shm.ShmTransport;
import io.seqbus.sys.ScmRights;
import io.seqbus.sys.ShmChannel;
import io.seqbus.sys.ShmCorruptException;
import io.seqbus.wire.ShmReadyFrame;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;

/**
 * The clients on shared memory (issue 15), on the agent thread: the offer at HELLO (within shm, the uid's and the
 * broker's bounds; WELCOME and then SHM_READY with the memfd and both eventfds on the socket, and every later frame
 * into the to_client ring), SHM_ATTACH (from then on the client is read from its ring), the list the {@link Reader}
 * reads each duty cycle, the agent's "about to sleep" in every ring, and the close (unmapped, closed, refunded).
 * A client refused shared memory simply stays on the socket.
 */
final class SharedMemoryClients
{
    private static final int READY_DESCRIPTORS = 3;

    private final BrokerContext context;
    private final Poller poller;
    private final BrokerCounters counters;
    private final UidAccounts accounts;
    private final ScmRights sender = new ScmRights(READY_DESCRIPTORS);
    private final int[] readyFds = new int[READY_DESCRIPTORS];
    private final ByteBuffer readyDatagram = ByteBuffer.allocateDirect(ShmReadyFrame.LENGTH);
    private final UnsafeBuffer readyFrame = new UnsafeBuffer(readyDatagram);
    private final ArrayList<ClientConnection> attached = new ArrayList<>();
    private final LogRateLimit log = new LogRateLimit(
        "shared-memory lines", Configuration.CONNECTION_LOG_LINES_PER_SECOND, System.nanoTime());
    private final WriteCounter written = this::onDatagramWritten;
    private final Runnable countCorrupt = this::countCorrupt;
    private boolean sleeping;

    SharedMemoryClients(
        final BrokerContext context, final Poller poller, final BrokerCounters counters, final UidAccounts accounts)
    {
        this.context = context;
        this.poller = poller;
        this.counters = counters;
        this.accounts = accounts;
    }

    /**
     * A HELLO with SHARED_MEMORY, its WELCOME queued: sends WELCOME and SHM_READY on the socket and switches the
     * client to its rings, or leaves it on the socket (shm off, a bound reached, the kernel refused a part).
     *
     * @param c the client.
     */
    void offer(final ClientConnection c)
    {
        // Without DESCRIPTORS it reads without a control buffer: SHM_READY's descriptors would not reach it.
        if (!context.shm() || c.shm() != null || !c.subscriber().acceptsDescriptors())
        {
            counters.increment(BrokerCounters.SHM_NOT_OFFERED);
            return;
        }
        final int ringBytes = context.shmRingBytes();
        final long size = chargedBytes(ringBytes);
        if (!accounts.chargeShm(c.account(), size, context.maxShmBytesPerUid(), context.maxShmBytesTotal()))
        {
            counters.increment(BrokerCounters.SHM_REFUSED_BOUND);
            note(c, "stays on the socket: its uid holds " + c.account().shmBytes() + " bytes of shared memory " +
                "(max_shm_bytes_per_uid " + context.maxShmBytesPerUid() + "), all clients " +
                accounts.totalShmBytes() + " (max_shm_bytes_total " + context.maxShmBytesTotal() + ")");
            return;
        }
        ShmEndpoint endpoint = null;
        boolean registered = false;
        try
        {
            endpoint = ShmEndpoint.create(ringBytes, context.maxDatagram());
            // WELCOME (and anything before it) goes on the socket: the client reads its socket until SHM_READY.
            if (!c.subscriber().drain(written))
            {
                throw new IOException("its WELCOME did not fit its socket");
            }
            // Polled before SHM_READY goes: once it went, the client may write and signal at once.
            poller.register(endpoint.brokerWakeFd(), Poller.READ, c);
            registered = true;
            ShmReadyFrame.encode(readyFrame, 0, endpoint.toClientCapacity(), endpoint.fromClientCapacity(),
                endpoint.size());
            readyDatagram.limit(ShmReadyFrame.LENGTH).position(0);
            readyFds[0] = endpoint.memfd();
            readyFds[1] = endpoint.clientWakeFd();
            readyFds[2] = endpoint.brokerWakeFd();
            if (sender.trySend(c.io().fd(), readyDatagram, readyFds, READY_DESCRIPTORS) <= 0)
            {
                throw new IOException("its socket took no SHM_READY");
            }
            // The client has its copy; the mapping keeps the memory: one descriptor fewer per client.
            endpoint.memfdSent();
        }
        catch (final IOException ex)
        {
            // Nothing reached the client but WELCOME: it stays on the socket, as when no rings are offered.
            if (registered)
            {
                poller.deregister(endpoint.brokerWakeFd());
            }
            if (endpoint != null)
            {
                endpoint.close();
            }
            accounts.refundShm(c.account(), size);
            counters.increment(BrokerCounters.SHM_NOT_OFFERED);
            note(c, "stays on the socket: " + ex.getMessage());
            return;
        }
        c.useSharedMemory(endpoint);
        c.subscriber().useTransport(new ShmTransport(endpoint, c.subscriber().transport(), countCorrupt));
        counters.increment(BrokerCounters.SHM_CLIENTS);
        Log.debug(c.label() + " offered shared memory: rings of " + ringBytes + " bytes");
    }

    /**
     * SHM_ATTACH: the client mapped its rings; from now on it is read from its from_client ring alone.
     *
     * @param c the client.
     * @return false when it was offered no rings or attached already: a protocol violation.
     */
    boolean attach(final ClientConnection c)
    {
        final ShmEndpoint endpoint = c.shm();
        if (endpoint == null || endpoint.isAttached())
        {
            return false;
        }
        endpoint.attach();
        attached.add(c);
        return true;
    }

    /** @return the attached clients, to read each duty cycle; agent thread only, no change while iterated. */
    ArrayList<ClientConnection> attached()
    {
        return attached;
    }

    /**
     * A corrupt ring or a bad SHM_FDS sequence: counted (the PROTOCOL_VIOLATION that closes it logs why, as any).
     *
     * @param c the client, closed by the caller with PROTOCOL_VIOLATION.
     */
    void onCorrupt(final ClientConnection c)
    {
        counters.increment(BrokerCounters.SHM_CORRUPT);
    }

    /**
     * The agent is about to block in epoll_wait: marks it sleeping in each attached client's from_client ring it
     * would read, and looks again.
     *
     * @return true when every such ring is empty (a client that writes now signals broker_wake); false when one
     * has a record (the agent must not block; every flag is lowered again).
     */
    boolean sleepIfAllEmpty()
    {
        sleeping = true;
        for (int i = 0, n = attached.size(); i < n; i++)
        {
            final ClientConnection c = attached.get(i);
            if (!isReadable(c))
            {
                continue;
            }
            try
            {
                if (!c.shm().sleepIfEmpty())
                {
                    awake();
                    return false;
                }
            }
            catch (final ShmCorruptException ex)
            {
                // The next read finds it and closes the client.
                awake();
                return false;
            }
        }
        return true;
    }

    /** The agent is awake: no attached client need signal it. */
    void awake()
    {
        if (sleeping)
        {
            sleeping = false;
            for (int i = 0, n = attached.size(); i < n; i++)
            {
                attached.get(i).shm().awake();
            }
        }
    }

    /**
     * @param c an attached client.
     * @return true when the agent reads its ring now: open, not hung up (drained apart), throttled or parked.
     */
    static boolean isReadable(final ClientConnection c)
    {
        return c.state() == ClientConnection.State.OPEN && !c.isHungUp() && !c.isThrottled() && !c.isParked();
    }

    /**
     * A connection closes: its rings are unmapped, its memfd and eventfds closed, its uid refunded.
     *
     * @param c the connection.
     */
    void closed(final ClientConnection c)
    {
        final ShmEndpoint endpoint = c.shm();
        if (endpoint == null || endpoint.isClosed())
        {
            return;
        }
        poller.deregister(endpoint.brokerWakeFd());
        attached.remove(c);
        accounts.refundShm(c.account(), chargedBytes(context.shmRingBytes()));
        endpoint.close();
        counters.add(BrokerCounters.SHM_CLIENTS, -1);
    }

    /** @return what a client's memfd is charged: both rings and the header (shm_ring_bytes is fixed at start). */
    private static long chargedBytes(final int ringBytes)
    {
        return ShmChannel.size(ringBytes, ringBytes);
    }

    private void countCorrupt()
    {
        counters.increment(BrokerCounters.SHM_CORRUPT);
    }

    private void onDatagramWritten(final int bytes)
    {
        counters.increment(BrokerCounters.DATAGRAMS_WRITTEN);
        counters.add(BrokerCounters.BYTES_WRITTEN, bytes);
    }

    private void note(final ClientConnection c, final String what)
    {
        if (log.allow(Log.Level.INFO, System.nanoTime()))
        {
            Log.info(c.label() + " asked for shared memory and " + what);
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.bridge.LocalBus;
import io.seqbus.broker.fanout.Backpressure;
import io.seqbus.broker.fanout.ClientProxy;
import io.seqbus.broker.fanout.DatagramPool;
import io.seqbus.broker.fanout.DescriptorPool;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.SharedDescriptors;
import io.seqbus.broker.fanout.Subscriber;
import io.seqbus.broker.fanout.Subscription;
import io.seqbus.broker.fanout.SubscriptionRegistry;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.net.Poller;
import io.seqbus.broker.net.SocketFd;
import io.seqbus.broker.quota.UidAccounts;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.broker.stat.TopicRates;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.sys.AdaptiveSpin;
import io.seqbus.sys.LibC;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.OffsetEpochNanoClock;

import java.io.IOException;
import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The broker's one thread. Each duty cycle: poll every socket, accept, read what clients sent
 * (handing each datagram to {@link ClientCommandAdapter}, which fans publishes out to subscribers),
 * then flush every subscriber touched, one {@code send} per datagram. Owns all sockets and all
 * routing state; nothing here is shared, so nothing here locks. With a LAN bridge, the agent also drives
 * it: messages from other brokers are delivered like local ones, and loss on the LAN becomes GAP frames.
 *
 * <p>{@link #doWork()} is the map of a cycle; the roles it calls own the details:
 * {@link Connections} (accept, limits, closing), {@link Backpressure} (when publishers wait),
 * {@link Evictions} (slow consumers, memory bound), {@link Reader} (the read path),
 * {@link io.seqbus.broker.fanout.FlushList} (the write path) and {@link Sampler} (cycle timing, sampled
 * counters, STAT).
 *
 * <p>Stopping has two steps. {@link #requestDrain()} (any thread) makes the agent stop accepting
 * and stop reading, and keep writing until every queue is empty; then {@link #onClose()} tells
 * each client the broker is stopping and closes it.
 */
final class BrokerAgent implements Agent, LocalBus
{
    private final BrokerContext context;
    private final Listener listener;
    private final Poller poller;
    private final int listenerFd;
    private final BrokerCounters counters = new BrokerCounters();
    private final TopicIndex<Subscription> index = new TopicIndex<>(4096);
    private final FanOut fanOut;
    private final Backpressure backpressure;
    private final ClientCommandAdapter protocol;
    private final DatagramPool pool;
    private final Connections connections;
    private final Evictions evictions;
    private final Reader reader;
    private final SharedMemoryClients shm;
    private final Sampler sampler;
    private final EpochNanoClock epochClock = new OffsetEpochNanoClock();
    private final CountDownLatch drained = new CountDownLatch(1);
    private volatile boolean drainRequested;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands = new ManyToOneConcurrentArrayQueue<>(256);
    private final Consumer<Runnable> runCommand = Runnable::run;
    private int hotCycles;
    private int idleCycles;
    // Empty cycles this idle stretch may spin before it blocks: idle_spin_cycles, or 0 when the spin policy says
    // spinning does not pay now (cores oversubscribed, or work has not come within the spin lately).
    private int spinCycles;
    // The agent's thread's own (it reads that thread's schedstat): made in onStart, null before (a test calling
    // doWork from its own thread gets the fixed spin).
    private AdaptiveSpin adaptiveSpin;
    private final BridgeCounters bridgeCounters = new BridgeCounters();
    private final int[] lanMemfd = new int[1];
    private final LanBridge bridge;
    // What idle_spin_cycles (40) empty cycles take here, spins and yields (~1-3 µs each): the spin policy's first
    // guess at the window within which a message pays for the spin; the spins it sees refine it.
    private static final long IDLE_SPIN_GUESS_NS = 100_000;
    private long cycleNowNs;

    BrokerAgent(final BrokerContext context, final Listener listener, final Supplier<ReloadOutcome> lastReload)
        throws IOException
    {
        final long startNs = System.nanoTime();
        final TopicRates topicRates = new TopicRates(startNs);
        this.context = context;
        this.listener = listener;
        this.poller = new Poller();
        this.listenerFd = SocketFd.fdOf(listener.channel());
        poller.register(listenerFd, Poller.READ, listener);
        this.bridge = context.lanChannel() == null ? null : LanBridge.launch(context, this, bridgeCounters);
        this.spinCycles = context.idleSpinCycles();
        this.pool = new DatagramPool(context.maxDatagram(), Configuration.DATAGRAM_POOL_MAX_IDLE);
        final LanBridge lan = bridge;
        final DescriptorPool descriptorPool = new DescriptorPool(
            context.maxDescriptorMessagesHeld(), context.maxDescriptorsPerMessage(),
            DescriptorBudget.heldLimit(context), LibC::close);
        DescriptorBudget.report(context, descriptorPool.maxHeldDescriptors());
        // Publishers also wait while the pool could not hold every message of one more datagram: Backpressure
        // asks the pool itself (FanOut hands it over).
        this.backpressure = new Backpressure(pool, lan == null ? () -> false : lan::isBackPressured);
        this.fanOut = new FanOut(index, counters, pool, new FanOut.QueueBounds()
        {
            public long queuedBytesPerUid()
            {
                return context.maxQueuedBytesPerUid();
            }

            public long hardQueuedMemory()
            {
                return MemoryBudget.hardQueuedBytes(context.maxTotalQueuedBytes());
            }

            public long maxTotalQueuedBytes()
            {
                return context.maxTotalQueuedBytes();
            }

            public int maxDescriptorsPerDatagram()
            {
                return context.maxDescriptorsPerDatagram();
            }

            public long maxDescriptorBytesPerSubscriber()
            {
                return context.maxDescriptorBytesPerSubscriber();
            }

            public long maxDescriptorBytesTotal()
            {
                return context.maxDescriptorBytesTotal();
            }

            public int maxDescriptorsInFlight()
            {
                return context.maxDescriptorsInFlight();
            }
        }, backpressure, descriptorPool);
        final UidAccounts accounts = new UidAccounts();
        this.shm = new SharedMemoryClients(context, poller, counters, accounts);
        final SubscriptionRegistry registry =
            new SubscriptionRegistry(index, accounts, counters, context::maxQueueBytes);
        if (bridge != null)
        {
            // Issue 19: queue groups across the LAN; the bridge announces this broker's groups and decides.
            fanOut.lanGroups(bridge::deliversToGroup);
            bridge.localGroups(registry::groupEntries);
        }
        this.protocol = new ClientCommandAdapter(
            context, registry, fanOut, counters, topicRates, this::statDocument, bridge, this::tellResumed, shm);
        this.connections = new Connections(context, poller, counters, fanOut, protocol, accounts, shm);
        this.evictions = new Evictions(context, counters, fanOut, backpressure, protocol, connections);
        this.reader =
            new Reader(context, poller, listener, counters, backpressure, protocol, connections, epochClock, shm);
        this.sampler = new Sampler(context, counters, connections, topicRates, bridge, pool, descriptorPool, startNs,
            listener.address(), lastReload);
    }

    BrokerCounters counters()
    {
        return counters;
    }

    BridgeCounters bridgeCounters()
    {
        return bridgeCounters;
    }

    LanBridge bridge()
    {
        return bridge;
    }

    /**
     * Hands a task to the agent thread, which runs it at the start of its next duty cycle: how
     * other threads (reload on SIGHUP) change what the agent owns without a lock.
     *
     * @param command to run on the agent thread.
     * @return false when the queue is full; try again later.
     */
    boolean submit(final Runnable command)
    {
        if (!commands.offer(command))
        {
            return false;
        }
        poller.wakeup();
        return true;
    }

    /**
     * Wakes the agent from a blocking poll, so the runner's close takes effect at once. Any thread.
     */
    public void wakeUp()
    {
        poller.wakeup();
    }

    @Override
    public boolean watchDriverSocket(final int fd)
    {
        try
        {
            // Not a connection: Reader skips it, and the bridge's duty cycle runs the driver, which reads it.
            poller.register(fd, Poller.READ, Reader.LAN_DRIVER_SOCKET);
            return true;
        }
        catch (final IOException ex)
        {
            Log.warn("bridge: " + ex.getMessage());
            return false;
        }
    }

    @Override
    public void unwatchDriverSocket(final int fd)
    {
        poller.deregister(fd);
    }

    /**
     * Asks the agent to stop accepting and reading, and to deliver what is queued.
     */
    void requestDrain()
    {
        drainRequested = true;
        poller.wakeup();
    }

    /**
     * @param timeoutNs longest wait.
     * @return true when every queue was delivered, false when the time ran out first.
     * @throws InterruptedException if the waiting thread is interrupted.
     */
    boolean awaitDrained(final long timeoutNs) throws InterruptedException
    {
        return drained.await(timeoutNs, TimeUnit.NANOSECONDS);
    }

    /**
     * @return bytes still queued for clients; read by the agent or after it stopped.
     */
    long queuedBytes()
    {
        return connections.queuedBytes();
    }

    /**
     * Applies reloaded access rules; see {@link Connections#applyAccessControl}.
     *
     * @param rules the new rules.
     */
    void applyAccessControl(final AccessControl rules)
    {
        connections.applyAccessControl(rules);
    }

    @Override
    public String roleName()
    {
        return "seqbus-broker";
    }

    @Override
    public void onStart()
    {
        adaptiveSpin = AdaptiveSpin.forCurrentThread(IDLE_SPIN_GUESS_NS);
    }

    @Override
    public int doWork() throws IOException
    {
        final long nowNs = System.nanoTime();
        cycleNowNs = nowNs;
        if (drainRequested && !connections.isDraining())
        {
            beginDrain();
        }
        final boolean draining = connections.isDraining();
        fanOut.refreshBounds();
        evictions.checkTotalQueued(nowNs);
        evictions.checkDescriptorsHeld(nowNs);
        final boolean holdPublishers = backpressure.holdPublishers() || draining;
        if (!holdPublishers && reader.hasParked())
        {
            reader.unpark();
        }
        // Block in epoll_wait when there has been nothing to do for a while: no CPU while idle,
        // and no added latency, since poll returns as soon as any socket is ready. While
        // draining nobody is polled for reading, so blocking cannot miss a read either. The LAN's
        // datagrams arrive on the embedded driver's sockets, which are in the same epoll; its timers
        // bound the block (LanBridge.idleBlockMs).
        final boolean block = idleCycles >= spinCycles && (!holdPublishers || draining) &&
            (draining || shm.attached().isEmpty() || shm.sleepIfAllEmpty());
        if (block && adaptiveSpin != null)
        {
            adaptiveSpin.spinEnded(nowNs);
        }
        int work;
        final long workStartNs;
        if (reader.hasHot() && hotCycles < Configuration.HOT_CYCLES_PER_POLL && !holdPublishers)
        {
            // Publishers that had more to send a moment ago: read them again without asking
            // epoll_wait first: a read is one syscall either way, and finds the data at once.
            hotCycles++;
            workStartNs = nowNs;
            work = commands.drain(runCommand);
            if (reader.hasThrottled())
            {
                work += reader.releaseThrottled(nowNs);
            }
            work += reader.readHot(nowNs);
        }
        else
        {
            hotCycles = 0;
            final int ready = poller.poll(block ? idleBlockMs() : 0);
            workStartNs = block ? System.nanoTime() : nowNs;
            work = commands.drain(runCommand);
            if (reader.hasThrottled())
            {
                work += reader.releaseThrottled(nowNs);
            }
            if (ready > 0)
            {
                work += reader.onReady(nowNs, holdPublishers);
            }
        }
        shm.awake();
        // Shared-memory clients are read every cycle, from memory: no system call unless a record carries descriptors.
        work += reader.readAttached(nowNs, holdPublishers);
        if (bridge != null)
        {
            // The driver's sockets are read when epoll says so, and on every cycle of an idle stretch (spinning, it has
            // nothing else to do, and a datagram is found without waiting for the next epoll_wait).
            final boolean lanSocketReady = reader.takeLanSocketReady();
            work += bridge.doWork(nowNs, epochClock.nanoTime() / 1_000_000, !isFull() && !draining,
                lanSocketReady || idleCycles > 0);
        }
        if (reader.hasHungUp() && !backpressure.holdPublishers() && !draining)
        {
            work += reader.drainHungUp(nowNs);
        }
        evictions.evictMarked();
        work += connections.expireHandshakes(nowNs);
        work += protocol.expireRequests(nowNs);
        if (connections.hasClosing())
        {
            work += connections.finishClosing(nowNs);
        }
        work += fanOut.flushList().flushAll(connections.writeCounter());
        evictions.evictStalled(nowNs);
        if (draining && drained.getCount() > 0 && connections.queuedBytes() == 0)
        {
            drained.countDown();
        }
        counters.increment(BrokerCounters.DUTY_CYCLES);
        sampler.endCycle(workStartNs);
        idleSpin(work, nowNs, workStartNs);
        // A blocking poll was the idling; the runner's idle strategy must not back off on top.
        return block ? Math.max(work, 1) : work;
    }

    // How long an idle agent blocks: 1 ms while something waits on a clock (throttled readers, descriptor room, the
    // LAN's backlog), as the LAN's driver timers allow, or the normal block.
    private int idleBlockMs()
    {
        if (reader.hasThrottled() || fanOut.hasDescriptorWaiters() || (bridge != null && bridge.hasBacklog()))
        {
            return Configuration.LAN_IDLE_BLOCK_MS;
        }
        return bridge == null ? Configuration.IDLE_BLOCK_MS : bridge.idleBlockMs(Configuration.IDLE_BLOCK_MS);
    }

    // The spin before epoll_wait: idle_spin_cycles at most, each idle stretch as the spin policy says.
    private void idleSpin(final int work, final long nowNs, final long workStartNs)
    {
        final AdaptiveSpin spin = adaptiveSpin;
        if (work > 0)
        {
            if (idleCycles > 0 && spin != null)
            {
                spin.workFound(workStartNs);
            }
            idleCycles = 0;
            return;
        }
        if (idleCycles++ == 0)
        {
            spinCycles = spin == null || spin.shouldSpin(nowNs) ? context.idleSpinCycles() : 0;
        }
    }

    private void beginDrain()
    {
        poller.deregister(listenerFd);
        // A bound socket's file goes now, so new clients fail fast rather than wait for nothing;
        // an inherited one stays with systemd, whose backlog keeps them for the next broker.
        listener.close();
        connections.beginDrain();
    }

    private String statDocument(final int statFlags, final int viewerUid)
    {
        return sampler.statDocument(statFlags, viewerUid);
    }

    @Override
    public void deliverFromLan(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid)
    {
        deliverFromLan(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence, timestampNs,
            uid, pid, 0);
    }

    @Override
    public void deliverFromLan(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final int headerFlag)
    {
        final int n = fanOut.deliverFromLan(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId,
            sequence, timestampNs, uid, pid, headerFlag, cycleNowNs);
        counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
        counters.add(BrokerCounters.BYTES_DELIVERED, (long)n * payloadLength);
    }

    @Override
    public void deliverRequestFromLan(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final long replyToken, final int headerFlag)
    {
        protocol.requestCommands().onLanRequest(buffer, topicIndex, topicLength, payloadLength, sourceNode,
            publisherId, sequence, timestampNs, uid, pid, replyToken, headerFlag, cycleNowNs);
    }

    @Override
    public void requestNotSharedFromLan(final long replyToken)
    {
        protocol.requestCommands().onLanRequestNotShared(replyToken);
    }

    @Override
    public void noneFromLan(final long replyToken, final int replierNode, final int flag)
    {
        protocol.requestCommands().onLanNone(replyToken, flag);
    }

    @Override
    public void replyFromLan(
        final long replyToken, final int replierNode, final int replierUid, final int replierPid,
        final long timestampNs, final DirectBuffer payload, final int payloadIndex, final int payloadLength,
        final int headerFlag)
    {
        protocol.requestCommands().onLanReply(replyToken, replierNode, replierUid, replierPid, timestampNs, payload,
            payloadIndex, payloadLength, headerFlag);
    }

    @Override
    public void deliverMemfdFromLan(
        final DirectBuffer topicBuffer, final int topicIndex, final int topicLength, final int memfd,
        final long payloadSize, final int sourceNode, final long publisherId, final long sequence,
        final long timestampNs, final int uid, final int pid)
    {
        deliverMemfdFromLan(topicBuffer, topicIndex, topicLength, 0, memfd, payloadSize, sourceNode, publisherId,
            sequence, timestampNs, uid, pid);
    }

    @Override
    public void deliverMemfdFromLan(
        final DirectBuffer topicBuffer, final int topicIndex, final int topicLength, final int blockLength,
        final int memfd, final long payloadSize, final int sourceNode, final long publisherId, final long sequence,
        final long timestampNs, final int uid, final int pid)
    {
        final SharedDescriptors held = fanOut.descriptorPool().acquire();
        if (held == null)
        {
            // The bridge stops reading while the pool is empty (isFull), so only a datagram of several
            // payloads gets here: this one is lost, and said so like other LAN loss.
            LibC.close(memfd);
            bridge.lostLocally(sourceNode);
            return;
        }
        lanMemfd[0] = memfd;
        held.hold(lanMemfd, 1, payloadSize);
        try
        {
            // A header block, if any, follows the topic and goes inline beside the memfd (SPEC.md, "Headers").
            final int n = fanOut.deliverDescriptorsFromLan(topicBuffer, topicIndex, topicLength, blockLength,
                sourceNode, publisherId, sequence, timestampNs, uid, pid, held, PublishFdsFrame.MEMFD_PAYLOAD,
                blockLength > 0 ? Protocol.FLAG_HEADERS : 0, cycleNowNs);
            counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
            counters.add(BrokerCounters.BYTES_DELIVERED, n * payloadSize);
        }
        finally
        {
            held.release();
        }
    }

    @Override
    public int gapToSharedSubscriptions(final int sourceNode, final long count, final int reason)
    {
        int told = 0;
        for (final ClientConnection c : connections.values())
        {
            if (c.state() != ClientConnection.State.OPEN)
            {
                continue;
            }
            final Subscriber subscriber = c.subscriber();
            for (final Subscription subscription : subscriber.subscriptions())
            {
                if (bridge.overlapsShared(subscription.pattern()))
                {
                    ClientProxy.gap(subscriber, subscription.id(), sourceNode, 0, 0, count, reason);
                    told++;
                }
            }
        }
        return told;
    }

    /**
     * One PUBLISHER_RESUMED GAP (subscription 0: every subscription of the connection) to each open connection
     * with subscriptions but the resumer's: the broker does not track which subscriptions saw which publisher,
     * the client library does, and passes it only to those. One 44-byte frame per connection per resume with a
     * hole, batched with whatever else that connection is sent this cycle.
     */
    private int tellResumed(
        final ClientConnection resumer, final long publisherId, final long fromSequence, final long count)
    {
        int told = 0;
        for (final ClientConnection c : connections.values())
        {
            final Subscriber subscriber = c.subscriber();
            if (c == resumer || c.state() != ClientConnection.State.OPEN || subscriber.isEvicting() ||
                subscriber.subscriptionCount() == 0)
            {
                continue;
            }
            ClientProxy.gap(subscriber, 0, context.nodeId(), publisherId, fromSequence, count,
                GapReason.PUBLISHER_RESUMED);
            told++;
        }
        return told;
    }

    @Override
    public boolean isFull()
    {
        // A memfd payload from the LAN needs a holder and room in the descriptor table: without them, reading on
        // would only lose it.
        final DescriptorPool descriptors = fanOut.descriptorPool();
        return backpressure.queuesFull() || descriptors.available() == 0 ||
            descriptors.heldDescriptors() >= descriptors.maxHeldDescriptors();
    }

    @Override
    public void onClose()
    {
        // Deliver what is queued, then tell everyone why the connection ends.
        final ArrayList<ClientConnection> all = new ArrayList<>(connections.values());
        for (final ClientConnection c : all)
        {
            if (c.state() == ClientConnection.State.OPEN)
            {
                protocol.reject(c, ErrorCode.SHUTTING_DOWN, 0, "the broker is stopping");
            }
            reader.discardUnread(c);
            connections.closeAfterFlush(c);
            connections.close(c, null);
        }
        if (bridge != null)
        {
            bridge.close();
        }
        poller.close();
        if (adaptiveSpin != null)
        {
            adaptiveSpin.close();
        }
        if (!connections.isDraining())
        {
            listener.close();
        }
    }
}

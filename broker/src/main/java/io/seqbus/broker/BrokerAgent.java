package io.seqbus.broker;

import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.bridge.LocalBus;
import io.seqbus.broker.fanout.DatagramPool;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.Outbox;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.route.Subscription;
import io.seqbus.broker.route.TopicIndex;
import io.seqbus.broker.stat.StatReport;
import io.seqbus.broker.stat.TopicRates;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.GapFrame;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import io.seqbus.broker.acl.AccessControl;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The broker's one thread. Each duty cycle: poll every socket, accept, read what clients sent
 * (handing each datagram to {@link ClientProtocol}, which fans publishes out into outboxes),
 * then flush every outbox touched, one {@code send} per datagram. Owns all sockets and all
 * routing state; nothing here is shared, so nothing here locks. With a LAN bridge, the agent also drives
 * it: messages from other brokers are delivered like local ones, and loss on the LAN becomes GAP frames.
 *
 * <p>Stopping has two steps. {@link #requestDrain()} (any thread) makes the agent stop accepting
 * and stop reading, and keep writing until every queue is empty; then {@link #onClose()} tells
 * each client the broker is stopping and closes it.
 */
final class BrokerAgent implements Agent, LocalBus
{
    private final Broker.Context context;
    private final Listener listener;
    private final Selector selector;
    private final SelectionKey listenerKey;
    private final BrokerCounters counters = new BrokerCounters();
    private final TopicIndex<Subscription> index = new TopicIndex<>(4096);
    private final FanOut fanOut = new FanOut(index, counters);
    private final ClientProtocol protocol;
    private final DatagramPool pool;
    private final Long2ObjectHashMap<ClientConnection> connections = new Long2ObjectHashMap<>();
    private final ArrayList<ClientConnection> hungUp = new ArrayList<>();
    private final ArrayList<ClientConnection> overLimit = new ArrayList<>();
    private final ArrayList<ClientConnection> closing = new ArrayList<>();
    private ArrayList<ClientConnection> hot = new ArrayList<>();
    private ArrayList<ClientConnection> hotSpare = new ArrayList<>();
    private int hotCycles;
    private final ArrayList<ClientConnection> throttled = new ArrayList<>();
    private final Int2IntHashMap connectionsByUid = new Int2IntHashMap(0);
    private boolean totalFull;
    private long totalFullSinceNs;
    private final ByteBuffer readByteBuffer;
    private final UnsafeBuffer readBuffer;
    private final EpochNanoClock epochClock = new OffsetEpochNanoClock();
    private final Outbox.WriteCounter writeCounter = this::onDatagramWritten;
    private final long startEpochSeconds = System.currentTimeMillis() / 1000;
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
    private final CountDownLatch drained = new CountDownLatch(1);
    private volatile boolean drainRequested;
    private boolean draining;
    private final long startNs = System.nanoTime();
    private final ManyToOneConcurrentArrayQueue<Runnable> commands = new ManyToOneConcurrentArrayQueue<>(256);
    private final Consumer<Runnable> runCommand = Runnable::run;
    private final TopicRates topicRates = new TopicRates(startNs);
    private long nextConnectionId = 1;
    private int idleCycles;
    private long nextSampleNs;
    private long nextRollNs;
    private long cycleMaxNs;
    private final BridgeCounters bridgeCounters = new BridgeCounters();
    private final LanBridge bridge;
    private final int idleBlockMs;
    private long cycleNowNs;

    BrokerAgent(final Broker.Context context, final Listener listener) throws IOException
    {
        this.context = context;
        this.listener = listener;
        this.selector = listener.channel().provider().openSelector();
        this.listenerKey = listener.channel().register(selector, SelectionKey.OP_READ);
        this.bridge = context.lanChannel() == null ? null : LanBridge.launch(context, this, bridgeCounters);
        this.idleBlockMs = bridge == null ? Configuration.IDLE_BLOCK_MS : Configuration.LAN_IDLE_BLOCK_MS;
        this.protocol = new ClientProtocol(context, index, fanOut, counters, topicRates, this::statDocument, bridge);
        this.pool = new DatagramPool(context.maxDatagram(), Configuration.DATAGRAM_POOL_MAX_IDLE);
        // One byte more than the limit: a longer datagram is cut by the kernel without a word,
        // and the extra byte is how we notice.
        this.readByteBuffer = ByteBuffer.allocateDirect(context.maxDatagram() + 1);
        this.readBuffer = new UnsafeBuffer(readByteBuffer);
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
        selector.wakeup();
        return true;
    }

    /**
     * Wakes the agent from a blocking poll, so the runner's close takes effect at once.
     */
    void wakeUp()
    {
        selector.wakeup();
    }

    /**
     * Asks the agent to stop accepting and reading, and to deliver what is queued.
     */
    void requestDrain()
    {
        drainRequested = true;
        selector.wakeup();
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
        long bytes = 0;
        for (final ClientConnection c : connections.values())
        {
            bytes += c.state() == ClientConnection.State.CLOSED || c.hungUp ? 0 : c.outbox().queuedBytes();
        }
        return bytes;
    }

    @Override
    public String roleName()
    {
        return "seqbus-broker";
    }

    @Override
    public int doWork() throws IOException
    {
        final long nowNs = System.nanoTime();
        cycleNowNs = nowNs;
        if (drainRequested && !draining)
        {
            beginDrain();
        }
        checkTotalQueued(nowNs);
        final boolean holdPublishers = holdPublishers() || draining;
        // Block in poll(2) when there has been nothing to do for a while: no CPU while idle,
        // and no added latency, since poll returns as soon as any socket is ready. While
        // draining nobody is polled for reading, so blocking cannot miss a read either. The LAN
        // arrives in shared memory, which poll cannot watch: with a bridge the block is short.
        final boolean block = idleCycles >= Configuration.IDLE_SPIN_CYCLES && (!holdPublishers || draining);
        int work;
        final long workStartNs;
        if (!hot.isEmpty() && hotCycles < Configuration.HOT_CYCLES_PER_POLL && !holdPublishers)
        {
            // Publishers that had more to send a moment ago: read them again without asking
            // poll(2) first, which costs a syscall over every socket, and allocates in junixsocket.
            hotCycles++;
            workStartNs = nowNs;
            work = commands.drain(runCommand);
            if (!throttled.isEmpty())
            {
                work += releaseThrottled(nowNs);
            }
            work += readHot(nowNs);
        }
        else
        {
            hotCycles = 0;
            final int ready = block ?
                selector.select(throttled.isEmpty() ? idleBlockMs : Configuration.LAN_IDLE_BLOCK_MS) :
                selector.selectNow();
            workStartNs = block ? System.nanoTime() : nowNs;
            work = commands.drain(runCommand);
            if (!throttled.isEmpty())
            {
                work += releaseThrottled(nowNs);
            }
            if (ready > 0)
            {
                work += onSelected(nowNs, holdPublishers);
            }
        }
        if (bridge != null)
        {
            work += bridge.doWork(
                nowNs, epochClock.nanoTime() / 1_000_000, fanOut.overLimitCount() == 0 && !totalFull && !draining);
        }
        if (!hungUp.isEmpty() && !holdPublishers() && !draining)
        {
            work += drainHungUp(nowNs);
        }
        if (!fanOut.toEvict().isEmpty())
        {
            evictDisconnectPolicy();
        }
        if (!closing.isEmpty())
        {
            work += finishClosing(nowNs);
        }
        work += flushAll(nowNs);
        if (fanOut.overLimitCount() > 0)
        {
            evictStalled(nowNs);
        }
        if (draining && drained.getCount() > 0 && queuedBytes() == 0)
        {
            drained.countDown();
        }
        counters.increment(BrokerCounters.DUTY_CYCLES);
        endCycle(workStartNs);
        idleCycles = work == 0 ? idleCycles + 1 : 0;
        // A blocking poll was the idling; the runner's idle strategy must not back off on top.
        return block ? Math.max(work, 1) : work;
    }

    private void beginDrain()
    {
        draining = true;
        listenerKey.cancel();
        // A bound socket's file goes now, so new clients fail fast rather than wait for nothing;
        // an inherited one stays with systemd, whose backlog keeps them for the next broker.
        listener.close();
        for (final ClientConnection c : connections.values())
        {
            if (c.key() != null && c.key().isValid())
            {
                c.key().interestOps(interestOps(c));
            }
        }
    }

    /**
     * @return what to poll a connection for: reads unless stopping, writes while its queue waits.
     */
    private int interestOps(final ClientConnection c)
    {
        return (draining || c.throttled ? 0 : SelectionKey.OP_READ) | (c.writeBlocked ? SelectionKey.OP_WRITE : 0);
    }

    /**
     * Times the cycle (work only, not the wait in poll) and, a few times a second, samples what
     * is too costly to keep per message: queue depths, and topic rates.
     */
    private void endCycle(final long workStartNs)
    {
        final long endNs = System.nanoTime();
        final long busyNs = endNs - workStartNs;
        counters.add(BrokerCounters.AGENT_BUSY_NS, busyNs);
        counters.set(BrokerCounters.AGENT_LAST_CYCLE_NANOTIME, endNs);
        if (busyNs > cycleMaxNs)
        {
            cycleMaxNs = busyNs;
        }
        if (endNs - nextSampleNs >= 0)
        {
            nextSampleNs = endNs + TimeUnit.MILLISECONDS.toNanos(Configuration.SAMPLE_INTERVAL_MS);
            sample();
            if (endNs - nextRollNs >= 0)
            {
                nextRollNs = endNs + TimeUnit.SECONDS.toNanos(1);
                topicRates.roll(endNs);
            }
        }
    }

    private void sample()
    {
        long total = 0;
        long max = 0;
        int subscribers = 0;
        for (final ClientConnection c : connections.values())
        {
            final long queued = c.outbox().queuedBytes();
            total += queued;
            max = Math.max(max, queued);
            subscribers += c.subscriptions().isEmpty() ? 0 : 1;
        }
        counters.set(BrokerCounters.QUEUED_BYTES_TOTAL, total);
        counters.set(BrokerCounters.QUEUED_BYTES_MAX, max);
        counters.set(BrokerCounters.SUBSCRIBERS, subscribers);
        counters.set(BrokerCounters.AGENT_CYCLE_MAX_NS, cycleMaxNs);
        counters.set(BrokerCounters.AGENT_ALLOCATED_BYTES, threads.getCurrentThreadAllocatedBytes());
        cycleMaxNs = 0;
    }

    private String statDocument(final int statFlags)
    {
        return StatReport.build(context, counters, connections.values(),
            context.statTopTopics() > 0 ? topicRates : null, statFlags,
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs), bridge);
    }

    private int onSelected(final long nowNs, final boolean holdPublishers)
    {
        int work = 0;
        final Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext())
        {
            final SelectionKey key = it.next();
            it.remove();
            if (key == listenerKey)
            {
                work += acceptAll();
                continue;
            }
            final ClientConnection c = (ClientConnection)key.attachment();
            if (c == null || c.state() == ClientConnection.State.CLOSED)
            {
                continue;
            }
            if (c.state() == ClientConnection.State.CLOSING)
            {
                // Writable again (or gone): finishClosing() sends the ERROR or gives up.
                continue;
            }
            if (!key.isValid())
            {
                // junixsocket cancels the key when poll reports a hang-up, and never reports
                // that connection again; what the peer sent before it went is still readable.
                if (!c.hungUp)
                {
                    c.hungUp = true;
                    hungUp.add(c);
                }
                continue;
            }
            final int ready = key.readyOps();
            if ((ready & SelectionKey.OP_WRITE) != 0 && c.writeBlocked)
            {
                c.writeBlocked = false;
                key.interestOps(interestOps(c));
                fanOut.markForFlush(c);
                work++;
            }
            if ((ready & SelectionKey.OP_READ) != 0 && !holdPublishers)
            {
                work += read(c, nowNs, context.readBurst(), true);
            }
        }
        return work;
    }

    private int acceptAll()
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
        final ClientConnection c = new ClientConnection(
            connectionId, channel, credentials, publisherId, new Outbox(pool), context.maxQueueBytes());
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
            if (connectionsByUid.get(c.uid()) >= context.maxConnectionsPerUid())
            {
                counters.increment(BrokerCounters.CONNECTIONS_REFUSED);
                counters.increment(BrokerCounters.LIMIT_CONNECTIONS_PER_UID);
                refuse(c, "uid " + c.uid() + " holds " + context.maxConnectionsPerUid() +
                    " connections already (max_connections_per_uid)");
                return;
            }
            // The kernel's word on who the peer is, looked up once: every PUBLISH and SUBSCRIBE
            // of this connection is checked against these permissions.
            c.permissions = context.accessControl().permissionsFor(c.uid(), c.gid());
            c.key(channel.register(selector, SelectionKey.OP_READ, c));
        }
        catch (final IOException ex)
        {
            Log.warn("cannot register " + c.label() + ": " + ex.getMessage());
            closeQuietly(channel);
            return;
        }
        connections.put(connectionId, c);
        connectionsByUid.put(c.uid(), connectionsByUid.get(c.uid()) + 1);
        counters.set(BrokerCounters.CONNECTIONS_OPEN, connections.size());
        Log.debug("accepted " + c.label());
    }

    private void refuse(final ClientConnection c, final String why) throws IOException
    {
        protocol.reject(c, ErrorCode.LIMIT_EXCEEDED, 0, why);
        c.outbox().flush(c.channel(), writeCounter);
        c.outbox().clear();
        c.channel().close();
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

    /**
     * Tracks the memory bound: while all queues together are at max_total_queued_bytes every
     * publisher is held back; if that lasts the stall timeout, the connection with the most
     * queued is evicted, as the block policy does for one full subscriber.
     */
    private void checkTotalQueued(final long nowNs)
    {
        final boolean full = pool.queuedBytes() >= context.maxTotalQueuedBytes();
        if (full && !totalFull)
        {
            counters.increment(BrokerCounters.LIMIT_TOTAL_QUEUED);
            totalFullSinceNs = nowNs;
            Log.debug("all queues together reached max_total_queued_bytes " + context.maxTotalQueuedBytes() +
                ": holding every publisher back");
        }
        totalFull = full;
        if (full && nowNs - totalFullSinceNs > context.stallTimeoutNs())
        {
            ClientConnection fullest = null;
            for (final ClientConnection c : connections.values())
            {
                if (c.state() == ClientConnection.State.OPEN &&
                    (fullest == null || c.outbox().queuedBytes() > fullest.outbox().queuedBytes()))
                {
                    fullest = c;
                }
            }
            if (fullest != null)
            {
                counters.increment(BrokerCounters.TOTAL_QUEUED_EVICTIONS);
                evict(fullest, "all queues together stayed at max_total_queued_bytes " +
                    context.maxTotalQueuedBytes() + " for " + context.stallTimeoutNs() / 1_000_000 +
                    " ms and this one held the most (" + fullest.outbox().queuedBytes() + " bytes)");
            }
            totalFullSinceNs = nowNs;
        }
    }

    /**
     * Stops reading a connection whose frames ran more than a second ahead of max_frames_per_second,
     * so the kernel holds it back; {@link #releaseThrottled} reads it again once it is due.
     */
    private void throttleIfAhead(final ClientConnection c, final long nowNs)
    {
        if (context.maxFramesPerSecond() > 0 && !c.throttled &&
            c.frameClockNs - nowNs > Configuration.FRAME_RATE_BURST_NS && c.state() == ClientConnection.State.OPEN)
        {
            c.throttled = true;
            throttled.add(c);
            counters.increment(BrokerCounters.LIMIT_FRAME_RATE);
            if (c.key() != null && c.key().isValid())
            {
                c.key().interestOps(interestOps(c));
            }
        }
    }

    private int releaseThrottled(final long nowNs)
    {
        int released = 0;
        for (int i = throttled.size() - 1; i >= 0; i--)
        {
            final ClientConnection c = throttled.get(i);
            if (c.state() != ClientConnection.State.OPEN || c.frameClockNs - nowNs <= Configuration.FRAME_RATE_BURST_NS ||
                context.maxFramesPerSecond() == 0)
            {
                c.throttled = false;
                throttled.remove(i);
                released++;
                if (c.key() != null && c.key().isValid() && c.state() == ClientConnection.State.OPEN)
                {
                    c.key().interestOps(interestOps(c));
                }
            }
        }
        return released;
    }

    /**
     * Reads up to {@code burst} datagrams from a client.
     *
     * @return datagrams read.
     */
    /** Reads the connections that stopped at their burst last time, so likely have more. */
    private int readHot(final long nowNs)
    {
        final ArrayList<ClientConnection> reading = hot;
        hot = hotSpare;
        hotSpare = reading;
        int work = 0;
        for (int i = 0, n = reading.size(); i < n; i++)
        {
            final ClientConnection c = reading.get(i);
            c.hot = false;
            if (!c.hungUp && !c.throttled && !holdPublishers())
            {
                work += read(c, nowNs, context.readBurst(), false);
            }
        }
        reading.clear();
        return work;
    }

    /**
     * Reads up to {@code burst} datagrams from a client.
     *
     * @param pollSaidReady true when poll(2) reported the socket readable: then reading nothing
     *                      at once means the peer closed (junixsocket reads 0 at EOF as for "none").
     * @return datagrams read.
     */
    private int read(final ClientConnection c, final long nowNs, final int burst, final boolean pollSaidReady)
    {
        int datagrams = 0;
        if (c.state() == ClientConnection.State.CLOSING || c.state() == ClientConnection.State.CLOSED)
        {
            return 0;
        }
        try
        {
            while (datagrams < burst)
            {
                readByteBuffer.clear();
                final int length = c.channel().read(readByteBuffer);
                if (length <= 0)
                {
                    // 0 means "nothing now" to junixsocket, for EOF too: the protocol has no
                    // empty datagrams, so a ready socket that reads nothing at once is closed.
                    if (datagrams == 0 && !c.hungUp && pollSaidReady)
                    {
                        close(c, "peer closed");
                    }
                    break;
                }
                datagrams++;
                counters.increment(BrokerCounters.DATAGRAMS_READ);
                if (!protocol.onDatagram(c, readBuffer, length, nowNs, epochClock.nanoTime()))
                {
                    closeAfterFlush(c);
                    break;
                }
                if (c.frameClockNs - nowNs > Configuration.FRAME_RATE_BURST_NS && context.maxFramesPerSecond() > 0)
                {
                    throttleIfAhead(c, nowNs);
                    break;
                }
                if (holdPublishers())
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
            close(c, "read failed: " + ex.getMessage());
        }
        if (datagrams > 0 && !c.hot && c.state() != ClientConnection.State.CLOSED)
        {
            c.hot = true;
            hot.add(c);
        }
        return datagrams;
    }

    private boolean holdPublishers()
    {
        return fanOut.overLimitCount() > 0 || pool.queuedBytes() >= context.maxTotalQueuedBytes() ||
            (bridge != null && bridge.isBackPressured());
    }

    @Override
    public void deliverFromLan(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid)
    {
        final int n = fanOut.deliver(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId,
            sequence, timestampNs, uid, pid, cycleNowNs);
        counters.add(BrokerCounters.MESSAGES_DELIVERED, n);
        counters.add(BrokerCounters.BYTES_DELIVERED, (long)n * payloadLength);
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
            for (final Subscription subscription : c.subscriptions().values())
            {
                if (bridge.overlapsShared(subscription.pattern()))
                {
                    final Outbox outbox = c.outbox();
                    final MutableDirectBuffer out = outbox.reserve(GapFrame.LENGTH);
                    outbox.commit(GapFrame.encode(
                        out, outbox.writeOffset(), subscription.id(), sourceNode, 0, 0, count, reason));
                    fanOut.markForFlush(c);
                    told++;
                }
            }
        }
        return told;
    }

    @Override
    public boolean isFull()
    {
        return fanOut.overLimitCount() > 0 || pool.queuedBytes() >= context.maxTotalQueuedBytes();
    }

    private int drainHungUp(final long nowNs)
    {
        int work = 0;
        for (int i = hungUp.size() - 1; i >= 0; i--)
        {
            final ClientConnection c = hungUp.get(i);
            if (c.state() != ClientConnection.State.CLOSED)
            {
                final int n = read(c, nowNs, context.readBurst(), false);
                work += n;
                if (n < context.readBurst() && c.state() != ClientConnection.State.CLOSED)
                {
                    close(c, "peer closed");
                }
            }
            if (c.state() == ClientConnection.State.CLOSED)
            {
                hungUp.remove(i);
            }
            if (holdPublishers())
            {
                break;
            }
        }
        return work;
    }

    private int flushAll(final long nowNs)
    {
        final ArrayList<ClientConnection> toFlush = fanOut.toFlush();
        // Not a for-each: flushing can queue more (a GAP once there is room), appended here.
        int i = 0;
        for (; i < toFlush.size(); i++)
        {
            final ClientConnection c = toFlush.get(i);
            c.flushPending = false;
            if (c.state() == ClientConnection.State.CLOSED || c.state() == ClientConnection.State.CLOSING ||
                c.writeBlocked)
            {
                continue;
            }
            flush(c);
        }
        toFlush.clear();
        return i;
    }

    private void flush(final ClientConnection c)
    {
        try
        {
            if (c.outbox().flush(c.channel(), writeCounter) == Outbox.BLOCKED)
            {
                c.writeBlocked = true;
                if (c.key() != null && c.key().isValid())
                {
                    c.key().interestOps(interestOps(c));
                }
            }
            fanOut.onQueueShrunk(c);
        }
        catch (final IOException ex)
        {
            close(c, "write failed: " + ex.getMessage());
        }
    }

    private void evictStalled(final long nowNs)
    {
        overLimit.clear();
        connections.values().forEach((c) ->
        {
            if (c.overLimit && nowNs - c.overLimitSinceNs > context.stallTimeoutNs())
            {
                overLimit.add(c);
            }
        });
        for (int i = 0; i < overLimit.size(); i++)
        {
            final ClientConnection c = overLimit.get(i);
            counters.increment(BrokerCounters.SLOW_CONSUMER_EVICTIONS);
            evict(c, "its queue stayed full for " + context.stallTimeoutNs() / 1_000_000 +
                " ms while publishers waited (block policy)");
        }
    }

    private void evictDisconnectPolicy()
    {
        final ArrayList<ClientConnection> toEvict = fanOut.toEvict();
        for (int i = 0; i < toEvict.size(); i++)
        {
            evict(toEvict.get(i), "its queue reached " + toEvict.get(i).queueLimit() + " bytes (disconnect policy)");
        }
        toEvict.clear();
    }

    private void evict(final ClientConnection c, final String why)
    {
        if (c.state() == ClientConnection.State.CLOSED)
        {
            return;
        }
        // Drop what it never read, so the ERROR is the next thing it sees.
        fanOut.onClosed(c);
        c.outbox().clear();
        protocol.reject(c, ErrorCode.SLOW_CONSUMER, 0, "slow consumer: " + why);
        closeAfterFlush(c);
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
    private void closeAfterFlush(final ClientConnection c)
    {
        if (c.state() == ClientConnection.State.CLOSED || c.state() == ClientConnection.State.CLOSING)
        {
            return;
        }
        protocol.forget(c);
        fanOut.onClosed(c);
        try
        {
            if (c.outbox().flush(c.channel(), writeCounter) == Outbox.DRAINED)
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
        c.state(ClientConnection.State.CLOSING);
        c.lingerDeadlineNs = System.nanoTime() + Configuration.CLOSE_LINGER_NS;
        if (c.key() != null && c.key().isValid())
        {
            c.key().interestOps(SelectionKey.OP_WRITE);
        }
        closing.add(c);
    }

    private int finishClosing(final long nowNs)
    {
        int work = 0;
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            final ClientConnection c = closing.get(i);
            if (c.state() == ClientConnection.State.CLOSING)
            {
                try
                {
                    if (c.outbox().flush(c.channel(), writeCounter) == Outbox.DRAINED)
                    {
                        close(c, null);
                        work++;
                    }
                    else if (nowNs - c.lingerDeadlineNs > 0)
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

    private void close(final ClientConnection c, final String why)
    {
        if (c.state() == ClientConnection.State.CLOSED)
        {
            return;
        }
        c.state(ClientConnection.State.CLOSED);
        protocol.forget(c);
        fanOut.onClosed(c);
        c.outbox().clear();
        if (c.key() != null)
        {
            c.key().cancel();
        }
        closeQuietly(c.channel());
        if (connections.remove(c.connectionId()) != null)
        {
            final int left = connectionsByUid.get(c.uid()) - 1;
            if (left <= 0)
            {
                connectionsByUid.remove(c.uid());
            }
            else
            {
                connectionsByUid.put(c.uid(), left);
            }
        }
        counters.increment(BrokerCounters.CONNECTIONS_CLOSED);
        counters.set(BrokerCounters.CONNECTIONS_OPEN, connections.size());
        if (why != null)
        {
            Log.debug("closed " + c.label() + ": " + why);
        }
    }

    /**
     * Reads and drops what a client sent that the stopping broker will not serve (a HELLO that
     * raced the stop, say): closing a socket with unread input makes the kernel reset the
     * connection, and the client would get ECONNRESET instead of the SHUTTING_DOWN error.
     */
    private void discardUnread(final ClientConnection c)
    {
        try
        {
            for (int i = 0; i < Configuration.SHUTDOWN_DISCARD_LIMIT; i++)
            {
                readByteBuffer.clear();
                if (c.channel().read(readByteBuffer) <= 0)
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

    private static void closeQuietly(final AFUNIXDatagramChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing left to do for a channel we are dropping
        }
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
            discardUnread(c);
            closeAfterFlush(c);
            close(c, null);
        }
        if (bridge != null)
        {
            bridge.close();
        }
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
        if (!draining)
        {
            listener.close();
        }
    }
}

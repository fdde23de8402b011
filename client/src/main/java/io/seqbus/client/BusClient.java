package io.seqbus.client;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.SubscribeFrame;
import io.seqbus.wire.Topics;
import io.seqbus.wire.UnsubscribeFrame;
import io.seqbus.wire.WelcomeFrame;
import io.seqbus.wire.WireStrings;
import org.agrona.DirectBuffer;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * A connection to the local seqbus broker: publish, subscribe, and keep going when the broker
 * restarts.
 *
 * <h2>Threads</h2>
 * {@link #publish}, {@link #tryPublish}, {@link #flush}, {@link #subscribe},
 * {@link Subscription#close()}, {@link #sync} and {@link #close()} may be called from any thread.
 * Frames to the broker go through one outbound batch guarded by a small lock that is never held
 * while waiting. Reading the socket, running handlers, answering PINGs and reconnecting happen
 * only on the polling side: the client's own daemon thread in {@link ThreadMode#DEDICATED}, or
 * the thread calling {@link #poll()} in {@link ThreadMode#POLL}.
 *
 * <h2>Batching</h2>
 * Every frame is appended to the batch (at most WELCOME's {@code max_datagram} bytes) and the
 * batch is sent at once with one datagram. While the broker's socket is full the send returns
 * nothing, so further frames gather in the batch and leave together when there is room again:
 * batching happens exactly under load and adds no latency otherwise. What a publisher leaves in
 * the batch is sent by the next publish, by {@link #flush()}, or by the polling side.
 *
 * <h2>Reconnecting</h2>
 * When the connection fails (end of file, an I/O error, a fatal ERROR other than one that says
 * this client broke the protocol, no WELCOME in time) the polling side reconnects with
 * exponential backoff ({@link ClientOptions#reconnectBackoff}), sends HELLO and every live
 * subscription again, and once WELCOME arrives tells the {@link ConnectionListener} and passes
 * every live subscription's gap handler a gap with {@link GapReason#RECONNECTED}: messages may
 * have been missed meanwhile. Frames still in the batch survive and are sent after WELCOME;
 * datagrams already handed to the old connection's kernel queue are lost with it.
 *
 * <h2>Errors</h2>
 * Every ERROR frame goes to the {@link ErrorHandler}. A non-fatal ERROR whose {@code ref} is a
 * subscription id marks that {@link Subscription} as failed (see {@link Subscription#error()}).
 * A fatal ERROR caused by this client (a protocol violation, an unsupported version, a bad
 * name) closes the client for good; then calls throw a {@link BusException} with the reason.
 */
public final class BusClient implements AutoCloseable
{
    private static final int AWAITING_WELCOME = 1;
    private static final int CONNECTED = 2;
    private static final int DISCONNECTED = 3;
    private static final int CLOSED = 4;

    private static final int INITIAL_READ_CAPACITY = 256 * 1024;
    private static final int LARGEST_DATAGRAM = 16 * 1024 * 1024;
    private static final Subscription[] NO_SUBSCRIPTIONS = new Subscription[0];

    private final ClientOptions options;
    private final String socket;
    private final ThreadMode threadMode;
    private final ErrorHandler errorHandler;
    private final GapHandler defaultGapHandler;
    private final ConnectionListener connectionListener;
    private final long connectTimeoutNs;
    private final long publishTimeoutNs;
    private final long backoffMinNs;
    private final long backoffMaxNs;
    private final int pollDatagramLimit;

    // Outbound side, guarded by lock.
    private final ReentrantLock lock = new ReentrantLock();
    private final UnsafeBuffer outBuffer = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer topicScratch = new UnsafeBuffer(new byte[Protocol.MAX_TOPIC_LENGTH + 1]);
    private final UnsafeBuffer bytesWrapper = new UnsafeBuffer(new byte[0]);
    private final IntArrayList pendingUnsubscribes = new IntArrayList();
    private ByteBuffer outByteBuffer;
    private int outPosition;
    private int nextSubscriptionId = 1;
    private long nextPingToken;
    private boolean pongPending;
    private long pongToken;
    private AFUNIXDatagramChannel channel;
    private Selector selector;
    private SelectionKey selectionKey;
    private boolean closedByUser;

    // Shared state.
    private static final int SPINS_BEFORE_IDLE = 64;

    private volatile int state = DISCONNECTED;
    // Smart batching (DEDICATED mode): while the client's thread is awake it sends the batch,
    // and publishes made meanwhile join it; once it goes idle, publishers send themselves, so a
    // lone message pays no hand-off latency. Written by the client's thread, read by publishers.
    private volatile boolean senderIdle = true;
    // Bumped by every publish after it joined the batch; the client's thread reads it before idling.
    private volatile long publishCount;
    private volatile boolean closing;
    private volatile BusException closedCause;
    private volatile IOException writeFailure;
    private volatile Subscription[] subscriptions = NO_SUBSCRIPTIONS;
    private volatile long lastPongToken;
    private volatile long connectionEpoch;
    private volatile int maxPayload = Protocol.DEFAULT_MAX_PAYLOAD;
    private volatile int maxDatagram = Protocol.DEFAULT_MAX_DATAGRAM;
    private volatile int nodeId;
    private volatile long publisherId;
    private volatile String nodeName = "";

    // Polling side: touched only by the thread that holds "polling" (or the client's thread).
    private final AtomicBoolean polling = new AtomicBoolean();
    private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_BROKER);
    private final WelcomeFrame welcomeFrame = new WelcomeFrame();
    private final DeliverRunFrame runFrame = new DeliverRunFrame();
    private final GapFrame gapFrame = new GapFrame();
    private final ErrorFrame errorFrame = new ErrorFrame();
    private final PingFrame pingFrame = new PingFrame();
    private final UnsafeBuffer readBuffer = new UnsafeBuffer(new byte[0]);
    private final Message message = new Message();
    private final Gap gap = new Gap();
    private ByteBuffer readByteBuffer;
    private int wantedReadCapacity;
    private boolean initialConnect;
    private BusException handshakeFailure;
    private long backoffNs;
    private long nextReconnectNs;
    private long welcomeDeadlineNs;
    private volatile Thread workThread;
    private volatile Thread pollerThread;
    private volatile boolean running;
    private Thread thread;

    private BusClient(final ClientOptions options)
    {
        this.options = options;
        this.socket = options.socket();
        this.threadMode = options.threadMode();
        this.errorHandler = options.errorHandler();
        this.defaultGapHandler = options.gapHandler();
        this.connectionListener = options.connectionListener();
        this.connectTimeoutNs = options.connectTimeout().toNanos();
        this.publishTimeoutNs = options.publishTimeout().toNanos();
        this.backoffMinNs = options.reconnectBackoffMin().toNanos();
        this.backoffMaxNs = options.reconnectBackoffMax().toNanos();
        this.pollDatagramLimit = options.pollDatagramLimit();
        this.backoffNs = backoffMinNs;
        outByteBuffer = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM);
        outBuffer.wrap(outByteBuffer);
        readByteBuffer = ByteBuffer.allocateDirect(INITIAL_READ_CAPACITY);
        readBuffer.wrap(readByteBuffer);
    }

    /**
     * Connects to the broker, sends HELLO and waits for WELCOME at most
     * {@link ClientOptions#connectTimeout()}. In {@link ThreadMode#DEDICATED} the client's thread
     * is started before this returns.
     *
     * @param options how to connect; the object must not be changed afterwards.
     * @return a connected client.
     * @throws BusException with a one-line message naming the socket when the broker is not
     *                      there, refuses the client or does not answer in time.
     */
    public static BusClient connect(final ClientOptions options)
    {
        final BusClient client = new BusClient(Objects.requireNonNull(options, "options"));
        client.start();
        return client;
    }

    /**
     * @return the socket this client connects to.
     */
    public String socket()
    {
        return socket;
    }

    /**
     * @return true while a connection is established and WELCOME was received.
     */
    public boolean isConnected()
    {
        return state == CONNECTED;
    }

    /**
     * @return true once closed, by {@link #close()} or for good by a failure (see {@link #closedCause()}).
     */
    public boolean isClosed()
    {
        return state == CLOSED;
    }

    /**
     * @return why the client closed itself, or null when it is open or was closed by {@link #close()}.
     */
    public BusException closedCause()
    {
        return closedCause;
    }

    /**
     * @return the publisher id the current (or last) connection got in WELCOME.
     */
    public long publisherId()
    {
        return publisherId;
    }

    /**
     * @return the broker's node id from the last WELCOME.
     */
    public int nodeId()
    {
        return nodeId;
    }

    /**
     * @return the broker's node name from the last WELCOME.
     */
    public String nodeName()
    {
        return nodeName;
    }

    /**
     * @return the largest payload the broker accepts, from the last WELCOME.
     */
    public int maxPayload()
    {
        return maxPayload;
    }

    /**
     * @return the largest datagram either side sends, from the last WELCOME.
     */
    public int maxDatagram()
    {
        return maxDatagram;
    }

    /**
     * Publishes a message, waiting while the socket is full or the client is reconnecting.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload bytes, at most {@link #maxPayload()}.
     * @throws IllegalArgumentException for an invalid topic or a payload that is too large.
     * @throws BusException             when the frame could not be handed over within
     *                                  {@link ClientOptions#publishTimeout()}, or the client failed.
     * @throws IllegalStateException    when the client was closed.
     */
    public void publish(final String topic, final byte[] payload)
    {
        publishBlocking(topic, null, Objects.requireNonNull(payload, "payload"), 0, payload.length, null);
    }

    /**
     * Publishes a message with a UTF-8 text payload; see {@link #publish(String, byte[])}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload text, sent as UTF-8 (ASCII text without allocating).
     */
    public void publish(final String topic, final String payload)
    {
        publishBlocking(topic, null, null, 0, 0, Objects.requireNonNull(payload, "payload"));
    }

    /**
     * Publishes a message from a buffer without allocating; see {@link #publish(String, byte[])}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload buffer holding the payload.
     * @param offset  of the first payload byte.
     * @param length  bytes of payload.
     */
    public void publish(final String topic, final DirectBuffer payload, final int offset, final int length)
    {
        publishBlocking(topic, Objects.requireNonNull(payload, "payload"), null, offset, length, null);
    }

    /**
     * Publishes a message if that can be done without waiting: the frame is written to the
     * socket or added to the batch, else nothing happens.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload bytes, at most {@link #maxPayload()}.
     * @return {@link PublishResult#OK} when taken, else why not.
     * @throws IllegalArgumentException for an invalid topic or a payload that is too large.
     * @throws IllegalStateException    when the client was closed.
     */
    public PublishResult tryPublish(final String topic, final byte[] payload)
    {
        return offerLocked(topic, null, Objects.requireNonNull(payload, "payload"), 0, payload.length, null);
    }

    /**
     * Publishes a UTF-8 text payload if that can be done without waiting; see {@link #tryPublish(String, byte[])}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload text, sent as UTF-8.
     * @return {@link PublishResult#OK} when taken, else why not.
     */
    public PublishResult tryPublish(final String topic, final String payload)
    {
        return offerLocked(topic, null, null, 0, 0, Objects.requireNonNull(payload, "payload"));
    }

    /**
     * Publishes from a buffer if that can be done without waiting; see {@link #tryPublish(String, byte[])}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload buffer holding the payload.
     * @param offset  of the first payload byte.
     * @param length  bytes of payload.
     * @return {@link PublishResult#OK} when taken, else why not.
     */
    public PublishResult tryPublish(final String topic, final DirectBuffer payload, final int offset, final int length)
    {
        return offerLocked(topic, Objects.requireNonNull(payload, "payload"), null, offset, length, null);
    }

    /**
     * Sends everything in the batch, waiting while the socket is full or the client is
     * reconnecting.
     *
     * @throws BusException          when the batch could not be sent within {@link ClientOptions#publishTimeout()}.
     * @throws IllegalStateException when the client was closed.
     */
    public void flush()
    {
        final long deadline = System.nanoTime() + publishTimeoutNs;
        int idle = 0;
        while (true)
        {
            lock.lock();
            try
            {
                checkOpen();
                trySend();
                if (outPosition == 0)
                {
                    return;
                }
            }
            finally
            {
                lock.unlock();
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw timeout("flush", state == CONNECTED ? PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED);
            }
            idle = pause(idle, Thread.currentThread() == pollerThread);
        }
    }

    /**
     * Subscribes with the broker's default options; see {@link #subscribe(String, MessageHandler, SubscriptionOptions)}.
     *
     * @param pattern a valid pattern, such as {@code orders.*.created} or {@code orders.>}.
     * @param handler runs on the polling thread for every message.
     * @return the subscription; close it to unsubscribe.
     */
    public Subscription subscribe(final String pattern, final MessageHandler handler)
    {
        return subscribe(pattern, handler, new SubscriptionOptions());
    }

    /**
     * Subscribes to a pattern. The SUBSCRIBE goes out with the batch; the broker does not
     * acknowledge it. Call {@link #sync} to wait until it is in force, then see
     * {@link Subscription#error()} for a refusal. While disconnected the subscription is
     * recorded and sent on reconnect.
     *
     * @param pattern a valid pattern, such as {@code orders.*.created} or {@code orders.>}.
     * @param handler runs on the polling thread for every message.
     * @param options slow-consumer policy, queue bound and gap handler.
     * @return the subscription; close it to unsubscribe.
     * @throws IllegalArgumentException for an invalid pattern.
     * @throws BusException             when there is no room in a full socket within
     *                                  {@link ClientOptions#publishTimeout()}.
     * @throws IllegalStateException    when the client was closed.
     */
    public Subscription subscribe(final String pattern, final MessageHandler handler, final SubscriptionOptions options)
    {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(options, "options");
        final int patternLength = WireStrings.utf8Length(pattern);
        if (patternLength < 1 || patternLength > Protocol.MAX_TOPIC_LENGTH || !Topics.isValidPattern(pattern))
        {
            throw new IllegalArgumentException("invalid pattern '" + pattern + "' (see SPEC.md, Topics)");
        }
        final int frameLength = SubscribeFrame.PATTERN_OFFSET + patternLength;
        final long deadline = System.nanoTime() + publishTimeoutNs;
        int idle = 0;
        while (true)
        {
            lock.lock();
            try
            {
                checkOpen();
                final int currentState = state;
                if (currentState == DISCONNECTED || reserve(frameLength))
                {
                    final Subscription subscription = new Subscription(
                        this, nextSubscriptionId++, pattern, handler, options.gapHandler(), options.policy(),
                        options.maxQueueBytes());
                    addSubscription(subscription);
                    if (currentState != DISCONNECTED)
                    {
                        outPosition += SubscribeFrame.encode(
                            outBuffer, outPosition, subscription.id(), subscription.policy().code(),
                            (int)subscription.maxQueueBytes(), pattern);
                        trySend();
                    }
                    return subscription;
                }
            }
            finally
            {
                lock.unlock();
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw timeout("subscribe", state == CONNECTED ? PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED);
            }
            idle = pause(idle, Thread.currentThread() == pollerThread);
        }
    }

    /**
     * A barrier: sends PING after everything this client sent before, and waits for the PONG.
     * The broker handles a connection's frames in order, so when this returns every earlier
     * SUBSCRIBE is in force (or refused, see {@link Subscription#error()}) and every earlier
     * PUBLISH was processed. If the connection is lost meanwhile, it waits for the reconnect and
     * pings again. In {@link ThreadMode#POLL} it polls while waiting (on this thread, unless
     * another thread is polling at the moment).
     *
     * @param timeout longest wait.
     * @throws BusException          when no PONG came in time, or the client failed.
     * @throws IllegalStateException when called from a handler, or the client was closed.
     */
    public void sync(final Duration timeout)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        if (workThread == Thread.currentThread())
        {
            throw new IllegalStateException("sync() cannot be called from a handler: the PONG would never be read");
        }
        int idle = 0;
        while (true)
        {
            long token = 0;
            long epoch = 0;
            lock.lock();
            try
            {
                checkOpen();
                if (state == CONNECTED && reserve(PingFrame.LENGTH))
                {
                    token = ++nextPingToken;
                    epoch = connectionEpoch;
                    outPosition += PingFrame.encode(outBuffer, outPosition, FrameType.PING, token);
                    trySend();
                }
            }
            finally
            {
                lock.unlock();
            }
            while (token != 0 && lastPongToken < token)
            {
                if (connectionEpoch != epoch || state != CONNECTED)
                {
                    token = 0;
                    break;
                }
                checkSyncDeadline(deadline, timeout);
                idle = pause(idle, true);
            }
            if (token != 0)
            {
                return;
            }
            checkSyncDeadline(deadline, timeout);
            idle = pause(idle, true);
        }
    }

    /**
     * In {@link ThreadMode#POLL}: reads whatever datagrams are readable without blocking (at most
     * {@link ClientOptions#pollDatagramLimit()}), dispatches their frames to the handlers,
     * answers PINGs, sends what is left in the batch, and reconnects when due.
     *
     * @return work done (datagrams read and sent, reconnect steps), 0 when idle.
     * @throws IllegalStateException in {@link ThreadMode#DEDICATED}, or when called from a
     *                               handler or from two threads at once.
     */
    public int poll()
    {
        if (threadMode != ThreadMode.POLL)
        {
            throw new IllegalStateException("poll() is for ThreadMode.POLL; this client runs its own thread");
        }
        if (!polling.compareAndSet(false, true))
        {
            throw new IllegalStateException("poll() called from a handler or from two threads at once");
        }
        try
        {
            pollerThread = Thread.currentThread();
            return doWork();
        }
        finally
        {
            polling.set(false);
        }
    }

    /**
     * Sends what is left in the batch (waiting at most {@link ClientOptions#publishTimeout()}),
     * stops the client's thread and closes the connection. Idempotent. No handler runs after
     * this returns, unless it was called from a handler.
     */
    public void close()
    {
        if (state == CLOSED || closing)
        {
            return;
        }
        final long deadline = System.nanoTime() + publishTimeoutNs;
        int idle = 0;
        while (state == CONNECTED && System.nanoTime() - deadline < 0)
        {
            lock.lock();
            try
            {
                trySend();
                if (outPosition == 0)
                {
                    break;
                }
            }
            finally
            {
                lock.unlock();
            }
            idle = pause(idle, Thread.currentThread() == pollerThread);
        }
        closing = true;
        running = false;
        final Thread clientThread = thread;
        if (clientThread != null && clientThread != Thread.currentThread())
        {
            try
            {
                clientThread.join(TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + 1000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try
        {
            detach();
            closedByUser = true;
            state = CLOSED;
            outPosition = 0;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return the client name, socket and state, as one line.
     */
    public String toString()
    {
        final int s = state;
        return "BusClient{name=" + options.clientName() + ", socket=" + socket + ", state=" +
            (s == CONNECTED ? "connected" : s == AWAITING_WELCOME ? "connecting" : s == DISCONNECTED ?
            "disconnected" : "closed") + ", publisherId=" + publisherId + "}";
    }

    void unsubscribe(final Subscription subscription)
    {
        lock.lock();
        try
        {
            removeSubscription(subscription.id());
            final int currentState = state;
            if (currentState == CLOSED || currentState == DISCONNECTED || subscription.error() != null)
            {
                return;
            }
            if (reserve(UnsubscribeFrame.LENGTH))
            {
                outPosition += UnsubscribeFrame.encode(outBuffer, outPosition, subscription.id());
                trySend();
            }
            else
            {
                pendingUnsubscribes.addInt(subscription.id());
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Connecting

    private void start()
    {
        final AFUNIXDatagramChannel newChannel;
        try
        {
            newChannel = openChannel();
        }
        catch (final IOException ex)
        {
            state = CLOSED;
            throw new BusException(
                "cannot connect to the seqbus broker at " + socket + ": " + oneLine(ex) + " (is the broker running?)",
                ex);
        }
        polling.set(true);
        initialConnect = true;
        try
        {
            lock.lock();
            try
            {
                attach(newChannel);
                sendHandshake();
            }
            catch (final IOException ex)
            {
                detach();
                state = CLOSED;
                throw new BusException("cannot greet the seqbus broker at " + socket + ": " + oneLine(ex), ex);
            }
            finally
            {
                lock.unlock();
            }
            int idle = 0;
            while (state == AWAITING_WELCOME)
            {
                idle = doWork() > 0 ? 0 : backoff(idle);
            }
            if (state != CONNECTED)
            {
                throw handshakeFailure != null ? handshakeFailure :
                    new BusException("connecting to the seqbus broker at " + socket + " failed");
            }
        }
        finally
        {
            initialConnect = false;
            polling.set(false);
        }
        if (threadMode == ThreadMode.DEDICATED)
        {
            running = true;
            thread = new Thread(this::run, options.threadName());
            thread.setDaemon(true);
            thread.start();
        }
    }

    private AFUNIXDatagramChannel openChannel() throws IOException
    {
        final AFUNIXSocketAddress address = socket.startsWith("@") ?
            AFUNIXSocketAddress.inAbstractNamespace(socket.substring(1)) : AFUNIXSocketAddress.of(Path.of(socket));
        final AFUNIXDatagramChannel newChannel =
            AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        try
        {
            newChannel.connect(address);
            newChannel.configureBlocking(false);
            return newChannel;
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(newChannel);
            throw ex;
        }
    }

    /** Under lock, polling side. */
    private void attach(final AFUNIXDatagramChannel newChannel) throws IOException
    {
        channel = newChannel;
        writeFailure = null;
        selector = AFUNIXSelectorProvider.provider().openSelector();
        selectionKey = newChannel.register(selector, SelectionKey.OP_READ);
    }

    /** Under lock. */
    private void detach()
    {
        closeQuietly(channel);
        closeQuietly(selector);
        channel = null;
        selector = null;
        selectionKey = null;
        writeFailure = null;
        pongPending = false;
        pendingUnsubscribes.clear();
    }

    /**
     * Under lock, polling side: HELLO and every live SUBSCRIBE in their own datagrams, then the
     * batch keeps only its PUBLISH frames (SUBSCRIBE, UNSUBSCRIBE, PING and PONG belonged to the
     * old connection; live subscriptions were just sent and a waiting sync pings again).
     */
    private void sendHandshake() throws IOException
    {
        final int limit = maxDatagram;
        final ByteBuffer controlByteBuffer = ByteBuffer.allocateDirect(limit);
        final UnsafeBuffer control = new UnsafeBuffer(controlByteBuffer);
        int position = HelloFrame.encode(control, 0, Protocol.VERSION, Protocol.VERSION, options.clientName());
        for (final Subscription subscription : subscriptions)
        {
            final int length = SubscribeFrame.PATTERN_OFFSET + WireStrings.utf8Length(subscription.pattern());
            if (position + length > limit)
            {
                writeWhole(controlByteBuffer, position);
                position = 0;
            }
            position += SubscribeFrame.encode(
                control, position, subscription.id(), subscription.policy().code(),
                (int)subscription.maxQueueBytes(), subscription.pattern());
        }
        writeWhole(controlByteBuffer, position);

        int kept = 0;
        for (int at = 0; at < outPosition; )
        {
            final int length = Protocol.frameLength(outBuffer, at);
            if (Protocol.frameType(outBuffer, at) == FrameType.PUBLISH)
            {
                if (kept != at)
                {
                    outBuffer.putBytes(kept, outBuffer, at, length);
                }
                kept += length;
            }
            at += length;
        }
        outPosition = kept;
        welcomeDeadlineNs = System.nanoTime() + connectTimeoutNs;
        state = AWAITING_WELCOME;
    }

    private void writeWhole(final ByteBuffer buffer, final int length) throws IOException
    {
        buffer.clear().limit(length);
        if (channel.write(buffer) != length)
        {
            throw new IOException("the broker's socket is full during the handshake");
        }
    }

    private int reconnectIfDue()
    {
        final long now = System.nanoTime();
        if (now - nextReconnectNs < 0)
        {
            return 0;
        }
        try
        {
            final AFUNIXDatagramChannel newChannel = openChannel();
            lock.lock();
            try
            {
                if (state != DISCONNECTED || closing)
                {
                    closeQuietly(newChannel);
                    return 0;
                }
                attach(newChannel);
                sendHandshake();
            }
            catch (final IOException ex)
            {
                detach();
                throw ex;
            }
            finally
            {
                lock.unlock();
            }
        }
        catch (final IOException ex)
        {
            scheduleReconnect(now);
        }
        return 1;
    }

    private void scheduleReconnect(final long now)
    {
        nextReconnectNs = now + backoffNs;
        backoffNs = Math.min(backoffNs * 2, backoffMaxNs);
    }

    /** Polling side. */
    private void connectionLost(final BusException cause, final boolean retryable)
    {
        final boolean terminal = initialConnect || closing || !retryable || !options.reconnect();
        lock.lock();
        try
        {
            detach();
            if (state == CLOSED)
            {
                return;
            }
            if (terminal)
            {
                state = CLOSED;
                if (!closing)
                {
                    closedCause = cause;
                }
                outPosition = 0;
            }
            else
            {
                state = DISCONNECTED;
            }
        }
        finally
        {
            lock.unlock();
        }
        if (initialConnect)
        {
            handshakeFailure = cause;
            return;
        }
        if (closing)
        {
            return;
        }
        if (terminal)
        {
            running = false;
        }
        else
        {
            scheduleReconnect(System.nanoTime());
        }
        try
        {
            connectionListener.onDisconnected(this, cause);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex);
        }
    }

    private static boolean isRetryable(final int code)
    {
        switch (code)
        {
            case ErrorCode.TRUNCATED_FRAME:
            case ErrorCode.BAD_FRAME_LENGTH:
            case ErrorCode.UNKNOWN_FRAME_TYPE:
            case ErrorCode.UNSUPPORTED_VERSION:
            case ErrorCode.HELLO_REQUIRED:
            case ErrorCode.PROTOCOL_VIOLATION:
            case ErrorCode.INVALID_NAME:
            case ErrorCode.DATAGRAM_TOO_LARGE:
                return false;
            default:
                return true;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Polling side

    private void run()
    {
        final IdleStrategy idleStrategy = options.idleStrategy().get();
        pollerThread = Thread.currentThread();
        int idleCycles = 0;
        long seenPublishes = publishCount;
        while (running)
        {
            int work = 0;
            try
            {
                work = doWork();
            }
            catch (final Throwable ex)
            {
                errorHandler.onHandlerException(ex);
            }
            if (work > 0)
            {
                idleCycles = 0;
                senderIdle = false;
            }
            else if (++idleCycles >= SPINS_BEFORE_IDLE && !senderIdle)
            {
                // Say we are idle first, then look once more: a publish that joined the batch
                // just before saw us busy and left the sending to us.
                senderIdle = true;
                final long published = publishCount;
                if (published != seenPublishes)
                {
                    seenPublishes = published;
                    senderIdle = false;
                    idleCycles = 0;
                    continue;
                }
            }
            idleStrategy.idle(work);
        }
    }

    private int doWork()
    {
        workThread = Thread.currentThread();
        try
        {
            final int currentState = state;
            if (currentState == CLOSED)
            {
                return 0;
            }
            if (currentState == DISCONNECTED)
            {
                return closing ? 0 : reconnectIfDue();
            }
            final IOException failure = writeFailure;
            if (failure != null)
            {
                connectionLost(lost(failure), true);
                return 1;
            }
            int work = readDatagrams();
            if (state == AWAITING_WELCOME && System.nanoTime() - welcomeDeadlineNs >= 0)
            {
                connectionLost(new BusException("no WELCOME from the seqbus broker at " + socket + " within " +
                    TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms"), true);
                work++;
            }
            if (state == CONNECTED)
            {
                work += sendPending();
            }
            if (wantedReadCapacity > readByteBuffer.capacity())
            {
                readByteBuffer = ByteBuffer.allocateDirect(wantedReadCapacity);
                readBuffer.wrap(readByteBuffer);
            }
            return work;
        }
        finally
        {
            workThread = null;
        }
    }

    private int readDatagrams()
    {
        final AFUNIXDatagramChannel currentChannel = channel;
        final Selector currentSelector = selector;
        final SelectionKey key = selectionKey;
        if (currentChannel == null || currentSelector == null)
        {
            return 0;
        }
        final int ready;
        try
        {
            ready = currentSelector.selectNow();
            if (ready > 0)
            {
                currentSelector.selectedKeys().clear();
            }
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            connectionLost(lost(ex), true);
            return 1;
        }
        // junixsocket cancels the key when the peer hangs up; what was sent before can still be read.
        final boolean hangUp = !key.isValid();
        if (ready == 0 && !hangUp)
        {
            return 0;
        }
        int datagrams = 0;
        while (datagrams < pollDatagramLimit)
        {
            readByteBuffer.clear();
            final int length;
            try
            {
                length = currentChannel.read(readByteBuffer);
            }
            catch (final IOException ex)
            {
                connectionLost(lost(ex), true);
                return datagrams + 1;
            }
            if (length <= 0)
            {
                // Readable but nothing to read, or hung up and drained: the broker closed the connection.
                if (datagrams == 0 || hangUp)
                {
                    connectionLost(new BusException("the seqbus broker at " + socket + " closed the connection"), true);
                    return datagrams + 1;
                }
                break;
            }
            datagrams++;
            onDatagram(length);
            if (channel != currentChannel)
            {
                break;
            }
        }
        return datagrams;
    }

    private void onDatagram(final int length)
    {
        final int code = validator.validate(readBuffer, 0, length);
        if (code != 0)
        {
            connectionLost(new BusException("malformed datagram from the seqbus broker at " + socket + ": " +
                ErrorCode.name(code) + ", " + validator.errorReason()), true);
            return;
        }
        final AFUNIXDatagramChannel currentChannel = channel;
        for (int at = 0; at < length; )
        {
            final int frameLength = Protocol.frameLength(readBuffer, at);
            final int type = Protocol.frameType(readBuffer, at);
            if ((state == AWAITING_WELCOME) != (type == FrameType.WELCOME) && type != FrameType.ERROR)
            {
                connectionLost(new BusException("the seqbus broker at " + socket + " sent " + FrameType.name(type) +
                    (type == FrameType.WELCOME ? " twice" : " before WELCOME")), true);
                return;
            }
            switch (type)
            {
                case FrameType.WELCOME:
                    onWelcome(at);
                    break;
                case FrameType.DELIVER:
                    onDeliver(at);
                    break;
                case FrameType.DELIVER_RUN:
                    onDeliverRun(at);
                    break;
                case FrameType.GAP:
                    onGap(at);
                    break;
                case FrameType.ERROR:
                    onError(at);
                    break;
                case FrameType.PING:
                    onPing(at);
                    break;
                case FrameType.PONG:
                    onPong(at);
                    break;
                default:
                    break;
            }
            if (channel != currentChannel)
            {
                return;
            }
            at += frameLength;
        }
    }

    private void onWelcome(final int at)
    {
        welcomeFrame.wrap(readBuffer, at);
        if (welcomeFrame.version() != Protocol.VERSION)
        {
            connectionLost(new BusException("the seqbus broker at " + socket + " chose protocol version " +
                welcomeFrame.version() + "; this client speaks " + Protocol.VERSION), false);
            return;
        }
        final long welcomeMaxDatagram = welcomeFrame.maxDatagram() & 0xFFFF_FFFFL;
        final int newMaxDatagram = (int)Math.max(Math.min(welcomeMaxDatagram, LARGEST_DATAGRAM), 1024);
        final long welcomeMaxPayload = welcomeFrame.maxPayload() & 0xFFFF_FFFFL;
        maxPayload = (int)Math.min(welcomeMaxPayload, newMaxDatagram);
        nodeId = welcomeFrame.nodeId();
        publisherId = welcomeFrame.publisherId();
        nodeName = welcomeFrame.nodeName();
        if (newMaxDatagram > readByteBuffer.capacity())
        {
            wantedReadCapacity = newMaxDatagram;
        }
        final long epoch;
        lock.lock();
        try
        {
            if (newMaxDatagram > outByteBuffer.capacity())
            {
                final ByteBuffer larger = ByteBuffer.allocateDirect(newMaxDatagram);
                final UnsafeBuffer largerBuffer = new UnsafeBuffer(larger);
                largerBuffer.putBytes(0, outBuffer, 0, outPosition);
                outByteBuffer = larger;
                outBuffer.wrap(larger);
            }
            maxDatagram = newMaxDatagram;
            epoch = connectionEpoch + 1;
            connectionEpoch = epoch;
            state = CONNECTED;
        }
        finally
        {
            lock.unlock();
        }
        backoffNs = backoffMinNs;
        try
        {
            connectionListener.onConnected(this);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex);
        }
        if (epoch > 1)
        {
            for (final Subscription subscription : subscriptions)
            {
                dispatchGap(subscription, 0, 0, 0, 0, GapReason.RECONNECTED);
            }
        }
    }

    private void onDeliver(final int at)
    {
        final int id = readBuffer.getInt(at + DeliverFrame.SUBSCRIPTION_ID_OFFSET, BYTE_ORDER);
        final Subscription subscription = find(id);
        if (subscription == null || subscription.isClosed())
        {
            return;
        }
        message.wrap(readBuffer, at, subscription);
        try
        {
            subscription.handler().onMessage(message);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex);
        }
    }

    private void onDeliverRun(final int at)
    {
        runFrame.wrap(readBuffer, at);
        final Subscription subscription = find(runFrame.subscriptionId());
        if (subscription == null || subscription.isClosed())
        {
            return;
        }
        message.wrapRun(readBuffer, runFrame, subscription);
        final MessageHandler handler = subscription.handler();
        final long first = runFrame.firstSequence();
        final int count = runFrame.count();
        int entry = runFrame.firstEntryIndex();
        for (int i = 0; i < count; i++)
        {
            final int length = readBuffer.getInt(entry, BYTE_ORDER);
            message.entry(first + i, entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, length);
            entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + length;
            try
            {
                handler.onMessage(message);
            }
            catch (final Throwable ex)
            {
                errorHandler.onHandlerException(ex);
            }
            if (subscription.isClosed())
            {
                return;
            }
        }
    }

    private void onGap(final int at)
    {
        gapFrame.wrap(readBuffer, at);
        final int id = gapFrame.subscriptionId();
        if (id == 0)
        {
            for (final Subscription subscription : subscriptions)
            {
                gapFrame.wrap(readBuffer, at);
                dispatchGap(subscription, gapFrame.sourceNode(), gapFrame.publisherId(), gapFrame.fromSequence(),
                    gapFrame.count(), gapFrame.reason());
            }
        }
        else
        {
            final Subscription subscription = find(id);
            if (subscription != null)
            {
                dispatchGap(subscription, gapFrame.sourceNode(), gapFrame.publisherId(), gapFrame.fromSequence(),
                    gapFrame.count(), gapFrame.reason());
            }
        }
    }

    private void dispatchGap(
        final Subscription subscription, final int sourceNode, final long publisher, final long fromSequence,
        final long count, final int reason)
    {
        if (subscription.isClosed())
        {
            return;
        }
        final GapHandler handler = subscription.gapHandler() != null ? subscription.gapHandler() : defaultGapHandler;
        try
        {
            handler.onGap(gap.set(subscription, sourceNode, publisher, fromSequence, count, reason));
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex);
        }
    }

    private void onError(final int at)
    {
        errorFrame.wrap(readBuffer, at);
        final BusError error = new BusError(errorFrame.code(), errorFrame.fatal(), errorFrame.ref(), errorFrame.reason());
        try
        {
            errorHandler.onError(error);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex);
        }
        if (error.isFatal())
        {
            connectionLost(new BusException(
                "the seqbus broker at " + socket + " closed the connection: " + error, error.code(), null),
                isRetryable(error.code()));
            return;
        }
        if (error.ref() != 0)
        {
            final Subscription subscription = find(error.ref());
            if (subscription != null)
            {
                subscription.fail(error);
                lock.lock();
                try
                {
                    removeSubscription(error.ref());
                }
                finally
                {
                    lock.unlock();
                }
            }
        }
    }

    private void onPing(final int at)
    {
        pingFrame.wrap(readBuffer, at);
        final long token = pingFrame.token();
        lock.lock();
        try
        {
            if (reserve(PingFrame.LENGTH))
            {
                outPosition += PingFrame.encode(outBuffer, outPosition, FrameType.PONG, token);
                trySend();
            }
            else
            {
                pongPending = true;
                pongToken = token;
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void onPong(final int at)
    {
        pingFrame.wrap(readBuffer, at);
        final long token = pingFrame.token();
        if (token > lastPongToken)
        {
            lastPongToken = token;
        }
    }

    private int sendPending()
    {
        if (!lock.tryLock())
        {
            return 0;
        }
        try
        {
            int work = 0;
            if (pongPending && reserve(PingFrame.LENGTH))
            {
                outPosition += PingFrame.encode(outBuffer, outPosition, FrameType.PONG, pongToken);
                pongPending = false;
            }
            while (!pendingUnsubscribes.isEmpty() && reserve(UnsubscribeFrame.LENGTH))
            {
                outPosition += UnsubscribeFrame.encode(
                    outBuffer, outPosition, pendingUnsubscribes.removeAt(pendingUnsubscribes.size() - 1));
            }
            if (outPosition > 0)
            {
                work += trySend();
            }
            return work;
        }
        finally
        {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Outbound batch, under lock

    private void publishBlocking(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text)
    {
        PublishResult result = offerLocked(topic, payload, bytes, offset, length, text);
        if (result == PublishResult.OK)
        {
            return;
        }
        final long deadline = System.nanoTime() + publishTimeoutNs;
        int idle = 0;
        while ((result = offerLocked(topic, payload, bytes, offset, length, text)) != PublishResult.OK)
        {
            if (System.nanoTime() - deadline >= 0)
            {
                throw timeout("publish", result);
            }
            idle = pause(idle, Thread.currentThread() == pollerThread);
        }
    }

    private PublishResult offerLocked(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text)
    {
        lock.lock();
        try
        {
            if (bytes != null)
            {
                bytesWrapper.wrap(bytes);
                return offer(topic, bytesWrapper, offset, length, text);
            }
            return offer(topic, payload, offset, length, text);
        }
        finally
        {
            lock.unlock();
        }
    }

    private PublishResult offer(
        final String topic, final DirectBuffer payload, final int offset, final int length, final String text)
    {
        Objects.requireNonNull(topic, "topic");
        checkOpen();
        final int topicUtf8Length = WireStrings.utf8Length(topic);
        if (topicUtf8Length < 1 || topicUtf8Length > Protocol.MAX_TOPIC_LENGTH)
        {
            throw new IllegalArgumentException("invalid topic '" + topic + "': must be 1..255 bytes of UTF-8");
        }
        final int topicLength = WireStrings.putUtf8(topicScratch, 0, topic);
        if (!Topics.isValidTopic(topicScratch, 0, topicLength))
        {
            throw new IllegalArgumentException("invalid topic '" + topic + "' (see SPEC.md, Topics; no wildcards)");
        }
        final int payloadLength = text != null ? WireStrings.utf8Length(text) : length;
        if (payloadLength > maxPayload)
        {
            throw new IllegalArgumentException(
                "payload of " + payloadLength + " bytes is larger than the broker's max_payload of " + maxPayload);
        }
        if (text == null && (offset < 0 || length < 0 || offset > payload.capacity() - length))
        {
            throw new IndexOutOfBoundsException(
                "offset " + offset + " length " + length + " capacity " + payload.capacity());
        }
        final int frameLength = PublishFrame.frameLength(topicLength, payloadLength);
        if (!reserve(frameLength))
        {
            return state == CONNECTED && writeFailure == null ? PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED;
        }
        final int at = outPosition;
        Protocol.putHeader(outBuffer, at, frameLength, FrameType.PUBLISH);
        outBuffer.putShort(at + PublishFrame.TOPIC_LENGTH_OFFSET, (short)topicLength, BYTE_ORDER);
        outBuffer.putBytes(at + PublishFrame.TOPIC_OFFSET, topicScratch, 0, topicLength);
        final int payloadIndex = at + PublishFrame.TOPIC_OFFSET + topicLength;
        if (text != null)
        {
            WireStrings.putUtf8(outBuffer, payloadIndex, text);
        }
        else
        {
            outBuffer.putBytes(payloadIndex, payload, offset, length);
        }
        outPosition = at + frameLength;
        publishCount++;
        if (threadMode == ThreadMode.POLL || senderIdle || Thread.currentThread() == pollerThread)
        {
            trySend();
        }
        return PublishResult.OK;
    }

    /** True when the batch has room for a frame of this length, after trying to send it. */
    private boolean reserve(final int frameLength)
    {
        final int limit = maxDatagram;
        if (frameLength > limit)
        {
            throw new IllegalArgumentException(
                "frame of " + frameLength + " bytes is larger than the broker's max_datagram of " + limit);
        }
        if (outPosition + frameLength <= limit)
        {
            return true;
        }
        trySend();
        return outPosition + frameLength <= limit;
    }

    /**
     * Writes the batch if connected: one datagram of whole frames at most max_datagram long.
     *
     * @return datagrams written.
     */
    private int trySend()
    {
        int datagrams = 0;
        while (outPosition > 0 && state == CONNECTED && writeFailure == null)
        {
            int length = outPosition;
            if (length > maxDatagram)
            {
                // Only after a reconnect to a broker with a smaller max_datagram.
                length = 0;
                while (length + Protocol.frameLength(outBuffer, length) <= maxDatagram)
                {
                    length += Protocol.frameLength(outBuffer, length);
                }
                if (length == 0)
                {
                    final int tooLarge = Protocol.frameLength(outBuffer, 0);
                    outBuffer.putBytes(0, outBuffer, tooLarge, outPosition - tooLarge);
                    outPosition -= tooLarge;
                    continue;
                }
            }
            outByteBuffer.clear().limit(length);
            try
            {
                if (channel.write(outByteBuffer) <= 0)
                {
                    break;
                }
            }
            catch (final IOException ex)
            {
                writeFailure = ex;
                break;
            }
            if (length < outPosition)
            {
                outBuffer.putBytes(0, outBuffer, length, outPosition - length);
            }
            outPosition -= length;
            datagrams++;
        }
        return datagrams;
    }

    private void checkOpen()
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

    private void checkSyncDeadline(final long deadline, final Duration timeout)
    {
        checkOpen();
        if (System.nanoTime() - deadline >= 0)
        {
            throw new BusException("sync timed out after " + timeout.toMillis() + " ms: no PONG from the seqbus broker at " +
                socket + (state == CONNECTED ? "" : " (not connected)"));
        }
    }

    private BusException timeout(final String what, final PublishResult result)
    {
        final long millis = TimeUnit.NANOSECONDS.toMillis(publishTimeoutNs);
        return new BusException(what + " timed out after " + millis + " ms: " + (result == PublishResult.DISCONNECTED ?
            "not connected to the seqbus broker at " + socket :
            "the seqbus broker at " + socket + " is not reading (socket full)"));
    }

    private BusException lost(final Exception ex)
    {
        return new BusException("lost the connection to the seqbus broker at " + socket + ": " + oneLine(ex), ex);
    }

    /**
     * Waits a little; in {@link ThreadMode#POLL} polls instead when allowed and nobody else is polling.
     */
    private int pause(final int idle, final boolean mayPoll)
    {
        if (mayPoll && threadMode == ThreadMode.POLL && workThread != Thread.currentThread() &&
            polling.compareAndSet(false, true))
        {
            final int work;
            try
            {
                work = doWork();
            }
            finally
            {
                polling.set(false);
            }
            if (work > 0)
            {
                return 0;
            }
        }
        return backoff(idle);
    }

    private static int backoff(final int idle)
    {
        if (idle < 10)
        {
            Thread.onSpinWait();
        }
        else if (idle < 20)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(Math.min(1_000L << Math.min(idle - 20, 10), 1_000_000L));
        }
        return idle + 1;
    }

    // ---------------------------------------------------------------------------------------
    // Subscriptions: a copy-on-write array sorted by id (ids only grow), read without locking.

    private void addSubscription(final Subscription subscription)
    {
        final Subscription[] old = subscriptions;
        final Subscription[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = subscription;
        subscriptions = grown;
    }

    private void removeSubscription(final int id)
    {
        final Subscription[] old = subscriptions;
        final int index = indexOf(old, id);
        if (index >= 0)
        {
            final Subscription[] shrunk = new Subscription[old.length - 1];
            System.arraycopy(old, 0, shrunk, 0, index);
            System.arraycopy(old, index + 1, shrunk, index, old.length - index - 1);
            subscriptions = shrunk;
        }
    }

    private Subscription find(final int id)
    {
        final Subscription[] current = subscriptions;
        final int index = indexOf(current, id);
        return index >= 0 ? current[index] : null;
    }

    private static int indexOf(final Subscription[] array, final int id)
    {
        int low = 0;
        int high = array.length - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final int midId = array[mid].id();
            if (midId < id)
            {
                low = mid + 1;
            }
            else if (midId > id)
            {
                high = mid - 1;
            }
            else
            {
                return mid;
            }
        }
        return -1;
    }

    private static String oneLine(final Exception ex)
    {
        final String text = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        final int newline = text.indexOf('\n');
        return newline >= 0 ? text.substring(0, newline) : text;
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable != null)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ignore)
            {
                // Closing a broken connection: nothing more to say.
            }
        }
    }
}

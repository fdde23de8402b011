package io.seqbus.client;

import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.SubscribeFrame;
import io.seqbus.wire.WelcomeFrame;
import io.seqbus.wire.WireStrings;
import org.agrona.CloseHelper;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The connection's state machine, on the polling side: HELLO and every live SUBSCRIBE, WELCOME (or none in
 * time), a lost connection, and reconnecting with exponential backoff while the client may.
 */
final class Reconnector
{
    private static final int LARGEST_DATAGRAM = 16 * 1024 * 1024;
    private static final Subscription[] NO_SUBSCRIPTIONS = new Subscription[0];

    private final BusClient client;
    private final ClientOptions options;
    private final Connection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    private final ErrorHandler errorHandler;
    private final ConnectionListener connectionListener;
    private final long connectTimeoutNs;
    private final long backoffMinNs;
    private final long backoffMaxNs;
    private long backoffNs;
    private long nextReconnectNs;
    private long welcomeDeadlineNs;
    private final long sessionId;
    // Once a broker refused the session HELLO as a broker older than sessions does: HELLO without one from then
    // on, for this client's life. Handshakes run under the outbound lock; volatile for the thread hand-over.
    private volatile boolean sessionless;
    private boolean initialConnect;
    private BusException handshakeFailure;
    // Whether the first connect failed in a way that trying again may cure (no broker yet, no WELCOME).
    private boolean startFailureRetryable;

    Reconnector(
        final BusClient client, final ClientOptions options, final Connection connection, final Outbound outbound,
        final Subscriptions subscriptions)
    {
        this.client = client;
        this.options = options;
        this.connection = connection;
        this.outbound = outbound;
        this.subscriptions = subscriptions;
        this.errorHandler = options.errorHandler();
        this.connectionListener = options.connectionListener();
        this.connectTimeoutNs = options.connectTimeout().toNanos();
        this.backoffMinNs = options.reconnectBackoffMin().toNanos();
        this.backoffMaxNs = options.reconnectBackoffMax().toNanos();
        this.backoffNs = backoffMinNs;
        // One session per client instance: its publisher id and sequence outlive its connections (SPEC.md, HELLO).
        this.sessionId = new SecureRandom().nextLong();
    }

    long connectTimeoutNs()
    {
        return connectTimeoutNs;
    }

    /**
     * The first connection, on the caller of {@link BusClient#connect}: opens the socket and sends HELLO; a
     * failure now closes the client for good.
     *
     * @throws BusException naming the socket.
     */
    void greet()
    {
        final String socket = connection.socket();
        final AFUNIXDatagramChannel newChannel;
        try
        {
            newChannel = connection.open();
        }
        catch (final DefaultSocket.UnsafePathException ex)
        {
            startFailureRetryable = false;
            connection.state(Connection.CLOSED);
            throw new BusException("will not connect to the seqbus broker at " + socket + ": " + ex.getMessage(), ex);
        }
        catch (final IOException ex)
        {
            startFailureRetryable = true;
            connection.state(Connection.CLOSED);
            throw new BusException("cannot connect to the seqbus broker at " + socket + ": " +
                Connection.oneLine(ex) + " (is the broker running?)", ex);
        }
        initialConnect = true;
        outbound.lock().lock();
        try
        {
            connection.attach(newChannel);
            sendHandshake();
        }
        catch (final IOException ex)
        {
            startFailureRetryable = true;
            outbound.detach();
            connection.state(Connection.CLOSED);
            throw new BusException("cannot greet the seqbus broker at " + socket + ": " + Connection.oneLine(ex), ex);
        }
        finally
        {
            outbound.lock().unlock();
        }
    }

    /**
     * After {@link #greet()} and polling until WELCOME or failure.
     *
     * @throws BusException when the first connection failed.
     */
    void checkGreeted()
    {
        if (connection.state() != Connection.CONNECTED)
        {
            throw handshakeFailure != null ? handshakeFailure :
                new BusException("connecting to the seqbus broker at " + connection.socket() + " failed");
        }
    }

    /**
     * @return true when the first connect failed in a way that trying again may cure: no broker yet, no
     * WELCOME in time, a retryable ERROR; false for an unsafe socket folder or a protocol error.
     */
    boolean startFailureRetryable()
    {
        return startFailureRetryable;
    }

    /** Before trying the first connect again ({@link ClientOptions#connectRetry}): forget the failed attempt. */
    void resetForRetry()
    {
        handshakeFailure = null;
        connection.closedCause(null);
        connection.state(Connection.DISCONNECTED);
    }

    /** After the first connection, failed or not: from now on failures reconnect. */
    void greetDone()
    {
        initialConnect = false;
    }

    int reconnectIfDue()
    {
        final long now = System.nanoTime();
        if (now - nextReconnectNs < 0)
        {
            return 0;
        }
        try
        {
            final AFUNIXDatagramChannel newChannel = connection.open();
            outbound.lock().lock();
            try
            {
                if (connection.state() != Connection.DISCONNECTED || connection.isClosing())
                {
                    CloseHelper.quietClose(newChannel);
                    return 0;
                }
                attachAndGreet(newChannel);
            }
            finally
            {
                outbound.lock().unlock();
            }
        }
        catch (final IOException ex)
        {
            scheduleReconnect(now);
        }
        return 1;
    }

    /** Under the outbound lock: the new channel becomes the connection and the handshake goes out on it. */
    private void attachAndGreet(final AFUNIXDatagramChannel newChannel) throws IOException
    {
        try
        {
            connection.attach(newChannel);
            sendHandshake();
        }
        catch (final IOException ex)
        {
            outbound.detach();
            throw ex;
        }
    }

    /** Polling side, awaiting WELCOME. */
    int checkWelcomeDeadline()
    {
        if (connection.state() == Connection.AWAITING_WELCOME && System.nanoTime() - welcomeDeadlineNs >= 0)
        {
            connectionLost(new BusException("no WELCOME from the seqbus broker at " + connection.socket() +
                " within " + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms"), true);
            return 1;
        }
        return 0;
    }

    /**
     * Polling side: WELCOME arrived; tells the {@link ConnectionListener}.
     *
     * @return true when this was a reconnect: every live subscription may have missed messages.
     */
    boolean welcomed(final WelcomeFrame welcome)
    {
        if (welcome.version() != Protocol.VERSION)
        {
            connectionLost(new BusException("the seqbus broker at " + connection.socket() +
                " chose protocol version " + welcome.version() + "; this client speaks " + Protocol.VERSION), false);
            return false;
        }
        final long welcomeMaxDatagram = welcome.maxDatagram() & 0xFFFF_FFFFL;
        final int maxDatagram = (int)Math.max(Math.min(welcomeMaxDatagram, LARGEST_DATAGRAM), 1024);
        final long welcomeMaxPayload = welcome.maxPayload() & 0xFFFF_FFFFL;
        long epoch = 0;
        int dropped = 0;
        Subscription[] groupsRefused = NO_SUBSCRIPTIONS;
        IOException groupsLost = null;
        outbound.lock().lock();
        try
        {
            outbound.batch().ensureCapacity(maxDatagram);
            epoch = connection.welcomed(maxDatagram, (int)Math.min(welcomeMaxPayload, maxDatagram),
                Math.min(welcome.maxTopicLength(), Protocol.MAX_TOPIC_LENGTH), welcome.nodeId(), welcome.publisherId(),
                welcome.nodeName(), welcome.maxDescriptorsPerMessage(), welcome.maxDescriptorsPerDatagram(),
                welcome.maxMemfdSize());
            connection.servicesWelcomed(welcome.hasServiceLimits() ? new ServiceLimits(welcome.maxHeaderBytes(),
                welcome.maxHeaders(), welcome.maxRequestTimeoutMs()) : null);
            groupsRefused = welcome.hasServiceLimits() ? resubscribeGroups() : takeGroupSubscriptions();
            // Still under the lock, before anything is sent: publishes with descriptors left from the last connection
            // cannot go to a broker that passes none. They never get a sequence, so they leave the session count.
            dropped = connection.passesDescriptors() ? 0 : outbound.batch().dropDescriptorPublishes();
            for (int i = 0; i < dropped; i++)
            {
                outbound.publishRefused();
            }
        }
        catch (final IOException ex)
        {
            groupsLost = ex;
        }
        finally
        {
            outbound.lock().unlock();
        }
        if (groupsLost != null)
        {
            connectionLost(new BusException("lost the connection to the seqbus broker at " + connection.socket() +
                " while sending its queue groups' SUBSCRIBEs: " + Connection.oneLine(groupsLost), groupsLost), true);
            return false;
        }
        backoffNs = backoffMinNs;
        failGroups(groupsRefused);
        if (dropped > 0)
        {
            try
            {
                errorHandler.onError(new BusError(ErrorCode.CLIENT, false, 0, dropped + " publishes with descriptors " +
                    "were dropped unsent: the seqbus broker at " + connection.socket() + " passes no descriptors"));
            }
            catch (final Throwable ex)
            {
                errorHandler.onHandlerException(ex, null, null);
            }
        }
        try
        {
            connectionListener.onConnected(client);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex, null, null);
        }
        return epoch > 1;
    }

    /** Polling side. */
    void connectionLost(final BusException cause, final boolean retryable)
    {
        final boolean terminal = initialConnect || connection.isClosing() || !retryable || !options.reconnect();
        outbound.lock().lock();
        try
        {
            outbound.detach();
            if (connection.state() == Connection.CLOSED)
            {
                return;
            }
            if (terminal)
            {
                connection.state(Connection.CLOSED);
                if (!connection.isClosing())
                {
                    connection.closedCause(cause);
                }
                outbound.batch().clear();
            }
            else
            {
                connection.state(Connection.DISCONNECTED);
            }
        }
        finally
        {
            outbound.lock().unlock();
        }
        if (initialConnect)
        {
            handshakeFailure = cause;
            startFailureRetryable = retryable;
            return;
        }
        if (connection.isClosing())
        {
            return;
        }
        if (!terminal)
        {
            scheduleReconnect(System.nanoTime());
        }
        try
        {
            connectionListener.onDisconnected(client, cause);
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex, null, null);
        }
    }

    /**
     * Polling side, on a fatal ERROR: a broker from before HELLO sessions (SPEC.md, HELLO) checks name_length
     * against frame_length and so answers a session HELLO, and only that, with BAD_FRAME_LENGTH, ref 0, before
     * WELCOME. Then this client connects again at once without a session, says once what that costs, and keeps
     * doing so for its later reconnects.
     *
     * @return true when the error was that refusal and a HELLO without a session is on its way (or the connection
     * is lost as any other); false when the error is the caller's to handle.
     */
    boolean sessionRefused(final BusError error)
    {
        if (sessionless || connection.isClosing() || connection.state() != Connection.AWAITING_WELCOME ||
            error.code() != ErrorCode.BAD_FRAME_LENGTH || error.ref() != 0)
        {
            return false;
        }
        sessionless = true;
        ClientLog.sessionRefused(connection.socket(), error);
        try
        {
            final AFUNIXDatagramChannel newChannel = connection.open();
            outbound.lock().lock();
            try
            {
                outbound.detach();
                attachAndGreet(newChannel);
            }
            finally
            {
                outbound.lock().unlock();
            }
        }
        catch (final IOException ex)
        {
            connectionLost(new BusException("cannot connect again, without a session, to the seqbus broker at " +
                connection.socket() + ": " + Connection.oneLine(ex), ex), true);
        }
        return true;
    }

    /**
     * Polling side, at SHM_READY: maps the rings and moves the connection onto them (SHM_ATTACH goes out under the
     * outbound lock, after every frame sent on the socket before it). A mapping that fails closes this connection
     * and connects again at once without asking for shared memory, for this client's life, and says so once.
     * Owns the three descriptors.
     */
    void sharedMemoryReady(
        final int memfd, final int clientWake, final int brokerWake, final int toClientCapacity,
        final int fromClientCapacity, final long size)
    {
        final ShmLink link;
        try
        {
            link = ShmLink.map(memfd, clientWake, brokerWake, toClientCapacity, fromClientCapacity, size,
                connection.socketFd(), connection.maxDatagram());
        }
        catch (final IOException | RuntimeException ex)
        {
            sharedMemoryFailed(ex);
            return;
        }
        outbound.lock().lock();
        try
        {
            connection.sharedMemory(link);
        }
        finally
        {
            outbound.lock().unlock();
        }
    }

    private void sharedMemoryFailed(final Exception cause)
    {
        connection.sharedMemoryOff();
        try
        {
            errorHandler.onError(new BusError(ErrorCode.CLIENT, false, 0, "cannot use the shared memory the seqbus " +
                "broker at " + connection.socket() + " offered (" + Connection.oneLine(cause) + "): this client " +
                "connects again, on the socket alone"));
        }
        catch (final Throwable ex)
        {
            errorHandler.onHandlerException(ex, null, null);
        }
        try
        {
            final AFUNIXDatagramChannel newChannel = connection.open();
            outbound.lock().lock();
            try
            {
                outbound.detach();
                attachAndGreet(newChannel);
            }
            finally
            {
                outbound.lock().unlock();
            }
        }
        catch (final IOException ex)
        {
            connectionLost(new BusException("cannot connect again, without shared memory, to the seqbus broker at " +
                connection.socket() + ": " + Connection.oneLine(ex), ex), true);
        }
    }

    /**
     * @return false for an ERROR that says this client broke the protocol: reconnecting would only repeat it.
     */
    static boolean isRetryable(final int code)
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

    /**
     * Under lock, on a WELCOME with SERVICES: each live queue-group subscription's SUBSCRIBE, held back from the
     * handshake (an older broker takes the GROUP flag for a protocol violation and closes the connection), in
     * datagrams of their own ahead of anything the batch still holds.
     *
     * @return none refused: an empty array.
     */
    private Subscription[] resubscribeGroups() throws IOException
    {
        final int limit = connection.maxDatagram();
        ByteBuffer controlByteBuffer = null;
        SafeBuffer control = null;
        int position = 0;
        for (final Subscription subscription : subscriptions.all())
        {
            if (subscription.group() == null || subscription.isDrained())
            {
                continue;
            }
            if (control == null)
            {
                controlByteBuffer = ByteBuffer.allocateDirect(limit);
                control = new SafeBuffer(controlByteBuffer);
            }
            position = appendSubscribe(controlByteBuffer, control, position, subscription);
        }
        if (position > 0)
        {
            connection.writeWhole(controlByteBuffer, position);
        }
        return NO_SUBSCRIPTIONS;
    }

    /**
     * Under lock, on a WELCOME without SERVICES (the broker was replaced by an older one): the queue-group
     * subscriptions leave the table, never sent to it; {@link #failGroups} then tells why, outside the lock.
     */
    private Subscription[] takeGroupSubscriptions()
    {
        int count = 0;
        for (final Subscription subscription : subscriptions.all())
        {
            count += subscription.group() != null && !subscription.isDrained() ? 1 : 0;
        }
        if (count == 0)
        {
            return NO_SUBSCRIPTIONS;
        }
        final Subscription[] taken = new Subscription[count];
        int i = 0;
        for (final Subscription subscription : subscriptions.all())
        {
            if (subscription.group() != null && !subscription.isDrained())
            {
                taken[i++] = subscription;
            }
        }
        for (final Subscription subscription : taken)
        {
            subscriptions.remove(subscription.id());
        }
        return taken;
    }

    /** Polling side, outside the lock: each refused group subscription fails, and the error handler hears why. */
    private void failGroups(final Subscription[] refused)
    {
        for (final Subscription subscription : refused)
        {
            final BusError error = new BusError(ErrorCode.CLIENT, false, subscription.id(),
                "queue groups need a broker with SERVICES: the seqbus broker at " + connection.socket() +
                " (reconnected) predates them, so the subscription to '" + subscription.pattern() + "' in group '" +
                subscription.group() + "' ended; the others resume");
            subscription.fail(error);
            try
            {
                errorHandler.onError(error);
            }
            catch (final Throwable ex)
            {
                errorHandler.onHandlerException(ex, subscription, null);
            }
        }
    }

    private void scheduleReconnect(final long now)
    {
        nextReconnectNs = now + backoffNs;
        backoffNs = Math.min(backoffNs * 2, backoffMaxNs);
    }

    /**
     * Under lock: HELLO and every live SUBSCRIBE but the queue groups' in their own datagrams, then the batch keeps
     * only its PUBLISH frames.
     */
    private void sendHandshake() throws IOException
    {
        final int limit = connection.maxDatagram();
        final ByteBuffer controlByteBuffer = ByteBuffer.allocateDirect(limit);
        final SafeBuffer control = new SafeBuffer(controlByteBuffer);
        // FLAG_TOPIC_LIMIT: WELCOME says the broker's max_topic_length (a broker before it ignores the bit);
        // FLAG_DESCRIPTORS: this client reads with recvmsg and a control buffer (ClientOptions.descriptors).
        // FLAG_SHARED_MEMORY: this client maps the rings SHM_READY hands over (ClientOptions.sharedMemory).
        // FLAG_SERVICES: headers, requests and queue groups (issue 19); WELCOME then carries their limits.
        final int flags = HelloFrame.FLAG_TOPIC_LIMIT | HelloFrame.FLAG_SERVICES |
            (connection.descriptorsWanted() ? HelloFrame.FLAG_DESCRIPTORS : 0) |
            (connection.asksSharedMemory() ? HelloFrame.FLAG_SHARED_MEMORY : 0);
        int position = sessionless ?
            HelloFrame.encode(control, 0, Protocol.VERSION, Protocol.VERSION, flags, options.clientName(), 0, 0) :
            HelloFrame.encode(control, 0, Protocol.VERSION, Protocol.VERSION, HelloFrame.FLAG_SESSION | flags,
                options.clientName(), sessionId, outbound.nextSequenceLocked());
        for (final Subscription subscription : subscriptions.all())
        {
            // A queue group's SUBSCRIBE waits for WELCOME to say SERVICES (resubscribeGroups).
            if (subscription.isDrained() || subscription.group() != null)
            {
                continue;
            }
            position = appendSubscribe(controlByteBuffer, control, position, subscription);
        }
        connection.writeWhole(controlByteBuffer, position);
        outbound.batch().keepOnlyPublishes();
        welcomeDeadlineNs = System.nanoTime() + connectTimeoutNs;
        connection.state(Connection.AWAITING_WELCOME);
    }

    /**
     * Under lock: a subscription's SUBSCRIBE after what the control datagram holds, which goes out first when the
     * frame would not fit in it (a datagram of whole frames, at most max_datagram).
     *
     * @return the datagram's new length.
     */
    private int appendSubscribe(
        final ByteBuffer controlByteBuffer, final SafeBuffer control, final int position,
        final Subscription subscription) throws IOException
    {
        final int length = SubscribeFrame.PATTERN_OFFSET + WireStrings.utf8Length(subscription.pattern()) +
            (subscription.group() != null ?
            SubscribeFrame.GROUP_LENGTH_FIELD + WireStrings.utf8Length(subscription.group()) : 0);
        int at = position;
        if (at + length > connection.maxDatagram())
        {
            connection.writeWhole(controlByteBuffer, at);
            at = 0;
        }
        return at + SubscribeFrame.encode(
            control, at, subscription.id(), subscription.policy().code(),
            (int)subscription.maxQueueBytes(), subscription.pattern(), subscription.group());
    }
}

package io.seqbus.client;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.WelcomeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * Reads datagrams from the broker on the polling side, validates them, and dispatches their frames: WELCOME to
 * the {@link Reconnector}, DELIVER and DELIVER_RUN to message handlers, GAP to gap handlers, ERROR to the
 * error handler, PING answered with PONG, PONG to a waiting sync. One {@link Message} and one {@link Gap} are
 * reused for every callback.
 */
final class Inbound
{
    private static final int INITIAL_READ_CAPACITY = 256 * 1024;
    /** Longest a polling client goes without asking poll(2) whether the broker hung up, while reads find nothing. */
    private static final long HANG_UP_CHECK_NS = 1_000_000;

    private final Connection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    private final Reconnector reconnector;
    private final ErrorHandler errorHandler;
    private final GapHandler defaultGapHandler;
    private final int pollDatagramLimit;
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
    private volatile long lastPongToken;
    private long lastHangUpCheckNs;

    Inbound(
        final ClientOptions options, final Connection connection, final Outbound outbound,
        final Subscriptions subscriptions, final Reconnector reconnector)
    {
        this.connection = connection;
        this.outbound = outbound;
        this.subscriptions = subscriptions;
        this.reconnector = reconnector;
        this.errorHandler = options.errorHandler();
        this.defaultGapHandler = options.gapHandler();
        this.pollDatagramLimit = options.pollDatagramLimit();
        readByteBuffer = ByteBuffer.allocateDirect(INITIAL_READ_CAPACITY);
        readBuffer.wrap(readByteBuffer);
    }

    /**
     * @return the highest PONG token seen; read by any thread.
     */
    long lastPongToken()
    {
        return lastPongToken;
    }

    /**
     * Reads at most {@code pollDatagramLimit} datagrams without blocking and dispatches them.
     *
     * <p>junixsocket reads 0 both when nothing is waiting and at end of stream, so only poll(2) tells a broker
     * that hung up from a quiet one. Its {@code selectNow} costs a syscall and allocates (iterators over its key
     * map) on every call, so reads go first, and poll is asked only when they find nothing: after a sleep in
     * poll(2), which may have woken for the hang-up, when the key shows one, and otherwise at most once per
     * {@link #HANG_UP_CHECK_NS}. A spinning client thread then reads and allocates nothing while it waits.
     *
     * @return datagrams read, plus one when the connection was lost.
     */
    int read()
    {
        final AFUNIXDatagramChannel currentChannel = connection.channel();
        final Selector currentSelector = connection.selector();
        final SelectionKey key = connection.selectionKey();
        if (currentChannel == null || currentSelector == null)
        {
            return 0;
        }
        if (!connection.takeWokenByPoll() && key.isValid())
        {
            final int datagrams = drain(currentChannel, false, false);
            if (datagrams != 0 || System.nanoTime() - lastHangUpCheckNs < HANG_UP_CHECK_NS)
            {
                return datagrams;
            }
        }
        lastHangUpCheckNs = System.nanoTime();
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
            reconnector.connectionLost(connection.lost(ex), true);
            return 1;
        }
        // junixsocket cancels the key when the peer hangs up; what was sent before can still be read.
        final boolean hangUp = !key.isValid();
        if (ready == 0 && !hangUp)
        {
            return 0;
        }
        return drain(currentChannel, true, hangUp);
    }

    /**
     * @param pollSaidReady poll(2) reported the socket readable or hung up: reading nothing then means the
     *                      broker closed the connection.
     * @return datagrams read, plus one when the connection was lost.
     */
    private int drain(final AFUNIXDatagramChannel currentChannel, final boolean pollSaidReady, final boolean hangUp)
    {
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
                reconnector.connectionLost(connection.lost(ex), true);
                return datagrams + 1;
            }
            if (length <= 0)
            {
                // Readable but nothing to read, or hung up and drained: the broker closed the connection.
                if (pollSaidReady && (datagrams == 0 || hangUp))
                {
                    reconnector.connectionLost(new BusException(
                        "the seqbus broker at " + connection.socket() + " closed the connection"), true);
                    return datagrams + 1;
                }
                break;
            }
            datagrams++;
            onDatagram(length);
            if (connection.channel() != currentChannel)
            {
                break;
            }
        }
        return datagrams;
    }

    /** Between reads, never while a datagram is being dispatched: room for the broker's max_datagram. */
    void ensureCapacity()
    {
        final int maxDatagram = connection.maxDatagram();
        if (maxDatagram > readByteBuffer.capacity())
        {
            readByteBuffer = ByteBuffer.allocateDirect(maxDatagram);
            readBuffer.wrap(readByteBuffer);
        }
    }

    private void onDatagram(final int length)
    {
        final int code = validator.validate(readBuffer, 0, length);
        if (code != 0)
        {
            reconnector.connectionLost(new BusException("malformed datagram from the seqbus broker at " +
                connection.socket() + ": " + ErrorCode.name(code) + ", " + validator.errorReason()), true);
            return;
        }
        final AFUNIXDatagramChannel currentChannel = connection.channel();
        for (int at = 0; at < length; )
        {
            final int frameLength = Protocol.frameLength(readBuffer, at);
            final int type = Protocol.frameType(readBuffer, at);
            if ((connection.state() == Connection.AWAITING_WELCOME) != (type == FrameType.WELCOME) &&
                type != FrameType.ERROR)
            {
                reconnector.connectionLost(new BusException("the seqbus broker at " + connection.socket() +
                    " sent " + FrameType.name(type) + (type == FrameType.WELCOME ? " twice" : " before WELCOME")),
                    true);
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
                    pingFrame.wrap(readBuffer, at);
                    outbound.pongLocked(pingFrame.token());
                    break;
                case FrameType.PONG:
                    onPong(at);
                    break;
                default:
                    break;
            }
            if (connection.channel() != currentChannel)
            {
                return;
            }
            at += frameLength;
        }
    }

    private void onWelcome(final int at)
    {
        welcomeFrame.wrap(readBuffer, at);
        if (reconnector.welcomed(welcomeFrame))
        {
            for (final Subscription subscription : subscriptions.all())
            {
                dispatchGap(subscription, 0, 0, 0, 0, GapReason.RECONNECTED);
            }
        }
    }

    private void onDeliver(final int at)
    {
        final int id = readBuffer.getInt(at + DeliverFrame.SUBSCRIPTION_ID_OFFSET, BYTE_ORDER);
        final Subscription subscription = subscriptions.find(id);
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
        final Subscription subscription = subscriptions.find(runFrame.subscriptionId());
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
        final int sourceNode = gapFrame.sourceNode();
        final long publisher = gapFrame.publisherId();
        final long fromSequence = gapFrame.fromSequence();
        final long count = gapFrame.count();
        final int reason = gapFrame.reason();
        if (id == 0)
        {
            for (final Subscription subscription : subscriptions.all())
            {
                dispatchGap(subscription, sourceNode, publisher, fromSequence, count, reason);
            }
        }
        else
        {
            final Subscription subscription = subscriptions.find(id);
            if (subscription != null)
            {
                dispatchGap(subscription, sourceNode, publisher, fromSequence, count, reason);
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
            reconnector.connectionLost(new BusException("the seqbus broker at " + connection.socket() +
                " closed the connection: " + error, error.code(), null), Reconnector.isRetryable(error.code()));
            return;
        }
        if (error.ref() != 0)
        {
            final Subscription subscription = subscriptions.find(error.ref());
            if (subscription != null)
            {
                subscription.fail(error);
                outbound.lock().lock();
                try
                {
                    subscriptions.remove(error.ref());
                }
                finally
                {
                    outbound.lock().unlock();
                }
            }
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
}

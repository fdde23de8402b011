package io.seqbus.client;

import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ResponseFrame;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.ShmReadyFrame;
import io.seqbus.wire.WelcomeFrame;

import java.io.IOException;
import java.nio.channels.FileChannel;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * Validates each datagram its {@link DatagramReader} reads from the broker on the polling side, and dispatches
 * its frames: WELCOME to
 * the {@link Reconnector}, DELIVER and DELIVER_RUN to message handlers, GAP to gap handlers, ERROR to
 * {@link BrokerErrors}, PING answered with PONG, PONG to a waiting sync. One {@link Message} and one {@link Gap} are
 * reused for every callback. The descriptors a datagram brings are {@link ReceivedFds}'.
 * <p>
 * (Why it is over 450 lines: one short handler per frame type the broker sends, and the loss accounting that
 * ties DELIVER, GAP and the reconnect together; splitting it further would spread that accounting over files.
 * Reading the socket is the reader's.)
 */
final class Inbound
{
    private final Connection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    private final Reconnector reconnector;
    private final ErrorHandler errorHandler;
    private final GapHandler defaultGapHandler;
    private final DatagramReader reader;
    private final BrokerErrors brokerErrors;
    private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_BROKER);
    private final WelcomeFrame welcomeFrame = new WelcomeFrame();
    private final DeliverRunFrame runFrame = new DeliverRunFrame();
    private final GapFrame gapFrame = new GapFrame();
    private final PingFrame pingFrame = new PingFrame();
    private final DeliverFdsFrame fdsFrame = new DeliverFdsFrame();
    private final ShmReadyFrame shmReadyFrame = new ShmReadyFrame();
    // The reader's: the datagram being dispatched, and the descriptors it brought.
    private final ReceivedFds fds;
    private final SafeBuffer readBuffer;
    private final Message message = new Message();
    private final Gap gap = new Gap();
    private volatile long lastPongToken;
    // Requests and replies (issue 19): set once by BusClient before the first read.
    private final DeliverRequestFrame deliverRequestFrame = new DeliverRequestFrame();
    private final ResponseFrame responseFrame = new ResponseFrame();
    private PendingRequests pendingRequests;
    private BusClient client;

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
        this.reader = new DatagramReader(options, connection, reconnector, this::dispatchDatagram);
        this.fds = reader.fds();
        this.readBuffer = reader.buffer();
        this.brokerErrors = new BrokerErrors(errorHandler, connection, outbound, subscriptions, reconnector);
    }

    /**
     * @return the highest PONG token seen; read by any thread.
     */
    long lastPongToken()
    {
        return lastPongToken;
    }

    /** @see DatagramReader#read() */
    int read()
    {
        return reader.read();
    }

    /** @see DatagramReader#readUnlessJustDrained(boolean) */
    int readUnlessJustDrained(final boolean sleepsNext)
    {
        return reader.readUnlessJustDrained(sleepsNext);
    }

    /** @see DatagramReader#lostWithoutNotice(FileChannel, IOException) */
    int lostWithoutNotice(final FileChannel reads, final IOException failure)
    {
        return reader.lostWithoutNotice(reads, failure);
    }

    /** For tests: a budget with another limit. */
    void fdBudget(final FdBudget budget)
    {
        reader.fdBudget(budget);
    }

    /** @see DatagramReader#isShortOfDescriptors() */
    boolean isShortOfDescriptors()
    {
        return reader.isShortOfDescriptors();
    }

    /** @see DatagramReader#ensureCapacity() */
    void ensureCapacity()
    {
        reader.ensureCapacity();
    }

    private void dispatchDatagram(final int length)
    {
        final Counters counters = connection.counters();
        counters.increment(ClientStats.DATAGRAMS_IN);
        counters.add(ClientStats.BYTES_IN, length);
        int code = validator.validate(readBuffer, 0, length, fds.received());
        if (code == ErrorCode.DESCRIPTOR_MISMATCH && fds.truncated())
        {
            // The kernel cut them (this process at its RLIMIT_NOFILE): the frames are sound, their descriptors lost.
            code = 0;
        }
        if (code == 0 && validator.descriptorsClaimed() > 0 && !connection.passesDescriptors() &&
            Protocol.frameType(readBuffer, 0) != FrameType.SHM_READY)
        {
            code = ErrorCode.DESCRIPTOR_MISMATCH;
        }
        if (code != 0)
        {
            reconnector.connectionLost(new BusException("malformed datagram from the seqbus broker at " +
                connection.socket() + ": " + ErrorCode.name(code) + ", " + validator.errorReason()), true);
            return;
        }
        final FileChannel currentChannel = connection.reads();
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
                case FrameType.DELIVER_FDS:
                    onDeliverFds(at);
                    break;
                case FrameType.GAP:
                    onGap(at);
                    break;
                case FrameType.ERROR:
                    brokerErrors.onError(readBuffer, at);
                    break;
                case FrameType.PING:
                    pingFrame.wrap(readBuffer, at);
                    outbound.pongLocked(pingFrame.token());
                    break;
                case FrameType.PONG:
                    onPong(at);
                    break;
                case FrameType.SHM_READY:
                    onShmReady(at);
                    break;
                case FrameType.DELIVER_REQUEST:
                    onDeliverRequest(at);
                    break;
                case FrameType.RESPONSE:
                    onResponse(at);
                    break;
                default:
                    break;
            }
            if (connection.reads() != currentChannel)
            {
                return;
            }
            at += frameLength;
        }
    }

    private void onWelcome(final int at)
    {
        welcomeFrame.wrap(readBuffer, at);
        if (pendingRequests != null)
        {
            // Requests sent on the connection that was lost: that broker forgot them, no RESPONSE will come.
            pendingRequests.connectionLost("the connection to the seqbus broker at " + connection.socket() +
                " was lost before the reply came");
        }
        if (reconnector.welcomed(welcomeFrame))
        {
            connection.counters().increment(ClientStats.RECONNECTS);
            // Publisher 0, count 0: whatever publishers never publish again lost is unknown. Each one that does
            // gets its own RECONNECTED gap with the exact count at its next message (see checkSequence).
            for (final Subscription subscription : subscriptions.all())
            {
                // A queue group's member sees every publisher's sequence skip (other members got those): only an
                // ordinary subscription can count what the reconnect lost.
                if (subscription.group() == null)
                {
                    subscription.sequences().armAll(GapReason.RECONNECTED);
                }
                dispatchGap(subscription, 0, 0, 0, 0, GapReason.RECONNECTED);
            }
        }
    }

    private void onDeliver(final int at)
    {
        final int id = readBuffer.getInt(at + DeliverFrame.SUBSCRIPTION_ID_OFFSET, BYTE_ORDER);
        final Subscription subscription = subscriptions.find(id);
        // Once close() began no handler starts, even for a message read before (see BusClient#close).
        if (subscription == null || subscription.isClosed() || connection.isClosing())
        {
            return;
        }
        message.wrap(readBuffer, at, subscription);
        dispatch(subscription);
    }

    // One wrapped DELIVER or DELIVER_REQUEST to its handler: the sequence checked, counted, the handler's throw caught.
    private void dispatch(final Subscription subscription)
    {
        checkSequence(subscription, message.sourceNode(), message.publisherId(), message.sequence());
        if (subscription.isClosed() || connection.isClosing())
        {
            return;
        }
        count(subscription, SubscriptionStats.DELIVERED);
        try
        {
            subscription.handler().onMessage(message);
        }
        catch (final Throwable ex)
        {
            count(subscription, SubscriptionStats.HANDLER_ERRORS);
            errorHandler.onHandlerException(ex, subscription, message);
        }
    }

    /**
     * Requests and replies: set once, before the first read.
     *
     * @param requests this client's pending requests.
     * @param via      the client a request's {@link Message#reply} goes through.
     */
    void requests(final PendingRequests requests, final BusClient via)
    {
        this.pendingRequests = requests;
        this.client = via;
    }

    /** A DELIVER_REQUEST: to its subscription's handler as a message it may reply to. */
    private void onDeliverRequest(final int at)
    {
        deliverRequestFrame.wrap(readBuffer, at);
        final Subscription subscription = subscriptions.find(deliverRequestFrame.subscriptionId());
        if (subscription == null || subscription.isClosed() || connection.isClosing())
        {
            return;
        }
        message.wrapRequest(readBuffer, deliverRequestFrame, subscription, client);
        dispatch(subscription);
    }

    /** A RESPONSE: ends its request; a reply is copied out for the caller to own. */
    private void onResponse(final int at)
    {
        responseFrame.wrap(readBuffer, at);
        if (pendingRequests == null)
        {
            return;
        }
        final int id = responseFrame.requestId();
        final int status = responseFrame.status();
        pendingRequests.onResponse(id, status, status == ResponseFrame.REPLIED ?
            Message.reply(responseFrame, readBuffer, pendingRequests.topicBytes(id)) : null);
    }

    /**
     * A DELIVER_FDS: the next {@code fd_count} descriptors of the datagram are its own. With a memfd payload the
     * first is mapped read-only for the handler; after it returns, what it did not keep or take is let go. Without
     * its descriptors (a truncated receive) the message is lost: a GAP {@code DESCRIPTORS_LOST} says so, exactly.
     */
    private void onDeliverFds(final int at)
    {
        fdsFrame.wrap(readBuffer, at);
        final int count = fdsFrame.fdCount();
        final boolean lost = !fds.has(count);
        final int from = lost ? 0 : fds.take(count);
        final Subscription subscription = subscriptions.find(fdsFrame.subscriptionId());
        if (subscription == null || subscription.isClosed() || connection.isClosing())
        {
            fds.close(from, lost ? 0 : count);
            return;
        }
        final int sourceNode = fdsFrame.sourceNode();
        final long publisher = fdsFrame.publisherId();
        final long sequence = fdsFrame.sequence();
        if (lost)
        {
            checkSequence(subscription, sourceNode, publisher, sequence);
            brokerGap(subscription, sourceNode, publisher, sequence, 1, GapReason.DESCRIPTORS_LOST);
            dispatchGap(subscription, sourceNode, publisher, sequence, 1, GapReason.DESCRIPTORS_LOST);
            return;
        }
        MappedPayload mapped = null;
        int extraFrom = from;
        if (fdsFrame.hasMemfdPayload())
        {
            extraFrom++;
            try
            {
                mapped = MappedPayload.map(fds.fd(from), fdsFrame.payloadSize(), fds.budget());
            }
            catch (final java.io.IOException ex)
            {
                fds.close(from + 1, count - 1);
                checkSequence(subscription, sourceNode, publisher, sequence);
                errorHandler.onError(new BusError(ErrorCode.CLIENT, false, 0, "cannot map a memfd payload of " +
                    fdsFrame.payloadSize() + " bytes on '" + fdsFrame.topic() + "': " + ex.getMessage()));
                brokerGap(subscription, sourceNode, publisher, sequence, 1, GapReason.DESCRIPTORS_LOST);
                dispatchGap(subscription, sourceNode, publisher, sequence, 1, GapReason.DESCRIPTORS_LOST);
                return;
            }
        }
        message.wrapFds(readBuffer, fdsFrame, subscription, mapped, fds.array(), extraFrom, from + count - extraFrom,
            fds.budget());
        try
        {
            checkSequence(subscription, sourceNode, publisher, sequence);
            if (subscription.isClosed() || connection.isClosing())
            {
                return;
            }
            count(subscription, SubscriptionStats.DELIVERED);
            try
            {
                subscription.handler().onMessage(message);
            }
            catch (final Throwable ex)
            {
                count(subscription, SubscriptionStats.HANDLER_ERRORS);
                errorHandler.onHandlerException(ex, subscription, message);
            }
        }
        finally
        {
            final int closed = message.release();
            if (closed > 0)
            {
                fds.budget().closed(closed);
            }
        }
    }

    private void onDeliverRun(final int at)
    {
        runFrame.wrap(readBuffer, at);
        final Subscription subscription = subscriptions.find(runFrame.subscriptionId());
        if (subscription == null || subscription.isClosed() || connection.isClosing())
        {
            return;
        }
        message.wrapRun(readBuffer, runFrame, subscription);
        final MessageHandler handler = subscription.handler();
        final long first = runFrame.firstSequence();
        final int count = runFrame.count();
        int entry = runFrame.firstEntryIndex();
        // A run is one publisher's consecutive sequences: only its first can open a hole, and the subscription's
        // counter and last sequence move once per run. Per message, only the close check stays (a handler may
        // close the subscription or the client).
        final long publisherKey = PublisherSequences.key(runFrame.sourceNode(), runFrame.publisherId());
        checkSequence(subscription, runFrame.sourceNode(), runFrame.publisherId(), first);
        int delivered = 0;
        while (delivered < count && !subscription.isClosed() && !connection.isClosing())
        {
            final int length = readBuffer.getInt(entry, BYTE_ORDER);
            message.entry(first + delivered, entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, length);
            entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + length;
            delivered++;
            try
            {
                handler.onMessage(message);
            }
            catch (final Throwable ex)
            {
                count(subscription, SubscriptionStats.HANDLER_ERRORS);
                errorHandler.onHandlerException(ex, subscription, message);
            }
        }
        if (delivered > 1)
        {
            subscription.sequences().delivered(publisherKey, first + delivered - 1);
        }
        add(subscription, SubscriptionStats.DELIVERED, delivered);
    }

    /**
     * Before a message is handled: after a reconnect, the first message of each publisher seen before tells how
     * many of its messages this subscription missed, exactly (SPEC.md, "What a subscriber can count").
     */
    private void checkSequence(
        final Subscription subscription, final int sourceNode, final long publisherId, final long sequence)
    {
        final long missed = subscription.sequences().delivered(
            PublisherSequences.key(sourceNode, publisherId), sequence);
        if (missed > 0)
        {
            dispatchGap(subscription, sourceNode, publisherId, sequence - missed, missed,
                subscription.sequences().armReason());
        }
    }

    /**
     * A GAP from the broker. One it counted for one publisher must not be counted again by the reconnect check;
     * one of unknown size (NODE_LOST: a node of the LAN went away, and its session publishers continue their
     * sequences when it comes back) arms the check, so the next message of each publisher tells its exact hole.
     * One with a count but no single publisher changes nothing: it cannot be split among the publishers, and
     * forgetting them would hide the hole of one that is armed (see {@link PublisherSequences}).
     */
    private static void brokerGap(
        final Subscription subscription, final int sourceNode, final long publisher, final long fromSequence,
        final long count, final int reason)
    {
        if (publisher != 0 && fromSequence != 0 && count > 0)
        {
            subscription.sequences().skipped(PublisherSequences.key(sourceNode, publisher), fromSequence, count);
        }
        else if (count == 0 && subscription.group() == null)
        {
            subscription.sequences().armAll(reason);
        }
    }

    /**
     * A PUBLISHER_RESUMED GAP concerns only the subscriptions that delivered a message of that publisher: the
     * application must not hear of a publisher it never heard from.
     */
    private static boolean concerns(
        final Subscription subscription, final int sourceNode, final long publisher, final int reason)
    {
        return reason != GapReason.PUBLISHER_RESUMED ||
            subscription.sequences().seen(PublisherSequences.key(sourceNode, publisher));
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
                if (concerns(subscription, sourceNode, publisher, reason))
                {
                    brokerGap(subscription, sourceNode, publisher, fromSequence, count, reason);
                    dispatchGap(subscription, sourceNode, publisher, fromSequence, count, reason);
                }
            }
        }
        else
        {
            final Subscription subscription = subscriptions.find(id);
            if (subscription != null && concerns(subscription, sourceNode, publisher, reason))
            {
                brokerGap(subscription, sourceNode, publisher, fromSequence, count, reason);
                dispatchGap(subscription, sourceNode, publisher, fromSequence, count, reason);
            }
        }
    }

    private void dispatchGap(
        final Subscription subscription, final int sourceNode, final long publisher, final long fromSequence,
        final long count, final int reason)
    {
        if (subscription.isClosed() || connection.isClosing())
        {
            return;
        }
        count(subscription, SubscriptionStats.GAPS);
        add(subscription, SubscriptionStats.LOST, count);
        if (reason == GapReason.DROPPED_OLDEST || reason == GapReason.DROPPED_NEWEST)
        {
            add(subscription, SubscriptionStats.DROPPED, count);
        }
        final GapHandler handler = subscription.gapHandler() != null ? subscription.gapHandler() : defaultGapHandler;
        if (subscription.handler() instanceof HandlerQueue queue && !queue.isPull())
        {
            // Handlers on an executor: the gap waits its turn behind the messages before it (a copy: gaps are rare).
            queue.onGap(handler, gap.set(subscription, sourceNode, publisher, fromSequence, count, reason).copy());
            return;
        }
        try
        {
            handler.onGap(gap.set(subscription, sourceNode, publisher, fromSequence, count, reason));
        }
        catch (final Throwable ex)
        {
            count(subscription, SubscriptionStats.HANDLER_ERRORS);
            errorHandler.onHandlerException(ex, subscription, null);
        }
    }

    /** A subscription's counter and the client's total of it, which share an index. */
    private void count(final Subscription subscription, final int counter)
    {
        subscription.counters().increment(counter);
        connection.counters().increment(counter);
    }

    private void add(final Subscription subscription, final int counter, final long delta)
    {
        subscription.counters().add(counter, delta);
        connection.counters().add(counter, delta);
    }

    /**
     * SHM_READY, right after WELCOME on a connection that asked for shared memory: its three descriptors are the
     * memfd, client_wake and broker_wake. From here the broker writes every frame into the rings.
     */
    private void onShmReady(final int at)
    {
        if (!connection.asksSharedMemory() || connection.shm() != null || fds.remaining() < 3)
        {
            reconnector.connectionLost(new BusException("the seqbus broker at " + connection.socket() +
                " sent SHM_READY " + (connection.shm() != null ? "twice" : !connection.asksSharedMemory() ?
                "unasked" : "without its descriptors")), true);
            return;
        }
        shmReadyFrame.wrap(readBuffer, at);
        final int from = fds.take(3);
        reconnector.sharedMemoryReady(fds.fd(from), fds.fd(from + 1), fds.fd(from + 2),
            shmReadyFrame.toClientCapacity(), shmReadyFrame.fromClientCapacity(), shmReadyFrame.size());
    }

    private void onPong(final int at)
    {
        pingFrame.wrap(readBuffer, at);
        final long token = pingFrame.token();
        if (token > lastPongToken)
        {
            lastPongToken = token;
        }
        outbound.pongedLocked(token);
    }
}

package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.ReplyFrame;
import io.seqbus.wire.RequestFrame;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.SubscribeFrame;
import io.seqbus.wire.Topics;
import io.seqbus.wire.UnsubscribeFrame;
import io.seqbus.wire.WireStrings;
import org.agrona.DirectBuffer;
import org.agrona.collections.IntArrayList;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The outbound batch: every frame to the broker is appended here and leaves in one datagram of whole frames
 * at most max_datagram long. A small lock, never held while waiting, guards the batch and every change of
 * the connection (so a SUBSCRIBE either joins the batch or is sent by the next handshake, never both).
 * <p>
 * (Why it is over 450 lines: the batch, its lock and every frame the client sends share that lock; PUBLISH,
 * SUBSCRIBE, UNSUBSCRIBE, PING and the handshake's frames are one short method each.)
 */
final class Outbound
{
    /**
     * Publishes closer together than this (over 50k msgs/s) are sent by the client's thread, in batches; slower
     * ones by the publisher itself, at once. Below idleSpin, so the thread, once woken, stays awake for them.
     */
    static final long HOT_PUBLISH_NS = 20_000;
    /** Quick publishes in a row that make a publisher hot. */
    static final int HOT_PUBLISH_RUN = 64;
    /** Tries for the lock before a publisher parks for it: a few µs, the length of a send(2). */
    static final int PUBLISH_LOCK_SPINS = 1_000;

    private final Connection connection;
    private final Subscriptions subscriptions;
    private final ThreadMode threadMode;
    private final ReentrantLock lock = new ReentrantLock();
    private final SafeBuffer topicScratch = new SafeBuffer(new byte[Protocol.MAX_TOPIC_LENGTH + 1]);
    // The topic whose checked UTF-8 is in topicScratch, or null.
    private String lastTopic;
    private int lastTopicLength;
    private final IntArrayList pendingUnsubscribes = new IntArrayList();
    private final Batch batch;
    private final PublishRefusals refusals;
    private long nextPingToken;
    private boolean pongPending;
    private long pongToken;

    // Smart batching (DEDICATED mode): while the client's thread is awake it sends the batch,
    // and publishes made meanwhile join it; once it goes idle, publishers send themselves, so a
    // lone message pays no hand-off latency. Written by the client's thread, read by publishers.
    private volatile boolean senderIdle = true;
    // Bumped by every publish after it joined the batch; the client's thread reads it before idling.
    private volatile long publishCount;
    // Under lock: publishes the broker refused (ERROR with ref 0), which got no sequence.
    private long publishesRefused;
    // The client's thread only: publishCount when it last looked.
    private long seenPublishes;
    // The polling side's thread: it sends what it appends and never waits for itself.
    private volatile Thread pollerThread;
    // Under lock: when a publisher last sent alone (senderIdle), ns, and how many such sends in a row came quickly.
    private long lastSelfSendNs;
    private int hotSelfSends;
    // Under lock: publishes left in the batch for the client's thread since its last send.
    private int publishesLeft;
    // The client's thread only: publishes its last send carried; -1 when it has not sent since it last looked.
    private int publishesLastSent = -1;
    // The client's thread only: how many publishes its last send that carried any carried.
    private int publishesLastCarried;
    // Set by the client's thread as it idles right after a send that carried several publishes (a publisher is
    // hot, or was held back by a full socket); the next publish then wakes the thread instead of sending alone.
    // Written before senderIdle, so a publisher that sees the thread idle sees this too; cleared under lock.
    private volatile boolean handBackAtOnce;

    Outbound(
        final Connection connection, final Subscriptions subscriptions, final ThreadMode threadMode,
        final long refusalTtlNs)
    {
        this.connection = connection;
        this.subscriptions = subscriptions;
        this.threadMode = threadMode;
        batch = new Batch(connection);
        refusals = new PublishRefusals(refusalTtlNs);
    }

    /** Polling side: the broker refused one publish, so it numbered one fewer than this client sent. */
    void publishRefusedLocked()
    {
        lock.lock();
        try
        {
            publishesRefused++;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Under lock: a publish left the batch unsent and unnumbered (see {@link #publishRefusedLocked()}). */
    void publishRefused()
    {
        publishesRefused++;
    }

    /**
     * Under lock, in the handshake: the sequence the broker is to give the next PUBLISH (SPEC.md, HELLO session).
     * Every publish accepted so far counts, except those the broker refused and those still in the batch, which
     * the new connection sends: so one sent into a connection that died unread is a hole subscribers can count.
     */
    long nextSequenceLocked()
    {
        return publishCount - publishesRefused - batch.countPublishes() + 1;
    }

    /**
     * Polling side: the broker refused a publish to the error's topic.
     *
     * @return true when the error handler should hear of it (a new refusal).
     */
    boolean refusedLocked(final BusError error)
    {
        lock.lock();
        try
        {
            return refusals.refused(error);
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Polling side: a PONG came; answers the probes of refused topics sent before its PING. */
    void pongedLocked(final long token)
    {
        if (!refusals.probesOut())
        {
            return;
        }
        lock.lock();
        try
        {
            refusals.ponged(token);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return the refusal publishes to this topic are failing under now, or null; counts nothing.
     */
    BusError refusalLocked(final String topic)
    {
        lock.lock();
        try
        {
            return refusals.peek(topic);
        }
        finally
        {
            lock.unlock();
        }
    }

    ReentrantLock lock()
    {
        return lock;
    }

    /**
     * @return the batch; use it only under {@link #lock()}.
     */
    Batch batch()
    {
        return batch;
    }

    void pollerThread(final Thread thread)
    {
        pollerThread = thread;
    }

    boolean isPollerThread()
    {
        return Thread.currentThread() == pollerThread;
    }

    /**
     * The client's thread did work. It stays the sender while its sends carry publishes together; once they
     * carry one at a time, a publisher sending for itself is sooner, so the sending goes back to publishers.
     */
    void afterThreadWork()
    {
        final int carried = publishesLastSent;
        publishesLastSent = -1;
        if (carried > 0)
        {
            publishesLastCarried = carried;
        }
        if (carried > 1)
        {
            senderIdle = false;
        }
        else if (carried >= 0 && !senderIdle)
        {
            senderIdle();
        }
    }

    /**
     * The client's thread is about to idle.
     *
     * @return false when a publish joined the batch meanwhile: stay awake and send it.
     */
    boolean senderIdle()
    {
        if (senderIdle)
        {
            return true;
        }
        // Say we are idle first, then look once more: a publish that joined the batch
        // just before saw us busy and left the sending to us.
        handBackAtOnce = publishesLastCarried > 1;
        senderIdle = true;
        final long published = publishCount;
        if (published != seenPublishes)
        {
            seenPublishes = published;
            senderIdle = false;
            return false;
        }
        return true;
    }

    PublishResult offerLocked(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text)
    {
        return offerLocked(topic, payload, bytes, offset, length, text, null);
    }

    /** A publish with a header block before its payload when {@code headers} has any (SPEC.md, "Headers"). */
    PublishResult offerLocked(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text, final Headers headers)
    {
        lockForPublish();
        try
        {
            return offer(topic, payload, bytes, offset, length, text, headers);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * A publish with descriptors (PUBLISH_FDS): on {@link PublishResult#OK} the batch owns {@code fds} and closes
     * them once sent; otherwise they stay the caller's.
     *
     * @param fds         the descriptors, the memfd payload first with {@link PublishFdsFrame#MEMFD_PAYLOAD}.
     * @param fdFlags     {@link PublishFdsFrame#MEMFD_PAYLOAD} or 0.
     * @param payloadSize the memfd's size with the flag, else 0.
     * @param payload     the inline payload (empty with the flag).
     */
    PublishResult offerFdsLocked(
        final String topic, final int[] fds, final int fdCount, final int fdFlags, final long payloadSize,
        final DirectBuffer payload, final int offset, final int length)
    {
        return offerFdsLocked(topic, fds, fdCount, fdFlags, payloadSize, payload, offset, length, null);
    }

    /**
     * As {@link #offerFdsLocked(String, int[], int, int, long, DirectBuffer, int, int)}, with headers: their block
     * goes inline first (beside a memfd payload it is the whole inline part; SPEC.md, "Headers").
     */
    PublishResult offerFdsLocked(
        final String topic, final int[] fds, final int fdCount, final int fdFlags, final long payloadSize,
        final DirectBuffer payload, final int offset, final int length, final Headers headers)
    {
        lockForPublish();
        try
        {
            return offerFds(topic, fds, fdCount, fdFlags, payloadSize, payload, offset, length, headers);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Takes the lock for a publish. The client's thread holds it for the length of one send(2), some µs; a
     * publisher that parked behind it would sleep far longer (a park lasts 20-40 µs here), so it spins first.
     */
    private void lockForPublish()
    {
        if (lock.tryLock())
        {
            return;
        }
        for (int i = 0; i < PUBLISH_LOCK_SPINS; i++)
        {
            Thread.onSpinWait();
            if (lock.tryLock())
            {
                return;
            }
        }
        lock.lock();
    }

    /**
     * Sends the batch.
     *
     * @param checkOpen throw when the client is closed.
     * @return true when the batch is empty.
     */
    boolean sendLocked(final boolean checkOpen)
    {
        lock.lock();
        try
        {
            if (checkOpen)
            {
                connection.checkOpen();
            }
            batch.send();
            return batch.isEmpty();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Records a subscription, and appends its SUBSCRIBE unless disconnected (the handshake sends it then).
     *
     * @return the subscription, or null when the batch has no room.
     */
    Subscription subscribeLocked(
        final BusClient client, final String pattern, final MessageHandler handler, final SubscriptionOptions options,
        final int frameLength)
    {
        lock.lock();
        try
        {
            connection.checkOpen();
            final int currentState = connection.state();
            if (currentState != Connection.DISCONNECTED && !batch.reserve(frameLength))
            {
                return null;
            }
            final Subscription subscription = new Subscription(
                client, subscriptions.nextId(), pattern, handler, options.gapHandler(), options.policy(),
                options.maxQueueBytes(), options.group());
            subscriptions.add(subscription);
            // A queue group's SUBSCRIBE waits for WELCOME to say SERVICES: the reconnect sends it then.
            if (currentState != Connection.DISCONNECTED &&
                !(options.group() != null && currentState == Connection.AWAITING_WELCOME))
            {
                batch.advance(SubscribeFrame.encode(
                    batch.buffer(), batch.position(), subscription.id(), subscription.policy().code(),
                    (int)subscription.maxQueueBytes(), pattern, subscription.group()));
                batch.send();
            }
            return subscription;
        }
        finally
        {
            lock.unlock();
        }
    }

    void unsubscribeLocked(final Subscription subscription)
    {
        lock.lock();
        try
        {
            subscriptions.remove(subscription.id());
            final int currentState = connection.state();
            if (currentState == Connection.CLOSED || currentState == Connection.DISCONNECTED ||
                subscription.error() != null || subscription.isDrained())
            {
                return;
            }
            if (batch.reserve(UnsubscribeFrame.LENGTH))
            {
                batch.advance(UnsubscribeFrame.encode(batch.buffer(), batch.position(), subscription.id()));
                batch.send();
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

    /**
     * Under lock: appends a PING when connected and there is room.
     *
     * @return its token, or 0 when none was appended.
     */
    long ping()
    {
        if (connection.state() == Connection.CONNECTED && batch.reserve(PingFrame.LENGTH))
        {
            final long token = ++nextPingToken;
            batch.advance(PingFrame.encode(batch.buffer(), batch.position(), FrameType.PING, token));
            batch.send();
            return token;
        }
        return 0;
    }

    /** Polling side: answers a PING now, or when there is room. */
    void pongLocked(final long token)
    {
        lock.lock();
        try
        {
            if (batch.reserve(PingFrame.LENGTH))
            {
                batch.advance(PingFrame.encode(batch.buffer(), batch.position(), FrameType.PONG, token));
                batch.send();
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

    /**
     * Polling side, when connected: the PONG and UNSUBSCRIBEs that found no room, then the batch. Skipped while
     * a publisher holds the lock; it sends the batch itself.
     *
     * @return datagrams written.
     */
    int sendPending()
    {
        if (!lock.tryLock())
        {
            return 0;
        }
        try
        {
            int work = 0;
            if (connection.attachPending() && connection.tryAttach(connection.shm()))
            {
                // SHM_ATTACH found the socket full at SHM_READY; it is out now, and writes go into the ring.
                work++;
            }
            if (pongPending && batch.reserve(PingFrame.LENGTH))
            {
                batch.advance(PingFrame.encode(batch.buffer(), batch.position(), FrameType.PONG, pongToken));
                pongPending = false;
            }
            while (!pendingUnsubscribes.isEmpty() && batch.reserve(UnsubscribeFrame.LENGTH))
            {
                batch.advance(UnsubscribeFrame.encode(
                    batch.buffer(), batch.position(), pendingUnsubscribes.removeAt(pendingUnsubscribes.size() - 1)));
            }
            if (!batch.isEmpty())
            {
                publishesLastSent = publishesLeft;
                publishesLeft = 0;
                work += batch.send();
            }
            return work;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Under lock: closes the connection and drops the control frames that were owed to it. */
    void detach()
    {
        connection.detach();
        refusals.clear();
        pongPending = false;
        pendingUnsubscribes.clear();
    }

    /**
     * Puts the topic's UTF-8 in {@link #topicScratch}, checked. A publisher mostly repeats one topic, so the
     * last one stays encoded: comparing strings is cheaper than encoding and checking them again.
     *
     * @return its length in bytes.
     */
    private int encodeTopic(final String topic)
    {
        if (topic.equals(lastTopic))
        {
            return withinBrokerLimit(topic, lastTopicLength);
        }
        lastTopic = null;
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
        lastTopic = topic;
        lastTopicLength = topicLength;
        return withinBrokerLimit(topic, topicLength);
    }

    /**
     * The broker's own limit, from WELCOME (its {@code --max-topic-length}): a longer topic is refused here, at the
     * call, rather than sent to be refused with an INVALID_TOPIC that comes back later and unattached to the call.
     * Checked after the cache, as the limit can change at a reconnect.
     */
    private int withinBrokerLimit(final String topic, final int topicLength)
    {
        final int limit = connection.maxTopicLength();
        if (topicLength > limit)
        {
            throw new IllegalArgumentException("topic '" + topic + "' is " + topicLength +
                " bytes, longer than the broker's max_topic_length of " + limit);
        }
        return topicLength;
    }

    private PublishResult offerFds(
        final String topic, final int[] fds, final int fdCount, final int fdFlags, final long payloadSize,
        final DirectBuffer payload, final int offset, final int length, final Headers headers)
    {
        Objects.requireNonNull(topic, "topic");
        connection.checkOpen();
        final int topicLength = encodeTopic(topic);
        if (refusals.check(topic) != null)
        {
            connection.counters().increment(ClientStats.PUBLISHES_DENIED);
            return PublishResult.DENIED;
        }
        final int currentState = connection.state();
        final int blockLength = headers == null ? 0 : headers.encodedLength();
        if (currentState == Connection.CONNECTED)
        {
            checkDescriptorLimits(fdCount, payloadSize, blockLength + length);
        }
        if (blockLength > 0)
        {
            checkHeaders(headers);
        }
        final boolean probing = refusals.isProbing();
        final int frameLength = PublishFdsFrame.frameLength(topicLength, blockLength + length);
        if (currentState != Connection.CONNECTED || !batch.reserve(frameLength, fdCount))
        {
            // Only a connected batch takes descriptors: whether the next broker passes them is known at its WELCOME.
            return currentState == Connection.CONNECTED && connection.writeFailure() == null ?
                PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED;
        }
        if (blockLength > 0)
        {
            // The block first, then the inline payload after it: one frame, the HEADERS flag in its header.
            final SafeBuffer out = batch.buffer();
            final int at = batch.position();
            final int inlineAt = at + PublishFdsFrame.TOPIC_OFFSET + topicLength;
            out.putBytes(inlineAt + blockLength, payload, offset, length);
            PublishFdsFrame.encode(out, at, topicScratch, 0, topicLength, fdCount, fdFlags, payloadSize,
                headers.block(), 0, blockLength);
            final int withHeaders = PublishFdsFrame.frameLength(topicLength, blockLength + length);
            out.putInt(at + Protocol.LENGTH_OFFSET, withHeaders, Protocol.BYTE_ORDER);
            out.putByte(at + Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
            batch.advance(withHeaders, fds, fdCount);
        }
        else
        {
            batch.advance(PublishFdsFrame.encode(batch.buffer(), batch.position(), topicScratch, 0, topicLength,
                fdCount, fdFlags, payloadSize, payload, offset, length), fds, fdCount);
        }
        refusals.probeSent(probing ? ping() : 0);
        publishCount++;
        connection.counters().increment(ClientStats.PUBLISHED);
        publishesLeft = 0;
        batch.send();
        return PublishResult.OK;
    }

    /** What WELCOME said this connection may pass; refused at the call, as a payload over max_payload is. */
    private void checkDescriptorLimits(final int fdCount, final long payloadSize, final int inlineLength)
    {
        final int maxPerMessage = connection.maxDescriptorsPerMessage();
        if (maxPerMessage == 0)
        {
            throw new IllegalArgumentException("the seqbus broker at " + connection.socket() +
                " passes no descriptors on this connection (an older broker, or ClientOptions.descriptors(false))");
        }
        if (fdCount > maxPerMessage)
        {
            throw new IllegalArgumentException(fdCount + " descriptors in one publish, more than the broker's " +
                "max_descriptors_per_message of " + maxPerMessage);
        }
        if (payloadSize > connection.maxMemfdSize())
        {
            throw new IllegalArgumentException("payload of " + payloadSize + " bytes is larger than the broker's " +
                "max_memfd_size of " + connection.maxMemfdSize());
        }
        if (inlineLength > connection.maxPayload())
        {
            throw new IllegalArgumentException("inline payload of " + inlineLength + " bytes is larger than the " +
                "broker's max_payload of " + connection.maxPayload());
        }
    }

    // Headers (SPEC.md, "Headers"): the block the Headers encoded once, then the payload, in the batch in place.
    private int encodeWithHeaders(
        final SafeBuffer out, final int at, final int topicLength, final Headers headers, final DirectBuffer payload,
        final byte[] bytes, final int offset, final int length, final String text)
    {
        final int blockLength = headers.encodedLength();
        final int payloadAt = at + PublishFrame.TOPIC_OFFSET + topicLength + blockLength;
        final int payloadLength;
        if (text != null)
        {
            payloadLength = WireStrings.putUtf8(out, payloadAt, text);
        }
        else
        {
            payloadLength = length;
            if (bytes != null)
            {
                out.putBytes(payloadAt, bytes, offset, length);
            }
            else
            {
                out.putBytes(payloadAt, payload, offset, length);
            }
        }
        return PublishFrame.encodeWithHeaders(
            out, at, topicScratch, 0, topicLength, headers.block(), 0, blockLength, payloadLength);
    }

    /**
     * What a broker accepts in a header block; checked at the call, as a payload over max_payload is, so the caller
     * hears of it at once instead of an INVALID_HEADERS error later.
     */
    private void checkHeaders(final Headers headers)
    {
        if (connection.state() != Connection.CONNECTED)
        {
            // Batched for the next connection; checked against what the last WELCOME said, when there was one.
            final ServiceLimits last = connection.serviceLimits();
            if (last != null)
            {
                checkHeaders(headers, last);
            }
            return;
        }
        checkHeaders(headers, connection.requireServices("headers"));
    }

    private static void checkHeaders(final Headers headers, final ServiceLimits limits)
    {
        if (headers.encodedLength() > limits.maxHeaderBytes())
        {
            throw new IllegalArgumentException("headers of " + headers.encodedLength() + " bytes encoded are over " +
                "the broker's max_header_bytes of " + limits.maxHeaderBytes());
        }
        if (headers.size() > limits.maxHeaders())
        {
            throw new IllegalArgumentException(headers.size() + " headers are more than the broker's max_headers " +
                "of " + limits.maxHeaders());
        }
    }

    /** The payload is {@code text}, else {@code length} bytes at {@code offset} of {@code bytes}, else of payload. */
    private PublishResult offer(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text, final Headers headers)
    {
        Objects.requireNonNull(topic, "topic");
        connection.checkOpen();
        final int topicLength = encodeTopic(topic);
        if (refusals.check(topic) != null)
        {
            connection.counters().increment(ClientStats.PUBLISHES_DENIED);
            return PublishResult.DENIED;
        }
        final boolean probing = refusals.isProbing();
        final int blockLength = headers == null ? 0 : headers.encodedLength();
        final int payloadLength = text != null ? WireStrings.utf8Length(text) : length;
        final int maxPayload = connection.maxPayload();
        if (blockLength + payloadLength > maxPayload)
        {
            throw new IllegalArgumentException("payload of " + payloadLength + " bytes" +
                (blockLength > 0 ? " and headers of " + blockLength : "") + " is larger than the broker's " +
                "max_payload of " + maxPayload);
        }
        if (blockLength > 0)
        {
            checkHeaders(headers);
        }
        final int capacity = text != null ? 0 : bytes != null ? bytes.length : payload.capacity();
        if (text == null && (offset < 0 || length < 0 || offset > capacity - length))
        {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " capacity " + capacity);
        }
        final int frameLength = PublishFrame.frameLength(topicLength, blockLength + payloadLength);
        if (!batch.reserve(frameLength))
        {
            return connection.state() == Connection.CONNECTED && connection.writeFailure() == null ?
                PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED;
        }
        final SafeBuffer outBuffer = batch.buffer();
        final int at = batch.position();
        if (blockLength > 0)
        {
            batch.advance(encodeWithHeaders(outBuffer, at, topicLength, headers, payload, bytes, offset, length, text));
        }
        else
        {
            batch.advance(text != null ? PublishFrame.encode(outBuffer, at, topicScratch, 0, topicLength, text) :
                bytes != null ? PublishFrame.encode(outBuffer, at, topicScratch, 0, topicLength, bytes, offset, length) :
                PublishFrame.encode(outBuffer, at, topicScratch, 0, topicLength, payload, offset, length));
        }
        refusals.probeSent(probing ? ping() : 0);
        publishCount++;
        connection.counters().increment(ClientStats.PUBLISHED);
        if (threadMode == ThreadMode.POLL || Thread.currentThread() == pollerThread)
        {
            batch.send();
        }
        else if (!senderIdle)
        {
            publishesLeft++;
        }
        else if (handBackAtOnce)
        {
            // The thread just sent batches for this publisher and went idle (a pause, a full socket): alone, this
            // publish and the run after it would each cost a syscall and a datagram for the broker to read.
            handBackAtOnce = false;
            publishesLeft++;
            senderIdle = false;
            connection.wakeup();
        }
        else
        {
            publishesLeft = 0;
            batch.send();
            // A publisher that sent alone HOT_PUBLISH_RUN times, each within HOT_PUBLISH_NS of the last, hands
            // the sending to the client's thread, which stays awake while publishes keep coming and sends them
            // in batches: alone, every message costs a syscall, and the thread, asleep in poll(2), would never
            // see a batch. A long run, not a burst: a paced publisher catching up after a stall sends a burst
            // (at 10k msgs/s, runs of 8 came 40 times in 5 s, and each hand-over cost the latency run its p99).
            final long nowNs = System.nanoTime();
            hotSelfSends = nowNs - lastSelfSendNs < HOT_PUBLISH_NS ? hotSelfSends + 1 : 0;
            lastSelfSendNs = nowNs;
            if (hotSelfSends >= HOT_PUBLISH_RUN)
            {
                hotSelfSends = 0;
                senderIdle = false;
                connection.wakeup();
            }
        }
        return PublishResult.OK;
    }

    // Requests and replies (issue 19): a REQUEST counts as a publish (the broker numbers it with the connection's
    // one sequence); a REPLY does not. Both are sent at once, as a lone publish is.

    /**
     * Appends a REQUEST and sends it.
     *
     * @param topic     the request's topic.
     * @param requestId unique among this client's pending requests, not 0.
     * @param timeoutMs the broker's deadline for it.
     * @param payload   buffer holding the payload, or null when {@code bytes} does.
     * @param bytes     array holding the payload, or null.
     * @param offset    of the payload's first byte.
     * @param length    bytes of payload.
     * @param headers   beside the payload (a header block before it), or null / empty for none.
     * @return {@link PublishResult#OK}, or why it was not taken.
     */
    PublishResult offerRequestLocked(
        final String topic, final int requestId, final int timeoutMs, final DirectBuffer payload, final byte[] bytes,
        final int offset, final int length, final Headers headers)
    {
        lockForPublish();
        try
        {
            Objects.requireNonNull(topic, "topic");
            connection.checkOpen();
            final int topicLength = encodeTopic(topic);
            final int blockLength = blockLength(headers);
            checkPayload(blockLength + length);
            final int frameLength = RequestFrame.frameLength(topicLength, blockLength + length);
            if (connection.state() != Connection.CONNECTED || !batch.reserve(frameLength))
            {
                // Not kept for the next connection: the broker that got it would not be the one that answers.
                return connection.state() == Connection.CONNECTED && connection.writeFailure() == null ?
                    PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED;
            }
            final SafeBuffer outBuffer = batch.buffer();
            final int at = batch.position();
            if (blockLength == 0)
            {
                batch.advance(bytes != null ?
                    RequestFrame.encode(outBuffer, at, requestId, timeoutMs, topicScratch, 0, topicLength,
                        new SafeBuffer(bytes), offset, length) :
                    RequestFrame.encode(outBuffer, at, requestId, timeoutMs, topicScratch, 0, topicLength,
                        payload, offset, length));
            }
            else
            {
                // The block as the payload's first part, then the payload after it, then the whole frame's length.
                final int blockEnd = RequestFrame.encode(outBuffer, at, requestId, timeoutMs, topicScratch, 0,
                    topicLength, headers.block(), 0, blockLength);
                batch.advance(withHeaders(outBuffer, at, blockEnd, FrameType.REQUEST, payload, bytes, offset, length));
            }
            publishCount++;
            connection.counters().increment(ClientStats.PUBLISHED);
            publishesLeft = 0;
            batch.send();
            return PublishResult.OK;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Appends a REPLY and sends it.
     *
     * @param replyToken from the DELIVER_REQUEST answered.
     * @param payload    buffer holding the payload, or null when {@code bytes} does.
     * @param bytes      array holding the payload, or null.
     * @param offset     of the payload's first byte.
     * @param length     bytes of payload.
     * @param headers    beside the payload (a header block before it), or null / empty for none.
     * @return {@link PublishResult#OK}, or why it was not taken.
     */
    PublishResult offerReplyLocked(
        final long replyToken, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final Headers headers)
    {
        lockForPublish();
        try
        {
            connection.checkOpen();
            final int blockLength = blockLength(headers);
            checkPayload(blockLength + length);
            if (connection.state() != Connection.CONNECTED ||
                !batch.reserve(ReplyFrame.frameLength(blockLength + length)))
            {
                return connection.state() == Connection.CONNECTED && connection.writeFailure() == null ?
                    PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED;
            }
            final SafeBuffer outBuffer = batch.buffer();
            final int at = batch.position();
            if (blockLength == 0)
            {
                batch.advance(bytes != null ? ReplyFrame.encode(outBuffer, at, replyToken, bytes, offset, length) :
                    ReplyFrame.encode(outBuffer, at, replyToken, payload, offset, length));
            }
            else
            {
                final int blockEnd = ReplyFrame.encode(outBuffer, at, replyToken, headers.block(), 0, blockLength);
                batch.advance(withHeaders(outBuffer, at, blockEnd, FrameType.REPLY, payload, bytes, offset, length));
            }
            batch.send();
            return PublishResult.OK;
        }
        finally
        {
            lock.unlock();
        }
    }

    // Headers on a REQUEST or REPLY (SPEC.md, "Requests and replies"): 0 bytes of block when there are none; else
    // checked against the broker's limits, as a publish's are.
    private int blockLength(final Headers headers)
    {
        if (headers == null || headers.isEmpty())
        {
            return 0;
        }
        checkHeaders(headers);
        return headers.encodedLength();
    }

    // A frame written with its header block as the whole payload (ending at blockEnd): the payload goes after the
    // block, and the header then says the whole length and HEADERS.
    private static int withHeaders(
        final SafeBuffer out, final int at, final int blockEnd, final int type, final DirectBuffer payload,
        final byte[] bytes, final int offset, final int length)
    {
        if (bytes != null)
        {
            out.putBytes(at + blockEnd, bytes, offset, length);
        }
        else
        {
            out.putBytes(at + blockEnd, payload, offset, length);
        }
        Protocol.putHeader(out, at, blockEnd + length, type);
        out.putByte(at + Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        return blockEnd + length;
    }

    private void checkPayload(final int length)
    {
        if (length > connection.maxPayload())
        {
            throw new IllegalArgumentException(
                "payload of " + length + " bytes is larger than the broker's max_payload of " + connection.maxPayload());
        }
    }
}

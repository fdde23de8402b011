package io.seqbus.client;

import io.seqbus.wire.Protocol;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.SubscribeFrame;
import io.seqbus.wire.Topics;
import io.seqbus.wire.WireStrings;
import org.agrona.DirectBuffer;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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
 * every live subscription's gap handler a gap with {@code GapReason.RECONNECTED}: messages may
 * have been missed meanwhile. Frames still in the batch survive and are sent after WELCOME;
 * datagrams already handed to the old connection's kernel queue are lost with it.
 * <p>
 * HELLO carries a session (one per client), so the client keeps its publisher id and sequence across
 * reconnects. A broker older than sessions refuses that HELLO (ERROR {@code BAD_FRAME_LENGTH} before
 * WELCOME): the client then connects again at once without one, logs a warning once (System.Logger
 * {@code io.seqbus.client}), and stays without one; its publisher id then changes at every connection and
 * what it loses across one is unknown to its subscribers.
 *
 * <h2>Starting before the broker</h2>
 * By default {@link #connect} fails at once when the broker is not there. With
 * {@link ClientOptions#connectRetry(Duration)} it keeps trying, with backoff, until the bound, and returns
 * once connected; the client then works as any other.
 *
 * <h2>Shutting down</h2>
 * {@link #close()} is bounded by {@link ClientOptions#closeTimeout()}: no handler starts once it began,
 * blocked publishers are woken with a "closed" {@link BusException}, and accepted publishes it could not
 * send are counted ({@link #unsentAtClose()}) and reported to the {@link ErrorHandler}, never dropped
 * silently. {@link #drain(Duration)} first unsubscribes, lets the handlers of what was already on its way
 * run, and sends what was published, then closes; it says whether all of that finished in time.
 *
 * <h2>Large payloads and descriptors</h2>
 * On a connection that passes descriptors ({@link ClientOptions#descriptors(boolean)}, {@link #passesDescriptors()})
 * every publish takes a payload of any size up to the broker's {@code max_memfd_size}: above
 * {@link ClientOptions#memfdThreshold(int)} (the broker's {@code max_payload} by default) it goes as a sealed memfd,
 * which subscribers map read-only without a copy ({@link Message#isMemfdPayload()}). {@link #loan(int)} lends memory
 * to fill in place and {@link #publish(String, Loan)} seals it; {@link #publish(String, ByteBuffer, FileDescriptor...)}
 * attaches other descriptors. A publish the broker refuses for its descriptors ({@code BAD_DESCRIPTOR},
 * {@code DESCRIPTORS_DENIED}, {@code NOT_ON_LAN}, {@code TOO_MANY_DESCRIPTORS}) is reported to the
 * {@link ErrorHandler} and, unlike ACCESS_DENIED, does not make plain publishes to that topic fail at the call; like
 * every refused publish it gets no sequence, and the session's count leaves it out. Without descriptors (no JNA, or
 * a broker that passes none) a payload over {@link #maxPayload()} is refused at the call, as before.
 *
 * <h2>Errors</h2>
 * Every ERROR frame goes to the {@link ErrorHandler}. A non-fatal ERROR whose {@code ref} is a
 * subscription id marks that {@link Subscription} as failed (see {@link Subscription#error()}).
 * A publish the broker refuses (ACCESS_DENIED) is reported once per topic, as a {@link BusError}
 * naming the {@link BusError#topic() topic} that counts the publishes refused after it; for
 * {@link ClientOptions#refusalTtl()} further publishes to that topic fail at the call
 * ({@link PublishResult#DENIED}, or a {@link BusException} from {@code publish}); then one publish
 * asks the broker again, and its answer decides (a reload may have changed the rules). Publishes
 * sent before the refusal came back, and that one, are refused by the broker and counted.
 * A fatal ERROR caused by this client (a protocol violation, an unsupported version, a bad
 * name) closes the client for good; then calls throw a {@link BusException} with the reason.
 * <p>
 * (Why one long file: this is the whole public API of the client in one place, as jnats' {@code Connection}
 * is; over half of it is the javadoc a service team reads. Its methods are entry points; the work is elsewhere:
 * frames in and out in {@code Outbound}, {@code Inbound}, {@code Reconnector} and {@code ClientConductor}; the wait
 * for room of publish, flush and subscribe, and how such a wait ends, in {@code BlockingPublish}; memfd payloads,
 * loans and attached descriptors in {@code DescriptorPublishing}, made only for a client that passes descriptors;
 * requests and replies in {@code Requesting}; close and drain in {@code ClientShutdown}. What stays here is the
 * checking of arguments, the choice between inline and memfd, and the loops of subscribe and sync.)
 */
public final class BusClient implements AutoCloseable
{
    // A direct ByteBuffer is published through a view owned by the publishing thread, so no lock is needed to
    // share one. The view keeps the thread's last buffer: a service that publishes from the same buffer each
    // time allocates nothing (a view of a new buffer costs one ByteBuffer duplicate).
    // Longer waits in poll(maxWait) are as good as forever (and Duration.toNanos overflows past 292 years).
    private static final Duration MAX_POLL_WAIT = Duration.ofDays(1_000);
    private static final ThreadLocal<SafeBuffer> PAYLOAD_VIEWS = ThreadLocal.withInitial(SafeBuffer::new);

    private final ClientOptions options;
    // Handlers off the I/O thread: the queues of subscriptions with an executor or in pull mode.
    private final HandlerQueues handlerQueues = new HandlerQueues();
    private final ErrorHandler errorHandler;
    private final Connection connection;
    private final Subscriptions subscriptions;
    private final Outbound outbound;
    private final Inbound inbound;
    private final ClientConductor conductor;
    private final BlockingPublish blocking;
    // Null when the client passes no descriptors: then neither it nor the classes it calls (they need JNA) load.
    private final DescriptorPublishing descriptorPublishing;
    private final Requesting requesting;
    private final ClientShutdown shutdown;

    private BusClient(final ClientOptions options)
    {
        this.options = options;
        this.errorHandler = options.errorHandler();
        subscriptions = new Subscriptions();
        final boolean descriptors = options.descriptors();
        if (descriptors && NativeDescriptors.unavailable() != null)
        {
            throw new IllegalStateException("ClientOptions.descriptors(true), but " + NativeDescriptors.unavailable());
        }
        // Shared memory rides on descriptors (SHM_READY brings the memfd; brokers offer it only with DESCRIPTORS).
        final java.util.Map<String, String> env = options.environment();
        final boolean sharedMemory = descriptors && options.sharedMemory(env);
        if (options.sharedMemoryRequired(env) && !descriptors)
        {
            throw new IllegalStateException("ClientOptions.sharedMemory(true) needs descriptors, but " +
                (options.descriptorsRequired() || NativeDescriptors.unavailable() == null ?
                "ClientOptions.descriptors(false) turned them off" : NativeDescriptors.unavailable()));
        }
        connection = new Connection(
            options.socket(), options.privateDirectory(), options.uid(), descriptors, sharedMemory);
        outbound = new Outbound(connection, subscriptions, options.threadMode(), options.refusalTtl().toNanos());
        final Reconnector reconnector = new Reconnector(this, options, connection, outbound, subscriptions);
        inbound = new Inbound(options, connection, outbound, subscriptions, reconnector);
        conductor = new ClientConductor(options, connection, outbound, inbound, reconnector);
        final PendingRequests requests = new PendingRequests(options.requestExecutor(), connection.socket());
        inbound.requests(requests, this);
        blocking = new BlockingPublish(connection, outbound, conductor, options.publishTimeout().toNanos());
        descriptorPublishing = descriptors ?
            new DescriptorPublishing(connection, outbound, blocking, options.memfdThreshold()) : null;
        requesting = new Requesting(connection, outbound, requests, blocking);
        shutdown = new ClientShutdown(connection, outbound, inbound, conductor, subscriptions, handlerQueues, requests,
            errorHandler, options.closeTimeout().toNanos());
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
        client.conductor.start();
        return client;
    }

    /**
     * @return the socket this client connects to.
     */
    public String socket()
    {
        return connection.socket();
    }

    /**
     * @return true while a connection is established and WELCOME was received.
     */
    public boolean isConnected()
    {
        return connection.state() == Connection.CONNECTED;
    }

    /**
     * @return true once closed, by {@link #close()} or for good by a failure (see {@link #closedCause()}).
     */
    public boolean isClosed()
    {
        return connection.state() == Connection.CLOSED;
    }

    /**
     * @return why the client closed itself, or null when it is open or was closed by {@link #close()}.
     */
    public BusException closedCause()
    {
        return connection.closedCause();
    }

    /**
     * @return the publisher id the current (or last) connection got in WELCOME.
     */
    public long publisherId()
    {
        return connection.publisherId();
    }

    /**
     * @return the broker's node id from the last WELCOME.
     */
    public int nodeId()
    {
        return connection.nodeId();
    }

    /**
     * @return the broker's node name from the last WELCOME.
     */
    public String nodeName()
    {
        return connection.nodeName();
    }

    /**
     * @return the largest payload the broker accepts, from the last WELCOME.
     */
    public int maxPayload()
    {
        return connection.maxPayload();
    }

    /**
     * @return the longest topic or pattern the broker accepts, bytes, from the last WELCOME (its
     * {@code --max-topic-length}); 255, the protocol's limit, before the first WELCOME or from a broker that does not
     * say. Longer topics are refused at the call.
     */
    public int maxTopicLength()
    {
        return connection.maxTopicLength();
    }

    /**
     * @return the largest datagram either side sends, from the last WELCOME.
     */
    public int maxDatagram()
    {
        return connection.maxDatagram();
    }

    /**
     * @param topic a topic this client published to.
     * @return the broker's refusal that publishes to this topic fail under now ({@link PublishResult#DENIED}),
     * with how many it refused so far; null when they go to the broker.
     */
    public BusError refusal(final String topic)
    {
        return outbound.refusalLocked(Objects.requireNonNull(topic, "topic"));
    }

    /**
     * Publishes a message, waiting while the socket is full or the client is reconnecting.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload bytes: any size on a connection that passes descriptors (above
     *                {@link ClientOptions#memfdThreshold(int)} they go as a sealed memfd), else at most
     *                {@link #maxPayload()}.
     * @throws IllegalArgumentException for an invalid topic or a payload that is too large.
     * @throws BusException             when the frame could not be handed over within
     *                                  {@link ClientOptions#publishTimeout()}, the client failed, or
     *                                  {@link #close()} began while this call waited ("was closed while it
     *                                  waited": the message was not taken); with {@link BusException#code()}
     *                                  ACCESS_DENIED when the broker refused a recent publish to this topic
     *                                  (see {@link PublishResult#DENIED}).
     * @throws IllegalStateException    when the client was already closed at the call.
     */
    public void publish(final String topic, final byte[] payload)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(payload.length))
        {
            descriptorPublishing.publish(topic, payload, null);
            return;
        }
        blocking.publish(topic, null, payload, 0, payload.length, null);
    }

    /**
     * Publishes a message with a UTF-8 text payload; see {@link #publish(String, byte[])}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload text, sent as UTF-8 (ASCII text without allocating).
     */
    public void publish(final String topic, final String payload)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(WireStrings.utf8Length(payload)))
        {
            publish(topic, payload.getBytes(StandardCharsets.UTF_8));
            return;
        }
        blocking.publish(topic, null, null, 0, 0, payload);
    }

    /**
     * Publishes the bytes between the buffer's position and its limit, heap or direct, without allocating; see
     * {@link #publish(String, byte[])}. The buffer's position and limit are left as they were.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload.
     */
    public void publish(final String topic, final ByteBuffer payload)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(payload.remaining()))
        {
            descriptorPublishing.publish(topic, payload, null);
            return;
        }
        if (payload.hasArray())
        {
            blocking.publish(topic, null, payload.array(), payload.arrayOffset() + payload.position(),
                payload.remaining(), null);
            return;
        }
        final SafeBuffer view = PAYLOAD_VIEWS.get();
        view.wrap(payload);
        blocking.publish(topic, view, null, payload.position(), payload.remaining(), null);
    }

    /**
     * Publishes a message from an Agrona buffer without allocating or copying it first; see
     * {@link #publish(String, byte[])}. The one place besides {@link Message#payload()} where the API shows an
     * Agrona type, for services that already hold their data in one.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload buffer holding the payload.
     * @param offset  of the first payload byte.
     * @param length  bytes of payload.
     */
    public void publish(final String topic, final DirectBuffer payload, final int offset, final int length)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(length))
        {
            descriptorPublishing.publish(topic, payload, offset, length, null);
            return;
        }
        blocking.publish(topic, payload, null, offset, length, null);
    }

    /**
     * Publishes a message with headers (SPEC.md, "Headers"): key/value pairs beside the payload that subscribers read
     * with {@link Message#headers()}. Otherwise as {@link #publish(String, byte[])}; {@link Headers#EMPTY} publishes
     * without any. The headers' encoded bytes count in {@link #maxPayload()}; above the memfd threshold the payload
     * goes as a sealed memfd and the headers inline beside it.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload bytes.
     * @param headers the headers, built once and reusable.
     * @throws IllegalArgumentException for headers over the broker's {@code max_header_bytes} or {@code max_headers},
     *                                  or as {@link #publish(String, byte[])}.
     * @throws BusException             when the broker does not support headers (it predates them), or as
     *                                  {@link #publish(String, byte[])}.
     */
    public void publish(final String topic, final byte[] payload, final Headers headers)
    {
        Objects.requireNonNull(payload, "payload");
        if (checkHeaders(headers))
        {
            publish(topic, payload);
            return;
        }
        if (goesAsMemfd(payload.length))
        {
            descriptorPublishing.publish(topic, payload, headers);
            return;
        }
        blocking.publish(topic, null, payload, 0, payload.length, null, headers);
    }

    /**
     * Publishes a UTF-8 text payload with headers; see {@link #publish(String, byte[], Headers)}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload text, sent as UTF-8.
     * @param headers the headers.
     */
    public void publish(final String topic, final String payload, final Headers headers)
    {
        Objects.requireNonNull(payload, "payload");
        if (checkHeaders(headers))
        {
            publish(topic, payload);
            return;
        }
        if (goesAsMemfd(WireStrings.utf8Length(payload)))
        {
            publish(topic, payload.getBytes(StandardCharsets.UTF_8), headers);
            return;
        }
        blocking.publish(topic, null, null, 0, 0, payload, headers);
    }

    /**
     * Publishes the bytes between the buffer's position and its limit with headers, without allocating; see
     * {@link #publish(String, byte[], Headers)} and {@link #publish(String, ByteBuffer)}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload; its position and limit are left as they were.
     * @param headers the headers.
     */
    public void publish(final String topic, final ByteBuffer payload, final Headers headers)
    {
        Objects.requireNonNull(payload, "payload");
        if (checkHeaders(headers))
        {
            publish(topic, payload);
            return;
        }
        if (goesAsMemfd(payload.remaining()))
        {
            descriptorPublishing.publish(topic, payload, headers);
            return;
        }
        if (payload.hasArray())
        {
            blocking.publish(topic, null, payload.array(), payload.arrayOffset() + payload.position(),
                payload.remaining(), null, headers);
            return;
        }
        final SafeBuffer view = PAYLOAD_VIEWS.get();
        view.wrap(payload);
        blocking.publish(topic, view, null, payload.position(), payload.remaining(), null, headers);
    }

    /**
     * Publishes from an Agrona buffer with headers, without allocating; see {@link #publish(String, byte[], Headers)}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload buffer holding the payload.
     * @param offset  of the first payload byte.
     * @param length  bytes of payload.
     * @param headers the headers.
     */
    public void publish(
        final String topic, final DirectBuffer payload, final int offset, final int length, final Headers headers)
    {
        Objects.requireNonNull(payload, "payload");
        if (checkHeaders(headers))
        {
            publish(topic, payload, offset, length);
            return;
        }
        if (goesAsMemfd(length))
        {
            descriptorPublishing.publish(topic, payload, offset, length, headers);
            return;
        }
        blocking.publish(topic, payload, null, offset, length, null, headers);
    }

    /**
     * @return true when there are no headers to send (publish as without); false when there are and the broker of
     * this connection takes them.
     * @throws BusException when it does not (it predates them; {@link Connection#requireServices}).
     */
    private boolean checkHeaders(final Headers headers)
    {
        Objects.requireNonNull(headers, "headers");
        if (headers.isEmpty())
        {
            return true;
        }
        if (connection.state() == Connection.CONNECTED)
        {
            connection.requireServices("headers");
        }
        return false;
    }

    /**
     * Publishes a message with descriptors attached: every matching subscriber gets its own copies
     * ({@link Message#takeDescriptors()}). The kernel duplicates them as the message is sent; the caller's stay open
     * and remain the caller's (the client holds duplicates until then). The payload goes inline, or as a sealed memfd
     * above {@link ClientOptions#memfdThreshold(int)} (the memfd then comes first and counts in the broker's
     * {@code max_descriptors_per_message}). Needs a connection that passes descriptors, and a topic where the
     * broker's rules grant {@code pass_fds} (else an ERROR {@code DESCRIPTORS_DENIED} reaches the
     * {@link ErrorHandler}; unlike ACCESS_DENIED it does not stop plain publishes to the topic).
     * Waits as {@link #publish(String, byte[])} does.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the bytes between its position and limit (left as they were); may be empty.
     * @param fds     open descriptors: files, pipes, sockets, memfds...; none publishes as
     *                {@link #publish(String, ByteBuffer)}.
     * @throws IllegalArgumentException for too many descriptors, a closed one, or a connection without descriptors.
     */
    public void publish(final String topic, final ByteBuffer payload, final FileDescriptor... fds)
    {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(fds, "fds");
        if (fds.length == 0)
        {
            publish(topic, payload);
            return;
        }
        descriptors().publishWithDescriptors(topic, payload, fds);
    }

    /**
     * Lends memory to fill in place and publish without a copy: a memfd of {@code size} bytes, mapped read-write
     * (see {@link Loan}). Needs descriptors ({@link ClientOptions#descriptors(boolean)}).
     *
     * @param size bytes, up to the broker's {@code max_memfd_size} ({@link #maxMemfdSize()}).
     * @return the loan; close it when done, published or not.
     * @throws IllegalArgumentException for a size over the broker's limit.
     * @throws IllegalStateException    when this client does not pass descriptors.
     */
    public Loan loan(final int size)
    {
        return descriptors().loan(size);
    }

    /**
     * Publishes a loan's bytes as a sealed memfd, without a copy: seals the loan (its buffer stays readable; see
     * {@link Loan}) and passes it to every matching subscriber. Waits as {@link #publish(String, byte[])} does. The
     * loan is published once; close it afterwards.
     *
     * @param topic a valid topic (no wildcards).
     * @param loan  from {@link #loan(int)}, not published yet.
     * @throws IllegalStateException when the loan was published or closed already.
     */
    public void publish(final String topic, final Loan loan)
    {
        Objects.requireNonNull(loan, "loan");
        Objects.requireNonNull(topic, "topic");
        descriptors().publish(topic, loan);
    }

    /**
     * @return true when the current connection passes descriptors: the client asked ({@link ClientOptions#descriptors})
     * and the broker's WELCOME gave its limits.
     */
    public boolean passesDescriptors()
    {
        return connection.passesDescriptors();
    }

    /**
     * @return the largest memfd payload the broker accepts, from the last WELCOME; 0 when the connection passes no
     * descriptors.
     */
    public long maxMemfdSize()
    {
        return connection.maxMemfdSize();
    }

    /**
     * Publishes a message if that can be done without waiting: the frame is written to the
     * socket or added to the batch, else nothing happens. A payload above the memfd threshold is made into a sealed
     * memfd first (see {@link #publish(String, byte[])}), which is closed again when it cannot go.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload bytes: any size on a connection that passes descriptors, else at most
     *                {@link #maxPayload()}.
     * @return {@link PublishResult#OK} when taken, else why not.
     * @throws IllegalArgumentException for an invalid topic or a payload that is too large.
     * @throws IllegalStateException    when the client was closed.
     */
    public PublishResult tryPublish(final String topic, final byte[] payload)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(payload.length))
        {
            return descriptorPublishing.tryPublish(topic, payload);
        }
        return outbound.offerLocked(topic, null, payload, 0, payload.length, null);
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
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(WireStrings.utf8Length(payload)))
        {
            return tryPublish(topic, payload.getBytes(StandardCharsets.UTF_8));
        }
        return outbound.offerLocked(topic, null, null, 0, 0, payload);
    }

    /**
     * Publishes the bytes between the buffer's position and its limit if that can be done without waiting; see
     * {@link #tryPublish(String, byte[])} and {@link #publish(String, ByteBuffer)}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload the payload; its position and limit are left as they were.
     * @return {@link PublishResult#OK} when taken, else why not.
     */
    public PublishResult tryPublish(final String topic, final ByteBuffer payload)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(payload.remaining()))
        {
            return descriptorPublishing.tryPublish(topic, payload);
        }
        if (payload.hasArray())
        {
            return outbound.offerLocked(topic, null, payload.array(), payload.arrayOffset() + payload.position(),
                payload.remaining(), null);
        }
        final SafeBuffer view = PAYLOAD_VIEWS.get();
        view.wrap(payload);
        return outbound.offerLocked(topic, view, null, payload.position(), payload.remaining(), null);
    }

    /**
     * Publishes from an Agrona buffer if that can be done without waiting; see {@link #tryPublish(String, byte[])}.
     *
     * @param topic   a valid topic (no wildcards).
     * @param payload buffer holding the payload.
     * @param offset  of the first payload byte.
     * @param length  bytes of payload.
     * @return {@link PublishResult#OK} when taken, else why not.
     */
    public PublishResult tryPublish(final String topic, final DirectBuffer payload, final int offset, final int length)
    {
        Objects.requireNonNull(payload, "payload");
        if (goesAsMemfd(length))
        {
            return descriptorPublishing.tryPublish(topic, payload, offset, length);
        }
        return outbound.offerLocked(topic, payload, null, offset, length, null);
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
        final long deadline = blocking.deadline();
        int idle = 0;
        while (!outbound.sendLocked(true))
        {
            blocking.checkNotClosing("flush");
            if (System.nanoTime() - deadline >= 0)
            {
                throw blocking.timeout("flush");
            }
            idle = blocking.pause(idle);
        }
    }

    /**
     * Subscribes with the broker's default options; see {@link #subscribe(String, MessageHandler, SubscriptionOptions)}.
     *
     * @param pattern a valid pattern, such as {@code orders.*.created} or {@code orders.>}.
     * @param handler runs on the polling thread for every message, or on an executor: the options' or the client's
     *                ({@link SubscriptionOptions#executor}, {@link ClientOptions#handlerExecutor}).
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
     * @param handler runs on the polling thread for every message, or on an executor: the options' or the client's
     *                ({@link SubscriptionOptions#executor}, {@link ClientOptions#handlerExecutor}).
     * @param options slow-consumer policy, queue bound, gap handler and queue group.
     * @return the subscription; close it to unsubscribe.
     * @throws IllegalArgumentException for an invalid pattern.
     * @throws BusException             when there is no room in a full socket within
     *                                  {@link ClientOptions#publishTimeout()}, or for a queue group when the broker
     *                                  did not announce the service patterns (it predates them).
     * @throws IllegalStateException    when the client was closed.
     */
    public Subscription subscribe(final String pattern, final MessageHandler handler, final SubscriptionOptions options)
    {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(options, "options");
        if (options.isPull())
        {
            throw new IllegalArgumentException("pull options (SubscriptionOptions.pull()) take no handler: " +
                "use subscribe(pattern, options) and Subscription.next");
        }
        return subscribeWith(pattern, handler, options);
    }

    /**
     * Subscribes in pull mode: no handler; the client queues a copy of each message (at most
     * {@link SubscriptionOptions#maxPending(int)}, overflow as {@link SubscriptionOptions#executor} describes) and
     * the application takes them with {@link Subscription#next(Duration)}. Otherwise as
     * {@link #subscribe(String, MessageHandler, SubscriptionOptions)}.
     *
     * @param pattern a valid pattern.
     * @param options such as {@link SubscriptionOptions#pull()}; whatever they say, a subscription without a handler
     *                is a pull one.
     * @return the subscription; read it with {@link Subscription#next(Duration)}, close it to unsubscribe.
     * @throws IllegalArgumentException for an invalid pattern, or options with an executor.
     * @throws BusException             when there is no room in a full socket within
     *                                  {@link ClientOptions#publishTimeout()}.
     * @throws IllegalStateException    when the client was closed.
     */
    public Subscription subscribe(final String pattern, final SubscriptionOptions options)
    {
        Objects.requireNonNull(options, "options");
        if (options.executor() != null)
        {
            throw new IllegalArgumentException("a pull subscription has no handler to run on an executor");
        }
        return subscribeWith(pattern, null, options);
    }

    /** Handlers off the I/O thread: the queue that stands for the handler, or the handler itself. */
    private MessageHandler dispatcher(final MessageHandler handler, final SubscriptionOptions options)
    {
        final java.util.concurrent.Executor executor =
            options.executor() != null ? options.executor() : this.options.handlerExecutor();
        if (handler != null && executor == null)
        {
            return handler;
        }
        final HandlerQueue queue = new HandlerQueue(handler, handler == null ? null : executor, options.maxPending(),
            options.policy(), errorHandler, handlerQueues);
        handlerQueues.add(queue);
        return queue;
    }

    private Subscription subscribeWith(
        final String pattern, final MessageHandler handler, final SubscriptionOptions options)
    {
        Objects.requireNonNull(pattern, "pattern");
        final int patternLength = WireStrings.utf8Length(pattern);
        if (patternLength < 1 || patternLength > Protocol.MAX_TOPIC_LENGTH || !Topics.isValidPattern(pattern))
        {
            throw new IllegalArgumentException("invalid pattern '" + pattern + "' (see SPEC.md, Topics)");
        }
        if (patternLength > connection.maxTopicLength())
        {
            throw new IllegalArgumentException("pattern '" + pattern + "' is " + patternLength +
                " bytes, longer than the broker's max_topic_length of " + connection.maxTopicLength());
        }
        if (shutdown.isDraining())
        {
            throw new IllegalStateException("this BusClient is draining: no new subscriptions");
        }
        if (options.group() != null)
        {
            // A broker before issue 19 would take the GROUP flag for a protocol violation and close the connection.
            connection.requireServices("queue groups (SubscriptionOptions.group)");
        }
        final int frameLength = SubscribeFrame.PATTERN_OFFSET + patternLength +
            (options.group() == null ? 0 : SubscribeFrame.GROUP_LENGTH_FIELD + WireStrings.utf8Length(options.group()));
        final long deadline = blocking.deadline();
        final MessageHandler dispatcher = dispatcher(handler, options);
        int idle = 0;
        while (true)
        {
            final Subscription subscription;
            try
            {
                subscription = outbound.subscribeLocked(this, pattern, dispatcher, options, frameLength);
                if (subscription == null)
                {
                    blocking.checkNotClosing("subscribe");
                }
            }
            catch (final RuntimeException ex)
            {
                closeQueue(dispatcher);
                throw ex;
            }
            if (subscription != null)
            {
                if (dispatcher instanceof HandlerQueue)
                {
                    ((HandlerQueue)dispatcher).subscription(subscription);
                }
                return subscription;
            }
            if (System.nanoTime() - deadline >= 0)
            {
                closeQueue(dispatcher);
                throw blocking.timeout("subscribe");
            }
            idle = blocking.pause(idle);
        }
    }

    private static void closeQueue(final MessageHandler dispatcher)
    {
        if (dispatcher instanceof HandlerQueue)
        {
            ((HandlerQueue)dispatcher).close();
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
        if (conductor.isWorkThread())
        {
            throw new IllegalStateException("sync() cannot be called from a handler: the PONG would never be read");
        }
        int idle = 0;
        while (true)
        {
            long token = 0;
            long epoch = 0;
            outbound.lock().lock();
            try
            {
                connection.checkOpen();
                token = outbound.ping();
                epoch = connection.connectionEpoch();
            }
            finally
            {
                outbound.lock().unlock();
            }
            while (token != 0 && inbound.lastPongToken() < token)
            {
                if (connection.connectionEpoch() != epoch || connection.state() != Connection.CONNECTED)
                {
                    token = 0;
                    break;
                }
                checkSyncDeadline(deadline, timeout);
                idle = conductor.pause(idle, true);
            }
            if (token != 0)
            {
                return;
            }
            checkSyncDeadline(deadline, timeout);
            idle = conductor.pause(idle, true);
        }
    }

    /**
     * In {@link ThreadMode#POLL}: reads whatever datagrams are readable without blocking (at most
     * {@link ClientOptions#pollDatagramLimit()}), dispatches their frames to the handlers,
     * answers PINGs, sends what is left in the batch, and reconnects when due.
     *
     * @return work done (datagrams read and sent, reconnect steps), 0 when idle or when another thread polls
     * now (a waiting call such as {@link #sync} polls while it waits).
     * @throws IllegalStateException in {@link ThreadMode#DEDICATED}, or when called from a handler.
     */
    public int poll()
    {
        return conductor.poll();
    }

    /**
     * In {@link ThreadMode#POLL}: {@link #poll()}, and when that found nothing, waits for work and polls again, until
     * there is some or {@code maxWait} has passed: a poll loop that costs no CPU while nothing comes and reads a
     * message as soon as it does. While it waits the thread spins for at most {@link ClientOptions#idleSpin()} (only
     * when that pays, see {@link ClientOptions#adaptiveSpin(boolean)}), then sleeps in poll(2) on the socket (on
     * shared memory: on the client's wake eventfd and the socket), which the broker's data, its ERRORs and its
     * hang-up, and {@link #close()}, end at once. While disconnected it parks in steps of 1 ms (the reconnect is
     * due on a timer). Publishing from other threads meanwhile is fine: in this mode publishers send for themselves.
     *
     * @param maxWait the longest it waits; zero is {@link #poll()}.
     * @return work done, as {@link #poll()}; 0 when nothing came within {@code maxWait}, when the client closed, or
     * when another thread polls now (this one then waits up to 1 ms, so a loop around it does not spin).
     * @throws IllegalStateException in {@link ThreadMode#DEDICATED}, or when called from a handler.
     */
    public int poll(final Duration maxWait)
    {
        if (maxWait.isNegative())
        {
            throw new IllegalArgumentException("maxWait must not be negative: " + maxWait);
        }
        return conductor.poll(maxWait.compareTo(MAX_POLL_WAIT) > 0 ? Long.MAX_VALUE / 2 : maxWait.toNanos());
    }

    /**
     * Closes the client within {@link ClientOptions#closeTimeout()} (default 1 s), whatever handlers do.
     * Idempotent.
     * <ol>
     * <li>From the moment it begins, no handler (message, gap) starts, not even for a message already read;
     * a thread waiting in {@link #publish}, {@link #flush} or {@link #subscribe} for room or for a reconnect
     * gets a {@link BusException} saying the client was closed.</li>
     * <li>While connected, it sends what is left in the batch, waiting for room in a full socket.</li>
     * <li>It waits for a handler running on the client's thread (or a {@link #poll()} on another thread) to
     * return. One still running when the time is up goes on after close returns, on that thread; nothing
     * else runs after it.</li>
     * <li>It closes the socket. Publishes that {@link #publish} or {@link #tryPublish} accepted and that are
     * still in the batch (the broker did not read in time, or the client was disconnected) are not dropped
     * silently: they are counted in {@link #unsentAtClose()} and reported once to the
     * {@link ErrorHandler#onError} on the closing thread, as a {@link BusError} with code 0 (the client's
     * own report, not an ERROR from the broker). What was written to the socket before it closes is read
     * by the broker.</li>
     * </ol>
     * Called from a handler, it does not wait for that handler.
     */
    public void close()
    {
        shutdown.close();
    }

    /**
     * Shuts down gracefully within the timeout, whatever handlers do, as jnats's drain: stops taking new
     * deliveries, lets the handlers of deliveries already on their way run, sends the publishes accepted
     * before, then closes.
     * <ol>
     * <li>Every live subscription is unsubscribed at the broker (UNSUBSCRIBE, then a PING), rather than just
     * no longer dispatched: the broker stops queueing for this client and nothing is counted as sent to it
     * that the service never handles. Deliveries the broker queued before the UNSUBSCRIBE still arrive
     * and their handlers run; the PONG, which the broker queues after them, says they all did.
     * {@link #subscribe} is refused from now on; publishing goes on until the close.</li>
     * <li>It sends what is left in the batch.</li>
     * <li>It closes as {@link #close()} does, with what is left of the timeout (at least nothing).</li>
     * </ol>
     * When the connection is lost meanwhile, what the broker had queued for it is lost with it (as on any
     * reconnect), the drained subscriptions are not sent again, and drain goes on with the next step.
     * {@link Subscription#close()} on a drained subscription sends nothing more.
     *
     * @param timeout the longest the whole drain takes; a handler still running then is left to return
     *                on its own and no other starts.
     * @return true when everything finished in time: every delivery queued before the UNSUBSCRIBE was
     * handled, every accepted publish was sent ({@link #unsentAtClose()} is 0) and no handler was still
     * running at the close; false otherwise (the client is closed either way).
     * @throws IllegalStateException when called from a handler (the PONG would never be read), or the client
     *                               was closed.
     */
    public boolean drain(final Duration timeout)
    {
        return shutdown.drain(timeout);
    }

    /**
     * @return publishes that {@link #publish} or {@link #tryPublish} accepted and that {@link #close()} or
     * {@link #drain} could not send before the socket closed; 0 while open.
     */
    public long unsentAtClose()
    {
        return shutdown.unsentAtClose();
    }

    /**
     * @return what this client has done so far, across reconnects: publishes accepted and refused, ERRORs,
     * reconnects, bytes and datagrams each way, and the totals of every subscription's counters. A snapshot of
     * counters the client's threads keep without locking or allocating; the snapshot itself allocates, so call
     * it from a metrics poll rather than per message. See also {@link Subscription#stats()} and the optional
     * Micrometer binder {@code io.seqbus.client.micrometer.SeqbusClientMetrics}.
     */
    public ClientStats stats()
    {
        return ClientStats.of(connection.counters(), connection.onSharedMemory(), handlerQueues);
    }

    /**
     * @return the subscriptions in force now, in the order of subscribing (closed and refused ones are gone).
     */
    public java.util.List<Subscription> subscriptions()
    {
        return java.util.List.of(subscriptions.all());
    }

    /**
     * @return the client name, socket and state, as one line.
     */
    public String toString()
    {
        return "BusClient{name=" + options.clientName() + ", socket=" + connection.socket() + ", state=" +
            connection.stateName() + ", publisherId=" + connection.publisherId() + "}";
    }

    /** The connection: for the service calls' capability check ({@link Connection#requireServices}), and tests. */
    Connection connection()
    {
        return connection;
    }

    /** For tests: reads of the socket that found it empty (EAGAIN), since the client was made. */
    long emptyReads()
    {
        return connection.counters().get(ClientStats.EMPTY_READS);
    }

    /** For tests, in {@link ThreadMode#POLL} on the polling thread: the descriptor budget with another limit. */
    void descriptorBudget(final FdBudget budget)
    {
        inbound.fdBudget(budget);
    }

    /** @return true on the thread running I/O-thread handlers right now (next() must not wait there). */
    boolean isHandlerThread()
    {
        return conductor.isWorkThread();
    }

    /** For tests: close() or drain() has begun. */
    boolean isClosing()
    {
        return connection.isClosing();
    }

    void unsubscribe(final Subscription subscription)
    {
        outbound.unsubscribeLocked(subscription);
    }

    /** Whether a payload of this length goes as a sealed memfd: never without descriptors (see the field). */
    private boolean goesAsMemfd(final int length)
    {
        return descriptorPublishing != null && descriptorPublishing.goesAsMemfd(length);
    }

    /** @return the descriptor publishes, for a call that needs descriptors. */
    private DescriptorPublishing descriptors()
    {
        if (descriptorPublishing == null)
        {
            throw new IllegalStateException("this BusClient passes no descriptors: " +
                (NativeDescriptors.unavailable() != null ? NativeDescriptors.unavailable() :
                    "ClientOptions.descriptors(false)"));
        }
        return descriptorPublishing;
    }

    private void checkSyncDeadline(final long deadline, final Duration timeout)
    {
        connection.checkOpen();
        if (System.nanoTime() - deadline >= 0)
        {
            throw new BusException("sync timed out after " + timeout.toMillis() + " ms: no PONG from the seqbus broker at " +
                connection.socket() + (connection.state() == Connection.CONNECTED ? "" : " (not connected)"));
        }
    }

    // Requests and replies (issue 19, SPEC.md "Requests and replies"): sent by Requesting.

    /**
     * Sends a request: a message the broker delivers to every subscriber of the topic whose rules let it reply,
     * and whose first reply comes back to this client only (nobody else can receive it, whatever they subscribe
     * to). The future completes with the reply, a {@link Message} the caller owns (a copy: its topic is the
     * request's, {@link Message#replierUid()} and {@link Message#replierPid()} say who answered, as the kernel
     * told the broker), or fails with {@link NoRespondersException} (nothing subscribes: at once),
     * {@link RespondersGoneException} (every recipient went away: as soon as the broker sees it),
     * {@link java.util.concurrent.TimeoutException} (this client's timer; the broker's own as a backstop),
     * {@link AccessDeniedException} (the rules' {@code request} verb), or a {@link BusException} (the connection was
     * lost first, too many requests pending, or the client closed).
     *
     * <p>The future is never completed on the client's thread when something is chained to it: see
     * {@link ClientOptions#requestExecutor(java.util.concurrent.Executor)}. Waiting in {@code get()} is fine from
     * any thread but a handler's (the reply would never be read).
     *
     * @param topic   a topic, no wildcards.
     * @param payload the request's payload.
     * @param timeout how long to wait for the reply.
     * @return the reply, to come.
     * @throws IllegalArgumentException for a bad topic or a payload over the broker's max_payload.
     * @throws IllegalStateException    when the client is closed.
     * @throws BusException             when the broker predates request/reply (no SERVICES in its WELCOME).
     */
    public CompletableFuture<Message> request(final String topic, final byte[] payload, final Duration timeout)
    {
        Objects.requireNonNull(payload, "payload");
        return requesting.request(topic, null, payload, 0, payload.length, null, timeout);
    }

    /**
     * Sends a request with headers beside its payload (SPEC.md, "Headers"): the replier reads them with
     * {@link Message#headers()}, and the reply's own headers come back on the reply message. Otherwise as
     * {@link #request(String, byte[], Duration)}; {@link Headers#EMPTY} requests as without.
     *
     * @param topic   a topic, no wildcards.
     * @param payload the request's payload.
     * @param headers beside it.
     * @param timeout how long to wait for the reply.
     * @return the reply, to come.
     * @throws IllegalArgumentException for headers over the broker's max_header_bytes or max_headers.
     */
    public CompletableFuture<Message> request(
        final String topic, final byte[] payload, final Headers headers, final Duration timeout)
    {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(headers, "headers");
        return requesting.request(topic, null, payload, 0, payload.length, headers, timeout);
    }

    /**
     * Sends a request with headers whose payload is the buffer's remaining bytes (its position is not changed); see
     * {@link #request(String, byte[], Headers, Duration)}.
     *
     * @param topic   a topic, no wildcards.
     * @param payload the payload, from its position to its limit.
     * @param headers beside it.
     * @param timeout how long to wait for the reply.
     * @return the reply, to come.
     */
    public CompletableFuture<Message> request(
        final String topic, final ByteBuffer payload, final Headers headers, final Duration timeout)
    {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(headers, "headers");
        return requesting.requestFrom(topic, payload, headers, timeout);
    }

    /**
     * Sends a request whose payload is the buffer's remaining bytes (its position is not changed); see
     * {@link #request(String, byte[], Duration)}.
     *
     * @param topic   a topic, no wildcards.
     * @param payload the payload, from its position to its limit.
     * @param timeout how long to wait for the reply.
     * @return the reply, to come.
     */
    public CompletableFuture<Message> request(final String topic, final ByteBuffer payload, final Duration timeout)
    {
        Objects.requireNonNull(payload, "payload");
        return requesting.requestFrom(topic, payload, null, timeout);
    }

    /**
     * Answers a request by its token ({@link Message#replyToken()}), for a reply made after the handler returned;
     * during the handler {@link Message#reply(byte[])} is the same. A token of a request that was answered, timed
     * out, or never delivered to this client is dropped by the broker (counted there), without a word back.
     *
     * @param replyToken from the request.
     * @param payload    the reply.
     * @throws BusException when the connection the request came on is gone (the broker would drop the reply), or
     *                      the broker does not read within {@link ClientOptions#publishTimeout()}.
     */
    public void reply(final long replyToken, final byte[] payload)
    {
        Objects.requireNonNull(payload, "payload");
        requesting.reply(replyToken, null, payload, 0, payload.length, null);
    }

    /**
     * Answers a request by its token with headers beside the reply (SPEC.md, "Headers"), which the requester reads
     * with {@link Message#headers()} on the reply; see {@link #reply(long, byte[])}.
     *
     * @param replyToken from the request.
     * @param payload    the reply.
     * @param headers    beside it; {@link Headers#EMPTY} replies as without.
     * @throws IllegalArgumentException for headers over the broker's max_header_bytes or max_headers.
     */
    public void reply(final long replyToken, final byte[] payload, final Headers headers)
    {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(headers, "headers");
        requesting.reply(replyToken, null, payload, 0, payload.length, headers);
    }

    /**
     * Answers a request by its token with the buffer's remaining bytes (its position is not changed); see
     * {@link #reply(long, byte[])}.
     *
     * @param replyToken from the request.
     * @param payload    the reply, from its position to its limit.
     */
    public void reply(final long replyToken, final ByteBuffer payload)
    {
        Objects.requireNonNull(payload, "payload");
        requesting.replyFrom(replyToken, payload, null);
    }

    /**
     * Answers a request by its token with the buffer's remaining bytes (its position is not changed) and headers
     * beside them; see {@link #reply(long, byte[], Headers)}.
     *
     * @param replyToken from the request.
     * @param payload    the reply, from its position to its limit.
     * @param headers    beside it; {@link Headers#EMPTY} replies as without.
     * @throws IllegalArgumentException for headers over the broker's max_header_bytes or max_headers.
     */
    public void reply(final long replyToken, final ByteBuffer payload, final Headers headers)
    {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(headers, "headers");
        requesting.replyFrom(replyToken, payload, headers);
    }
}

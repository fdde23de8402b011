package io.seqbus.client;

import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.ResponseFrame;
import org.agrona.DirectBuffer;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A delivered message: a reusable view of one DELIVER frame in the client's receive buffer.
 * It is valid only during the {@link MessageHandler#onMessage} call it is passed to; nothing
 * is copied or allocated unless a method says so. The exception: a subscription with an
 * {@link SubscriptionOptions#executor executor}, or a pull one ({@link Subscription#next}), gets a copy of each
 * message that is the application's to keep (see {@link SubscriptionOptions#executor}).
 *
 * <h2>Memfd payloads and descriptors</h2>
 * A message published with a payload above the publisher's threshold, or from a {@link Loan}, arrives as a sealed
 * memfd ({@link #isMemfdPayload()}): {@link #payloadBuffer()}, {@link #payload()} and the other payload methods read
 * it in place through a read-only mapping (no copy, whatever its size; nobody, the publisher included, can change
 * those bytes). When the handler returns, the client replaces the mapping with zeros and closes the descriptor,
 * unless the handler called {@link #keepPayload()}: a buffer kept past the handler then reads zeros, it never
 * crashes. Descriptors the publisher attached ({@link BusClient#publish(String, ByteBuffer, FileDescriptor...)})
 * are closed when the handler returns unless it called {@link #takeDescriptors()}; with an executor they go with the
 * copy, and the rule holds for the handler on the executor.
 */
public final class Message
{
    private final DeliverFrame frame = new DeliverFrame();

    private Subscription subscription;
    private DirectBuffer buffer;
    private int subscriptionId;
    private int sourceNode;
    private long publisherId;
    private long sequence;
    private long timestampNs;
    private int publisherUid;
    private int publisherPid;
    private int topicIndex;
    private int topicLength;
    private int payloadIndex;
    private int payloadLength;
    // The header block (SPEC.md, "Headers"): its offset in buffer, and 0 when the frame had no HEADERS flag; the
    // payload fields above exclude it. headers() decodes it at most once per message.
    private int headerIndex;
    private int headerLength;
    private boolean runHasHeaders;
    private Headers headers;
    // payloadBuffer()'s view, made again only when the receive buffer changes.
    private ByteBuffer payloadView;
    private ByteBuffer viewSource;
    // A DELIVER_FDS: its memfd payload (null for an inline one), and its other descriptors in fds[from, from + count).
    private MappedPayload mapped;
    private boolean kept;
    private int[] fds;
    private int fdsFrom;
    private int fdCount;
    private boolean taken;
    // The budget the descriptors are counted in, for a copy that closes them off the I/O thread.
    private FdBudget fdBudget;
    // A DELIVER_REQUEST (issue 19): the token a reply names, and the client that sends it.
    private boolean request;
    private long replyToken;
    private BusClient replyVia;
    // A reply (a RESPONSE's copy): who answered.
    private boolean replied;

    Message()
    {
    }

    Message wrap(final DirectBuffer buffer, final int offset, final Subscription subscription)
    {
        noDescriptors();
        request = false;
        frame.wrap(buffer, offset);
        this.subscription = subscription;
        this.buffer = buffer;
        this.subscriptionId = frame.subscriptionId();
        this.sourceNode = frame.sourceNode();
        this.publisherId = frame.publisherId();
        this.sequence = frame.sequence();
        this.timestampNs = frame.timestampNs();
        this.publisherUid = frame.publisherUid();
        this.publisherPid = frame.publisherPid();
        this.topicIndex = frame.topicIndex();
        this.topicLength = frame.topicLength();
        this.payloadIndex = frame.payloadIndex();
        this.payloadLength = frame.payloadLength();
        headerBlock((buffer.getByte(offset + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) != 0);
        return this;
    }

    // Moves the payload past a header block at its start (framing checked it fits), or records there is none.
    private void headerBlock(final boolean present)
    {
        headers = null;
        if (!present)
        {
            headerLength = 0;
            return;
        }
        headerIndex = payloadIndex;
        headerLength = HeaderBlock.blockLength(buffer, payloadIndex);
        payloadIndex += headerLength;
        payloadLength -= headerLength;
    }

    /** Points at the header of a DELIVER_RUN; {@link #entry} then moves along its messages. */
    Message wrapRun(final DirectBuffer buffer, final DeliverRunFrame run, final Subscription subscription)
    {
        noDescriptors();
        request = false;
        this.subscription = subscription;
        this.buffer = buffer;
        this.subscriptionId = run.subscriptionId();
        this.sourceNode = run.sourceNode();
        this.publisherId = run.publisherId();
        this.timestampNs = run.timestampNs();
        this.publisherUid = run.publisherUid();
        this.publisherPid = run.publisherPid();
        this.topicIndex = run.topicIndex();
        this.topicLength = run.topicLength();
        this.runHasHeaders = (buffer.getByte(run.offset() + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) != 0;
        return this;
    }

    /**
     * A DELIVER_FDS: its memfd payload, already mapped (or null), and the other descriptors it owns, which stay the
     * client's until {@link #takeDescriptors()} or {@link #release}.
     */
    Message wrapFds(
        final DirectBuffer buffer, final DeliverFdsFrame fdsFrame, final Subscription subscription,
        final MappedPayload mappedPayload, final int[] descriptors, final int from, final int count,
        final FdBudget budget)
    {
        request = false;
        this.subscription = subscription;
        this.buffer = buffer;
        this.subscriptionId = fdsFrame.subscriptionId();
        this.sourceNode = fdsFrame.sourceNode();
        this.publisherId = fdsFrame.publisherId();
        this.sequence = fdsFrame.sequence();
        this.timestampNs = fdsFrame.timestampNs();
        this.publisherUid = fdsFrame.publisherUid();
        this.publisherPid = fdsFrame.publisherPid();
        this.topicIndex = fdsFrame.topicIndex();
        this.topicLength = fdsFrame.topicLength();
        final boolean hasHeaders =
            (buffer.getByte(fdsFrame.offset() + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) != 0;
        this.payloadIndex = fdsFrame.payloadIndex();
        this.payloadLength = fdsFrame.payloadLength();
        headerBlock(hasHeaders);
        if (mappedPayload != null)
        {
            // The memfd is the payload; the inline part, if any, was the header block alone.
            this.payloadIndex = 0;
            this.payloadLength = mappedPayload.size();
        }
        this.mapped = mappedPayload;
        this.kept = false;
        this.fds = descriptors;
        this.fdsFrom = from;
        this.fdCount = count;
        this.taken = false;
        this.fdBudget = budget;
        return this;
    }

    /**
     * After the handler of a DELIVER_FDS: lets the payload go unless kept, closes the descriptors not taken.
     *
     * @return descriptors closed now.
     */
    int release()
    {
        int closed = 0;
        if (mapped != null && !kept)
        {
            mapped.letGo(); // tells the budget itself
        }
        if (fdCount > 0 && !taken)
        {
            Fds.close(fds, fdsFrom, fdCount);
            closed = fdCount;
        }
        noDescriptors();
        return closed;
    }

    private void noDescriptors()
    {
        mapped = null;
        kept = false;
        fds = null;
        fdCount = 0;
        taken = false;
        fdBudget = null;
    }

    /**
     * @return true when the payload is a sealed memfd mapped read-only (see the class comment), false for a payload
     * that came inline in the datagram.
     */
    public boolean isMemfdPayload()
    {
        return mapped != null;
    }

    /**
     * Keeps the payload past the handler: for a memfd payload the returned {@link Payload} owns the mapping and the
     * descriptor (no copy) and must be closed; for an inline payload it holds a copy. Call it during the handler.
     *
     * @return the payload, to close when done.
     * @throws IllegalStateException when this memfd payload was kept already.
     */
    public Payload keepPayload()
    {
        if (mapped != null)
        {
            if (kept)
            {
                throw new IllegalStateException("this message's payload was kept already");
            }
            kept = true;
            return new Payload(mapped);
        }
        final ByteBuffer copy = ByteBuffer.allocate(payloadLength);
        buffer.getBytes(payloadIndex, copy, payloadLength);
        return new Payload(copy.flip().asReadOnlyBuffer());
    }

    /**
     * Takes the descriptors the publisher attached (besides a memfd payload), in its order: the caller owns them from
     * now on and closes them (e.g. {@code new FileInputStream(fd).close()}); otherwise the client closes them when the
     * handler returns. Call it during the handler.
     *
     * @return the descriptors; empty when there are none or they were taken already.
     */
    public FileDescriptor[] takeDescriptors()
    {
        if (fdCount == 0 || taken)
        {
            return new FileDescriptor[0];
        }
        final FileDescriptor[] taken = new FileDescriptor[fdCount];
        for (int i = 0; i < fdCount; i++)
        {
            taken[i] = Fds.descriptor(fds[fdsFrom + i]);
        }
        this.taken = true;
        return taken;
    }

    /**
     * @return how many descriptors the publisher attached besides a memfd payload (0 for most messages).
     */
    public int descriptorCount()
    {
        return fdCount;
    }

    /**
     * For a subscription with an executor or in pull mode: a copy the application owns, valid for as long as it is
     * kept. Topic and payload (a memfd payload too) are copied into one array of the copy's own. Allocates: the
     * message, its array and buffers.
     *
     * @param withDescriptors true (executor mode): descriptors the publisher attached move to the copy, whose handler
     *                        may {@link #takeDescriptors() take} them; {@link #releaseCopy()} closes the rest. False
     *                        (pull mode): they stay here and are closed as for a handler that did not take them.
     */
    Message copy(final boolean withDescriptors)
    {
        final Message copy = new Message();
        // Topic, then the header block (if any), then the payload.
        final byte[] bytes = new byte[topicLength + headerLength + payloadLength];
        buffer.getBytes(topicIndex, bytes, 0, topicLength);
        if (headerLength != 0)
        {
            buffer.getBytes(headerIndex, bytes, topicLength, headerLength);
        }
        payload().getBytes(payloadIndex, bytes, topicLength + headerLength, payloadLength);
        // SafeBuffer, not Agrona's UnsafeBuffer: a service's JVM runs without --add-exports (PlainJvmClientTest).
        copy.buffer = new io.seqbus.wire.SafeBuffer(bytes);
        copy.subscription = subscription;
        copy.subscriptionId = subscriptionId;
        copy.sourceNode = sourceNode;
        copy.publisherId = publisherId;
        copy.sequence = sequence;
        copy.timestampNs = timestampNs;
        copy.publisherUid = publisherUid;
        copy.publisherPid = publisherPid;
        copy.topicIndex = 0;
        copy.topicLength = topicLength;
        copy.headerIndex = headerLength == 0 ? 0 : topicLength;
        copy.headerLength = headerLength;
        copy.headers = headers; // immutable: shared
        // A request stays answerable from the copy (executor and pull modes), through the same client.
        copy.request = request;
        copy.replyToken = replyToken;
        copy.replyVia = replyVia;
        copy.replied = replied;
        copy.payloadIndex = topicLength + headerLength;
        copy.payloadLength = payloadLength;
        if (withDescriptors && fdCount > 0 && !taken)
        {
            copy.fds = java.util.Arrays.copyOfRange(fds, fdsFrom, fdsFrom + fdCount);
            copy.fdCount = fdCount;
            copy.fdBudget = fdBudget;
            taken = true; // the copy's now: this message's release() leaves them open
        }
        return copy;
    }

    /**
     * After the executor's handler of a copy, or when a copy is dropped or was still queued at close: closes the
     * descriptors it carried that the handler did not take, and tells the budget (any thread may).
     */
    void releaseCopy()
    {
        if (fdCount > 0 && !taken)
        {
            Fds.close(fds, 0, fdCount);
            fdBudget.closed(fdCount);
        }
        fds = null;
        fdCount = 0;
        taken = false;
    }

    /** One message of the run last given to {@link #wrapRun}. */
    Message entry(final long sequence, final int payloadIndex, final int payloadLength)
    {
        this.sequence = sequence;
        this.payloadIndex = payloadIndex;
        this.payloadLength = payloadLength;
        headerBlock(runHasHeaders);
        return this;
    }

    /**
     * The message's headers (SPEC.md, "Headers"), as the publisher gave them. Without headers this is
     * {@link Headers#EMPTY} and costs nothing; with them the block is decoded on the first call (one allocation of
     * the values), and {@link #payload()} never includes it. Like the rest of the view, valid during the handler;
     * the returned {@link Headers} itself is a copy and may be kept.
     *
     * @return the headers; empty when the message has none.
     */
    public Headers headers()
    {
        if (headerLength == 0)
        {
            return Headers.EMPTY;
        }
        if (headers == null)
        {
            headers = Headers.decode(buffer, headerIndex);
        }
        return headers;
    }

    /** @return true when the message carries a header block (possibly an empty one). */
    public boolean hasHeaders()
    {
        return headerLength != 0;
    }

    /**
     * @return the subscription this delivery is for.
     */
    public Subscription subscription()
    {
        return subscription;
    }

    /**
     * @return the id of the subscription this delivery is for.
     */
    public int subscriptionId()
    {
        return subscriptionId;
    }

    /**
     * @return the topic (allocates a String).
     */
    public String topic()
    {
        return buffer.getStringWithoutLengthUtf8(topicIndex, topicLength);
    }

    /**
     * @return the buffer holding the topic and the inline payload (a memfd payload is in {@link #payload()}), for
     * Agrona users (zero copy); see
     * {@link #payloadBuffer()} for the same without Agrona.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return index of the first topic byte in {@link #buffer()}.
     */
    public int topicIndex()
    {
        return topicIndex;
    }

    /**
     * @return bytes of the topic (UTF-8).
     */
    public int topicLength()
    {
        return topicLength;
    }

    /**
     * The payload in place, as a read-only {@link ByteBuffer} whose position is the first payload byte and whose
     * limit is its end. Zero copy and no allocation: the same view serves every message, so it is valid only
     * during the handler's call and must not be kept (copy it, or use {@link #payloadAsBytes()}).
     *
     * @return the payload's view.
     */
    public ByteBuffer payloadBuffer()
    {
        if (mapped != null)
        {
            return mapped.buffer();
        }
        final ByteBuffer source = buffer.byteBuffer();
        final int base = buffer.wrapAdjustment();
        if (source == null)
        {
            // A buffer over a byte[] (tests wrap frames that way): that array, in place.
            return ByteBuffer.wrap(buffer.byteArray(), base + payloadIndex, payloadLength).asReadOnlyBuffer();
        }
        if (payloadView == null || viewSource != source)
        {
            payloadView = source.asReadOnlyBuffer();
            viewSource = source;
        }
        payloadView.clear();
        payloadView.position(base + payloadIndex).limit(base + payloadIndex + payloadLength);
        return payloadView;
    }

    /**
     * @return the buffer holding the payload (the same as {@link #buffer()}, except for a memfd payload, which has
     * a buffer of its own over the mapping, from index 0), for Agrona users (zero copy); see {@link #payloadBuffer()}
     * for the same without Agrona.
     */
    public DirectBuffer payload()
    {
        return mapped != null ? mapped.directBuffer() : buffer;
    }

    /**
     * @return index of the first payload byte in {@link #payload()}.
     */
    public int payloadIndex()
    {
        return payloadIndex;
    }

    /**
     * @return bytes of the payload.
     */
    public int payloadLength()
    {
        return payloadLength;
    }

    /**
     * @return the payload decoded as UTF-8 (allocates).
     */
    public String payloadAsString()
    {
        return payload().getStringWithoutLengthUtf8(payloadIndex, payloadLength);
    }

    /**
     * @return a copy of the payload (allocates).
     */
    public byte[] payloadAsBytes()
    {
        final byte[] bytes = new byte[payloadLength];
        payload().getBytes(payloadIndex, bytes);
        return bytes;
    }

    /**
     * @return node id of the broker the publisher is attached to.
     */
    public int sourceNode()
    {
        return sourceNode;
    }

    /**
     * @return the publisher's id, unique on its node.
     */
    public long publisherId()
    {
        return publisherId;
    }

    /**
     * @return the per-publisher sequence, from 1.
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return the source broker's clock when it received the message, ns since the Unix epoch.
     */
    public long timestampNs()
    {
        return timestampNs;
    }

    /**
     * @return the publisher's uid, as the kernel reported it.
     */
    public int publisherUid()
    {
        return publisherUid;
    }

    /**
     * @return the publisher's pid, as the kernel reported it.
     */
    public int publisherPid()
    {
        return publisherPid;
    }

    // Requests and replies (issue 19).

    /** Points at a DELIVER_REQUEST: a message its subscriber may {@link #reply} to. */
    Message wrapRequest(
        final DirectBuffer buffer, final DeliverRequestFrame f, final Subscription subscription, final BusClient via)
    {
        noDescriptors();
        this.subscription = subscription;
        this.buffer = buffer;
        this.subscriptionId = f.subscriptionId();
        this.sourceNode = f.sourceNode();
        this.publisherId = f.publisherId();
        this.sequence = f.sequence();
        this.timestampNs = f.timestampNs();
        this.publisherUid = f.publisherUid();
        this.publisherPid = f.publisherPid();
        this.topicIndex = f.topicIndex();
        this.topicLength = f.topicLength();
        this.payloadIndex = f.payloadIndex();
        this.payloadLength = f.payloadLength();
        headerBlock((buffer.getByte(f.offset() + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) != 0);
        this.request = true;
        this.replyToken = f.replyToken();
        this.replyVia = via;
        return this;
    }

    /**
     * The reply a RESPONSE carried, as a message of its own (a copy the caller owns): its topic is the request's, its
     * publisher the replier.
     */
    static Message reply(final ResponseFrame f, final DirectBuffer buffer, final byte[] topic)
    {
        final byte[] bytes = new byte[topic.length + f.payloadLength()];
        System.arraycopy(topic, 0, bytes, 0, topic.length);
        buffer.getBytes(f.payloadIndex(), bytes, topic.length, f.payloadLength());
        final Message m = new Message();
        // SafeBuffer, not Agrona's UnsafeBuffer: a service's JVM runs without --add-exports (PlainJvmClientTest).
        m.buffer = new io.seqbus.wire.SafeBuffer(bytes);
        m.sourceNode = f.replierNode();
        m.timestampNs = f.timestampNs();
        m.publisherUid = f.replierUid();
        m.publisherPid = f.replierPid();
        m.topicIndex = 0;
        m.topicLength = topic.length;
        m.payloadIndex = topic.length;
        m.payloadLength = f.payloadLength();
        // With HEADERS the reply's block opens the payload: the message keeps it apart, as a delivery does.
        m.headerBlock((buffer.getByte(f.offset() + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS) != 0);
        m.replied = true;
        return m;
    }

    /**
     * @return true when this message is a request (it came from {@link BusClient#request}): {@link #reply} answers it.
     */
    public boolean isRequest()
    {
        return request;
    }

    /**
     * @return the token a reply to this request names (see {@link BusClient#reply(long, byte[])}, to answer after the
     * handler returned); 0 when this is not a request.
     */
    public long replyToken()
    {
        return request ? replyToken : 0;
    }

    /**
     * Answers this request: the broker sends the reply to the requester and nobody else, and only the first reply
     * of all its recipients counts. Call it during the handler, from any thread (the reply goes out through the
     * client's normal outbound path); later, use {@link BusClient#reply(long, byte[])} with {@link #replyToken()}.
     *
     * @param payload the reply.
     * @throws IllegalStateException when this message is not a request.
     */
    public void reply(final byte[] payload)
    {
        checkRequest().reply(replyToken, payload);
    }

    /**
     * Answers this request with the buffer's remaining bytes (its position is not changed); see
     * {@link #reply(byte[])}.
     *
     * @param payload the reply, from its position to its limit.
     * @throws IllegalStateException when this message is not a request.
     */
    public void reply(final ByteBuffer payload)
    {
        checkRequest().reply(replyToken, payload);
    }

    /**
     * Answers this request with headers beside the reply (SPEC.md, "Headers"), which the requester reads with
     * {@link #headers()} on the reply; see {@link #reply(byte[])}.
     *
     * @param payload the reply.
     * @param headers beside it; {@link Headers#EMPTY} replies as without.
     * @throws IllegalStateException when this message is not a request.
     */
    public void reply(final byte[] payload, final Headers headers)
    {
        checkRequest().reply(replyToken, payload, headers);
    }

    /**
     * Answers this request with the buffer's remaining bytes (its position is not changed) and headers beside them;
     * see {@link #reply(byte[], Headers)}.
     *
     * @param payload the reply, from its position to its limit.
     * @param headers beside it; {@link Headers#EMPTY} replies as without.
     * @throws IllegalStateException when this message is not a request.
     */
    public void reply(final ByteBuffer payload, final Headers headers)
    {
        checkRequest().reply(replyToken, payload, headers);
    }

    private BusClient checkRequest()
    {
        if (!request)
        {
            throw new IllegalStateException("reply() to a message that is not a request (isRequest() is false)");
        }
        return replyVia;
    }

    /**
     * @return the replier's uid, as the kernel reported it to the broker, on a reply {@link BusClient#request}
     * completed with; -1 on other messages.
     */
    public int replierUid()
    {
        return replied ? publisherUid : -1;
    }

    /**
     * @return the replier's pid, as the kernel reported it to the broker, on a reply {@link BusClient#request}
     * completed with; -1 on other messages.
     */
    public int replierPid()
    {
        return replied ? publisherPid : -1;
    }

    /**
     * @return the fields and the payload as text, for debugging (allocates).
     */
    public String toString()
    {
        return "Message{sub=" + subscriptionId() + ", topic=" + topic() + ", node=" + sourceNode() +
            ", publisher=" + publisherId() + ", seq=" + sequence() + ", payload=" +
            new String(payloadAsBytes(), StandardCharsets.UTF_8) + "}";
    }
}

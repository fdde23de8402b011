package io.seqbus.broker.fanout;

import io.seqbus.broker.quota.UidAccount;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * Everything queued for one {@link Subscriber}, packed into datagrams of at most the datagram limit.
 *
 * <p>Frames are appended to the open tail datagram; when a frame does not fit, the tail is
 * sealed and a new one opened. {@link #flush} hands sealed datagrams and then the tail to the
 * kernel, one {@code send} each, until the kernel's queue for that client is full. A tail the
 * kernel refuses stays open, so frames keep piling into it: under load, batches grow by
 * themselves; with no load, each flush sends what one duty cycle produced.
 */
final class Outbox
{
    /** Flush result: nothing is left queued. */
    static final int DRAINED = 0;
    /** Flush result: the kernel's queue is full; wait until the socket is writable. */
    static final int BLOCKED = 1;
    /**
     * Flush result: a datagram's descriptors may not go now (max_descriptors_in_flight, or the kernel's
     * ETOOMANYREFS); no EPOLLOUT will say when, so the subscriber is tried again each duty cycle.
     */
    static final int WAITING = 2;

    private final DatagramPool pool;
    private final UidAccount account;
    private final OldestDropper dropper;
    private final DescriptorLoad load;
    private final ArrayDeque<Datagram> sealed = new ArrayDeque<>();
    private Datagram tail;
    // Frame bytes, in the pool's buffers: charged to the pool and the uid.
    private long frameBytes;
    // Memfd payload bytes of the queued DELIVER_FDS frames: the publisher's memory, charged to this queue's bound
    // and the descriptor bounds only.
    private long descriptorBytes;
    private long accountedBytes;
    // Descriptors and their payload bytes handed to the kernel since the subscriber last asked.
    private int sentDescriptors;
    private long sentDescriptorBytes;
    private int writeOffset;
    // Bumped by every change; a DELIVER_RUN may grow only while nothing else touched the outbox.
    private long version;

    /**
     * @param pool    where datagram buffers come from and go back to.
     * @param account the uid every queued frame byte is charged to.
     * @param load    where descriptor bytes are counted over all subscribers.
     */
    Outbox(final DatagramPool pool, final UidAccount account, final DescriptorLoad load)
    {
        this.pool = pool;
        this.account = account;
        this.dropper = pool.dropper();
        this.load = load;
    }

    private void charge(final long bytes)
    {
        frameBytes += bytes;
        pool.queued(bytes);
    }

    private void chargeDescriptors(final long bytes)
    {
        descriptorBytes += bytes;
        load.bytes(bytes);
    }

    /**
     * Brings the uid's account up to date with this queue. Done once per duty cycle for every
     * outbox touched, not per delivery: a running sum per delivery cost 16-subscriber throughput
     * about a tenth. The uid's bound may so lag by one cycle's deliveries; the memory bound of
     * all queues, checked per delivery, still holds.
     */
    void settle()
    {
        account.queued(frameBytes - accountedBytes);
        accountedBytes = frameBytes;
    }

    /**
     * Makes room for a frame.
     *
     * @param length of the frame, at most the datagram size.
     * @return the buffer to write the frame into, at {@link #writeOffset()}.
     */
    MutableDirectBuffer reserve(final int length)
    {
        version++;
        if (tail == null)
        {
            tail = pool.acquire(length);
        }
        else if (tail.length + length > tail.capacity())
        {
            sealed.addLast(tail);
            tail = pool.acquire(length);
        }
        writeOffset = tail.length;
        return tail.buffer;
    }

    /**
     * Makes room for a DELIVER_FDS frame: as {@link #reserve}, and the open datagram is sealed first when its
     * descriptors and the frame's would pass the bound of one datagram (the subscriber's control buffer).
     *
     * @param length         of the frame.
     * @param fdCount        descriptors the frame owns.
     * @param maxPerDatagram max_descriptors_per_datagram.
     * @return the buffer to write the frame into, at {@link #writeOffset()}.
     */
    MutableDirectBuffer reserveWithDescriptors(final int length, final int fdCount, final int maxPerDatagram)
    {
        if (tail != null && tail.fdCount + fdCount > maxPerDatagram)
        {
            sealed.addLast(tail);
            tail = null;
        }
        return reserve(length);
    }

    /**
     * Counts the DELIVER_FDS frame just written and takes a reference to its descriptors.
     *
     * @param length of the frame.
     * @param held   its descriptors.
     */
    void commitWithDescriptors(final int length, final SharedDescriptors held)
    {
        tail.hold(held);
        chargeDescriptors(held.payloadBytes());
        commit(length);
    }

    /**
     * Ends the open datagram: the next frame starts a new one.
     */
    void seal()
    {
        if (tail != null)
        {
            sealed.addLast(tail);
            tail = null;
            version++;
        }
    }

    /**
     * @return where in the buffer from {@link #reserve} the frame goes.
     */
    int writeOffset()
    {
        return writeOffset;
    }

    /**
     * Counts the frame just written into the reserved room.
     *
     * @param length of the frame.
     */
    void commit(final int length)
    {
        tail.length += length;
        charge(length);
        version++;
    }

    /**
     * @return a number that changes whenever anything is appended, sent, dropped or cleared.
     */
    long version()
    {
        return version;
    }

    /**
     * @param bytes to add to the last frame.
     * @return true if the open datagram has room for them.
     */
    boolean tailHasRoom(final int bytes)
    {
        return tail != null && tail.length + bytes <= tail.capacity();
    }

    /**
     * @return the open datagram's buffer, where the last frame was written.
     */
    MutableDirectBuffer tailBuffer()
    {
        return tail.buffer;
    }

    /**
     * Counts bytes by which the last frame of the open datagram grew.
     *
     * @param bytes added.
     */
    void grew(final int bytes)
    {
        tail.length += bytes;
        charge(bytes);
        version++;
    }

    /**
     * @return bytes waiting for the kernel: frames, and the memfd payloads their descriptors stand for.
     */
    long queuedBytes()
    {
        return frameBytes + descriptorBytes;
    }

    /**
     * @return bytes of the queued frames alone: what the queue costs the broker's memory.
     */
    long frameBytes()
    {
        return frameBytes;
    }

    /**
     * @return payload bytes of the descriptor messages queued (part of {@link #queuedBytes()}).
     */
    long descriptorBytes()
    {
        return descriptorBytes;
    }

    /**
     * @return descriptors handed to the kernel since the last call; the count starts again.
     */
    int takeSentDescriptors()
    {
        final int n = sentDescriptors;
        sentDescriptors = 0;
        return n;
    }

    /**
     * @return payload bytes of the descriptors handed to the kernel since the last call; starts again.
     */
    long takeSentDescriptorBytes()
    {
        final long n = sentDescriptorBytes;
        sentDescriptorBytes = 0;
        return n;
    }

    /**
     * @return true when nothing waits.
     */
    boolean isEmpty()
    {
        return frameBytes == 0;
    }

    /**
     * Sends what is queued, oldest first, until done or the kernel's queue is full.
     *
     * @param transport how the datagrams reach the client.
     * @param counter   counts datagrams and bytes written.
     * @param transport      how the datagrams reach the client.
     * @param counter        counts datagrams and bytes written.
     * @return {@link #DRAINED}, {@link #BLOCKED} or {@link #WAITING}.
     * @throws IOException if the client is gone.
     */
    int flush(final Transport transport, final WriteCounter counter) throws IOException
    {
        version++;
        Datagram d;
        while ((d = sealed.peekFirst()) != null)
        {
            final int sent = send(transport, d, counter);
            if (sent != DRAINED)
            {
                return sent;
            }
            sealed.pollFirst();
            pool.release(d);
        }
        if (tail != null && tail.length > 0)
        {
            final int sent = send(transport, tail, counter);
            if (sent != DRAINED)
            {
                return sent;
            }
            pool.release(tail);
            tail = null;
        }
        return DRAINED;
    }

    // Sends the kernel refused with ETOOMANYREFS since the subscriber last asked.
    private int tooManyRefs;

    /** @return sends the kernel refused with ETOOMANYREFS since the last call; the count starts again. */
    int takeTooManyRefs()
    {
        final int n = tooManyRefs;
        tooManyRefs = 0;
        return n;
    }

    private int send(final Transport transport, final Datagram d, final WriteCounter counter) throws IOException
    {
        final int length = d.length;
        final int fdCount = d.fdCount;
        // Sent since the subscriber last took the count are in flight too, not yet in the load's.
        if (fdCount > 0 && !load.mayPutInFlight(sentDescriptors, fdCount))
        {
            return WAITING;
        }
        final int[] fds = pool.descriptorScratch();
        final int n = transport.send(d.readyToSend(), fds, fdCount == 0 ? 0 : d.gatherDescriptors(fds));
        if (n == 0)
        {
            return BLOCKED;
        }
        if (n == Transport.TOO_MANY_REFS)
        {
            tooManyRefs++;
            return WAITING;
        }
        charge(-length);
        counter.onDatagramWritten(length);
        if (fdCount > 0)
        {
            sentDescriptors += fdCount;
            sentDescriptorBytes += d.descriptorBytes;
            // Queued becomes unread: the bytes stay charged to the load, as the subscriber's unread bytes.
            descriptorBytes -= d.descriptorBytes;
            load.bytes(-d.descriptorBytes);
            // The kernel holds its own copies now; the broker's go once every subscriber's socket has its own.
            d.releaseHolders();
        }
        return DRAINED;
    }

    /**
     * Frees room under the drop-oldest policy: compacts queued datagrams, oldest first, removing
     * the DELIVER frames the policy allows to go (each subscription's first removed frame in a
     * datagram becomes a GAP), until at least {@code wanted} bytes are free or nothing more may go.
     * Whole datagrams are compacted at once, so under steady overload this runs once per datagram
     * of messages, not once per message.
     *
     * @param wanted bytes to free.
     * @param policy which frames may go.
     * @return bytes freed.
     */
    long dropOldest(final long wanted, final OldestDropper.Policy policy)
    {
        version++;
        long freed = 0;
        long freedFrames = 0;
        long freedDescriptors = 0;
        for (final Datagram d : sealed)
        {
            freedFrames += dropper.compact(d, policy);
            freedDescriptors += dropper.descriptorBytesFreed();
            if (freedFrames + freedDescriptors >= wanted)
            {
                break;
            }
        }
        if (freedFrames + freedDescriptors < wanted && tail != null)
        {
            freedFrames += dropper.compact(tail, policy);
            freedDescriptors += dropper.descriptorBytesFreed();
        }
        charge(-freedFrames);
        chargeDescriptors(-freedDescriptors);
        return freedFrames + freedDescriptors;
    }

    /**
     * Counts the messages queued, by walking every frame: for an eviction's ERROR, which says how many it discards
     * (SPEC.md, "Slow consumers"). Rare, so a walk rather than a count kept per delivery.
     *
     * @return messages in the queued DELIVER and DELIVER_RUN frames.
     */
    long queuedMessages()
    {
        long messages = 0;
        for (final Datagram d : sealed)
        {
            messages += messagesIn(d);
        }
        return tail == null ? messages : messages + messagesIn(tail);
    }

    /**
     * @return descriptor messages queued (each holds one of the pool's holders); a walk, for the rare eviction
     * that picks who holds the most.
     */
    int queuedDescriptorMessages()
    {
        int messages = tail == null ? 0 : tail.holderCount;
        for (final Datagram d : sealed)
        {
            messages += d.holderCount;
        }
        return messages;
    }

    /** Told each queued delivery frame's subscription and messages, by {@link #queuedDeliveries}. */
    interface DeliveryVisitor
    {
        /**
         * @param subscriptionId the frame's subscription.
         * @param messages       it carries (a DELIVER_RUN's count, else 1).
         */
        void onQueued(int subscriptionId, long messages);
    }

    /**
     * Walks every queued delivery frame (DELIVER, DELIVER_RUN, DELIVER_FDS): for the rare close of a queue group's
     * member, which counts what its group loses with this queue.
     *
     * @param visitor told of each.
     */
    void queuedDeliveries(final DeliveryVisitor visitor)
    {
        for (final Datagram d : sealed)
        {
            deliveriesIn(d, visitor);
        }
        if (tail != null)
        {
            deliveriesIn(tail, visitor);
        }
    }

    private static void deliveriesIn(final Datagram d, final DeliveryVisitor visitor)
    {
        for (int at = 0; at < d.length; at += Protocol.frameLength(d.buffer, at))
        {
            final int type = Protocol.frameType(d.buffer, at);
            // Every delivery frame has its u32 subscription_id at offset 8.
            final int subscriptionId = d.buffer.getInt(at + DeliverRunFrame.SUBSCRIPTION_ID_OFFSET, Protocol.BYTE_ORDER);
            if (type == FrameType.DELIVER || type == FrameType.DELIVER_FDS)
            {
                visitor.onQueued(subscriptionId, 1);
            }
            else if (type == FrameType.DELIVER_RUN)
            {
                visitor.onQueued(subscriptionId,
                    d.buffer.getInt(at + DeliverRunFrame.COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL);
            }
        }
    }

    private static long messagesIn(final Datagram d)
    {
        long messages = 0;
        for (int at = 0; at < d.length; at += Protocol.frameLength(d.buffer, at))
        {
            final int type = Protocol.frameType(d.buffer, at);
            if (type == FrameType.DELIVER || type == FrameType.DELIVER_FDS || type == FrameType.DELIVER_REQUEST)
            {
                messages++;
            }
            else if (type == FrameType.DELIVER_RUN)
            {
                messages += d.buffer.getInt(at + DeliverRunFrame.COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
            }
        }
        return messages;
    }

    /**
     * Gives every buffer back, and every descriptor reference; what was queued is dropped (the client is gone,
     * or is being evicted).
     */
    void clear()
    {
        version++;
        Datagram d;
        while ((d = sealed.pollFirst()) != null)
        {
            d.releaseHolders();
            pool.release(d);
        }
        if (tail != null)
        {
            tail.releaseHolders();
            pool.release(tail);
            tail = null;
        }
        charge(-frameBytes);
        chargeDescriptors(-descriptorBytes);
        settle();
    }

}

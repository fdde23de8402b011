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

    private static final int[] NO_FDS = new int[0];

    private final DatagramPool pool;
    private final UidAccount account;
    private final OldestDropper dropper;
    private final ArrayDeque<Datagram> sealed = new ArrayDeque<>();
    private Datagram tail;
    private long queuedBytes;
    private long accountedBytes;
    private int writeOffset;
    // Bumped by every change; a DELIVER_RUN may grow only while nothing else touched the outbox.
    private long version;

    /**
     * @param pool    where datagram buffers come from and go back to.
     * @param account the uid every queued byte is charged to.
     */
    Outbox(final DatagramPool pool, final UidAccount account)
    {
        this.pool = pool;
        this.account = account;
        this.dropper = pool.dropper();
    }

    private void charge(final long bytes)
    {
        queuedBytes += bytes;
        pool.queued(bytes);
    }

    /**
     * Brings the uid's account up to date with this queue. Done once per duty cycle for every
     * outbox touched, not per delivery: a running sum per delivery cost 16-subscriber throughput
     * about a tenth. The uid's bound may so lag by one cycle's deliveries; the memory bound of
     * all queues, checked per delivery, still holds.
     */
    void settle()
    {
        account.queued(queuedBytes - accountedBytes);
        accountedBytes = queuedBytes;
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
     * @return bytes waiting for the kernel.
     */
    long queuedBytes()
    {
        return queuedBytes;
    }

    /**
     * @return payload bytes of the descriptor messages queued (part of {@link #queuedBytes()}).
     */
    long descriptorBytes()
    {
        return 0;
    }

    /**
     * @return true when nothing waits.
     */
    boolean isEmpty()
    {
        return queuedBytes == 0;
    }

    /**
     * Sends what is queued, oldest first, until done or the kernel's queue is full.
     *
     * @param transport how the datagrams reach the client.
     * @param counter   counts datagrams and bytes written.
     * @return {@link #DRAINED} or {@link #BLOCKED}.
     * @throws IOException if the client is gone.
     */
    int flush(final Transport transport, final WriteCounter counter) throws IOException
    {
        version++;
        Datagram d;
        while ((d = sealed.peekFirst()) != null)
        {
            if (!send(transport, d, counter))
            {
                return BLOCKED;
            }
            sealed.pollFirst();
            pool.release(d);
        }
        if (tail != null && tail.length > 0)
        {
            if (!send(transport, tail, counter))
            {
                return BLOCKED;
            }
            pool.release(tail);
            tail = null;
        }
        return DRAINED;
    }

    private boolean send(final Transport transport, final Datagram d, final WriteCounter counter)
        throws IOException
    {
        final int length = d.length;
        if (transport.send(d.readyToSend(), NO_FDS, 0) <= 0)
        {
            return false;
        }
        charge(-length);
        counter.onDatagramWritten(length);
        return true;
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
        for (final Datagram d : sealed)
        {
            freed += dropper.compact(d, policy);
            if (freed >= wanted)
            {
                break;
            }
        }
        if (freed < wanted && tail != null)
        {
            freed += dropper.compact(tail, policy);
        }
        charge(-freed);
        return freed;
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

    private static long messagesIn(final Datagram d)
    {
        long messages = 0;
        for (int at = 0; at < d.length; at += Protocol.frameLength(d.buffer, at))
        {
            final int type = Protocol.frameType(d.buffer, at);
            if (type == FrameType.DELIVER)
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
     * Gives every buffer back; what was queued is dropped (the client is gone).
     */
    void clear()
    {
        version++;
        Datagram d;
        while ((d = sealed.pollFirst()) != null)
        {
            pool.release(d);
        }
        if (tail != null)
        {
            pool.release(tail);
            tail = null;
        }
        charge(-queuedBytes);
        settle();
    }

}

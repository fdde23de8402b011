package io.seqbus.sys;

import java.nio.ByteBuffer;

/**
 * The one consumer of a {@link Ring}. Every record is checked against the rules (SPEC.md "Shared memory") and its
 * body <b>copied</b> out before anyone looks at it, so a writer that changes the bytes afterwards changes nothing
 * the reader validated. Its head is private: the tail it reads from the memory must lie within one capacity ahead
 * of it, and every record within that; anything else is {@link ShmCorruptException}, never a read outside the
 * mapping.
 */
public final class RingReader
{
    private final Ring ring;
    private final ByteBuffer memory;
    private final int mask;
    private final int maxBody;
    private long head;
    private long next;
    private int lastType;

    RingReader(final Ring ring, final long head, final int maxBody)
    {
        this.ring = ring;
        this.memory = ring.memory;
        this.mask = ring.capacity - 1;
        this.maxBody = maxBody;
        this.head = head;
    }

    /**
     * @return true when no record is committed beyond the head.
     * @throws ShmCorruptException when the tail in memory is out of range.
     */
    public boolean isEmpty() throws ShmCorruptException
    {
        return checkedTail() == head;
    }

    /**
     * Takes the next record: its body is copied to {@code dst} from index 0, and dst's position set to 0, its limit
     * to the body's length. The head moves past it (and any padding before it) and is published.
     *
     * @param dst a buffer of at least the reader's {@code maxBody} bytes.
     * @return the body's length; 0 when the ring is empty.
     * @throws ShmCorruptException when the ring breaks a rule; nothing was taken.
     */
    public int read(final ByteBuffer dst) throws ShmCorruptException
    {
        final int length = peek(dst);
        if (length > 0)
        {
            head = next;
            ring.publishHead(head);
        }
        return length;
    }

    /**
     * {@link #read} without taking the record: the next read returns it again.
     *
     * @param dst a buffer of at least the reader's {@code maxBody} bytes.
     * @return the body's length; 0 when the ring is empty.
     * @throws ShmCorruptException when the ring breaks a rule.
     */
    public int peek(final ByteBuffer dst) throws ShmCorruptException
    {
        final long tail = checkedTail();
        long at = head;
        while (at != tail)
        {
            final int index = (int)at & mask;
            final int toEnd = ring.capacity - index;
            final int length = memory.getInt(ring.base + index);
            final int type = memory.getInt(ring.base + index + 4);
            if (length < RingWriter.HEADER_LENGTH || length > toEnd)
            {
                throw corrupt("record length " + length + " at index " + index + " (" + toEnd + " bytes to the end)");
            }
            final int aligned = RingWriter.align(length);
            if (aligned > tail - at)
            {
                throw corrupt("record of " + length + " bytes at position " + at + " runs past the tail " + tail);
            }
            if (type == RingWriter.PADDING)
            {
                if (length != toEnd)
                {
                    throw corrupt("padding of " + length + " bytes at index " + index + ", not the " + toEnd +
                        " to the end");
                }
                at += toEnd;
                continue;
            }
            if (type != RingWriter.FRAMES && type != RingWriter.FRAMES_WITH_FDS)
            {
                throw corrupt("record type " + type + " at index " + index);
            }
            final int body = length - RingWriter.HEADER_LENGTH;
            if (body == 0 || body > maxBody || body > dst.capacity())
            {
                throw corrupt("record body of " + body + " bytes (1.." + maxBody + " allowed)");
            }
            dst.clear();
            dst.put(0, memory, ring.base + index + RingWriter.HEADER_LENGTH, body);
            dst.limit(body);
            lastType = type;
            next = at + aligned;
            return body;
        }
        if (at != head)
        {
            // Only padding was committed: step over it, so the writer gets its room back.
            head = at;
            ring.publishHead(head);
        }
        return 0;
    }

    /** @return {@link RingWriter#FRAMES} or {@link RingWriter#FRAMES_WITH_FDS}: the type of the last record read. */
    public int lastType()
    {
        return lastType;
    }

    /** @return bytes ever consumed, padding included. */
    public long position()
    {
        return head;
    }

    private long checkedTail() throws ShmCorruptException
    {
        final long tail = ring.tail();
        if (tail < head || tail - head > ring.capacity)
        {
            throw corrupt("ring tail " + tail + " is not within " + ring.capacity + " bytes ahead of the head " + head);
        }
        return tail;
    }

    private static ShmCorruptException corrupt(final String what)
    {
        return new ShmCorruptException(what);
    }
}

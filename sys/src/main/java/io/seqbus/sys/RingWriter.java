package io.seqbus.sys;

import java.nio.ByteBuffer;

/**
 * The one producer of a {@link Ring}: appends records (8-byte header: i32 length, i32 type; then the body;
 * 8-byte aligned; a PADDING record fills the end of the ring when a record would cross it) and then publishes the
 * tail, which is the commit. Its tail is private: it never reads its own position back from the memory. The head
 * it reads there is checked to lie within one capacity behind the tail, so a corrupt one can never make it write
 * outside the ring, only report the ring corrupt.
 */
public final class RingWriter
{
    /** Record type: a datagram of frames. */
    public static final int FRAMES = 1;
    /** Record type: a datagram of frames whose descriptors came first on the socket (SHM_FDS). */
    public static final int FRAMES_WITH_FDS = 2;
    /** Record type: filler to the end of the ring. */
    public static final int PADDING = -1;
    /** Bytes of a record header. */
    public static final int HEADER_LENGTH = 8;

    private final Ring ring;
    private final ByteBuffer memory;
    private final int mask;
    private long tail;

    RingWriter(final Ring ring, final long tail)
    {
        this.ring = ring;
        this.memory = ring.memory;
        this.mask = ring.capacity - 1;
        this.tail = tail;
    }

    /**
     * @param bodyLength bytes of a record's body.
     * @return true when a record that long fits now.
     * @throws ShmCorruptException when the head in memory is out of range.
     */
    public boolean hasRoom(final int bodyLength) throws ShmCorruptException
    {
        return room() >= needed(bodyLength);
    }

    /**
     * Appends one record and commits it.
     *
     * @param src  the body, from its position to its limit; its position is unchanged.
     * @param type {@link #FRAMES} or {@link #FRAMES_WITH_FDS}.
     * @return false when it does not fit now: nothing was written.
     * @throws ShmCorruptException when the head in memory is out of range.
     */
    public boolean write(final ByteBuffer src, final int type) throws ShmCorruptException
    {
        final int body = src.remaining();
        final int aligned = align(body + HEADER_LENGTH);
        if (aligned > ring.capacity / 2)
        {
            throw new IllegalArgumentException("a record of " + body + " bytes is over half the ring of " +
                ring.capacity);
        }
        if (room() < needed(body))
        {
            return false;
        }
        int index = (int)tail & mask;
        final int toEnd = ring.capacity - index;
        if (aligned > toEnd)
        {
            memory.putInt(ring.base + index, toEnd);
            memory.putInt(ring.base + index + 4, PADDING);
            tail += toEnd;
            index = 0;
        }
        final int at = ring.base + index;
        memory.putInt(at, body + HEADER_LENGTH);
        memory.putInt(at + 4, type);
        memory.put(at + HEADER_LENGTH, src, src.position(), body);
        tail += aligned;
        ring.publishTail(tail);
        return true;
    }

    /** @return bytes ever written, padding included. */
    public long position()
    {
        return tail;
    }

    private int needed(final int body)
    {
        final int aligned = align(body + HEADER_LENGTH);
        final int toEnd = ring.capacity - ((int)tail & mask);
        return aligned <= toEnd ? aligned : toEnd + aligned;
    }

    private long room() throws ShmCorruptException
    {
        final long head = ring.head();
        if (head > tail || head < tail - ring.capacity)
        {
            throw new ShmCorruptException("ring head " + head + " is not within " + ring.capacity +
                " bytes behind the tail " + tail);
        }
        return ring.capacity - (tail - head);
    }

    static int align(final int length)
    {
        return (length + 7) & ~7;
    }
}

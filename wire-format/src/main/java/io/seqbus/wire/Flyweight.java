package io.seqbus.wire;

import org.agrona.DirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * Base of the frame decoders: a view of one frame inside a buffer, moved with {@link #wrap}.
 * Reads fields in place and never copies unless asked for a String.
 */
public abstract class Flyweight
{
    /** Buffer holding the frame. */
    protected DirectBuffer buffer;
    /** Offset of the frame's header in {@link #buffer}. */
    protected int offset;

    /**
     * Points this view at a frame.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's header.
     * @return this, for chaining.
     */
    public Flyweight wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * @return the buffer this view reads.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the offset of the frame in {@link #buffer()}.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * @return the frame's length field, header included.
     */
    public int frameLength()
    {
        return buffer.getInt(offset + Protocol.LENGTH_OFFSET, BYTE_ORDER);
    }

    /**
     * @return the frame's type field.
     */
    public int type()
    {
        return buffer.getByte(offset + Protocol.TYPE_OFFSET) & 0xFF;
    }

    /** @return u8 at a frame-relative offset. */
    protected final int u8(final int at)
    {
        return buffer.getByte(offset + at) & 0xFF;
    }

    /** @return u16 at a frame-relative offset. */
    protected final int u16(final int at)
    {
        return buffer.getShort(offset + at, BYTE_ORDER) & 0xFFFF;
    }

    /** @return u32 at a frame-relative offset, as a Java int (callers mask when they need it unsigned). */
    protected final int u32(final int at)
    {
        return buffer.getInt(offset + at, BYTE_ORDER);
    }

    /** @return u64 at a frame-relative offset. */
    protected final long u64(final int at)
    {
        return buffer.getLong(offset + at, BYTE_ORDER);
    }

    /** @return the UTF-8 string of {@code length} bytes at a frame-relative offset (allocates). */
    protected final String utf8(final int at, final int length)
    {
        return buffer.getStringWithoutLengthUtf8(offset + at, length);
    }
}

package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * The header block (SPEC.md, "Headers"): key/value pairs at the start of the payload of a frame whose header has
 * {@link Protocol#FLAG_HEADERS}. {@code u16 block_length} (this field included), then entries {@code u8 key_length}
 * 1..64, the key (ASCII {@code a-z 0-9 - _ .}), {@code u16 value_length}, the value bytes; the entries fill the block
 * exactly and keys may repeat.
 *
 * <p>One instance is three things, none allocating: a cursor over the entries of a block ({@link #wrap},
 * {@link #next}), a writer ({@link #begin}, {@link #put}, {@link #finish}) and a checker ({@link #check}) that keeps
 * the offset and reason of the last failure, as {@link FrameValidator} does. One instance per thread.
 */
public final class HeaderBlock
{
    /** Bytes of the {@code block_length} field; also the length of an empty block. */
    public static final int LENGTH_FIELD = 2;
    /** Bytes of an entry besides its key and value: {@code key_length} and {@code value_length}. */
    public static final int ENTRY_OVERHEAD = 3;
    /** Longest key. */
    public static final int MAX_KEY_LENGTH = 64;
    /** Longest block the format can express (u16 block_length). */
    public static final int MAX_BLOCK_LENGTH = 0xFFFF;
    /** The broker's {@code max_header_bytes} unless configured. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 4096;
    /** The broker's {@code max_headers} unless configured. */
    public static final int DEFAULT_MAX_HEADERS = 32;

    private DirectBuffer buffer;
    private int blockOffset;
    private int end;
    private int entry;
    private int next;

    private MutableDirectBuffer out;
    private int writeStart;
    private int writeAt;

    private int errorOffset;
    private String errorReason = "";

    /**
     * @param c a character.
     * @return whether it may appear in a key.
     */
    public static boolean isKeyChar(final int c)
    {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    }

    /**
     * @param keyLength   bytes of the key.
     * @param valueLength bytes of the value.
     * @return the bytes one entry takes in a block.
     */
    public static int entryLength(final int keyLength, final int valueLength)
    {
        return ENTRY_OVERHEAD + keyLength + valueLength;
    }

    /**
     * @param buffer holding a block.
     * @param offset of its {@code block_length}.
     * @return its {@code block_length}, unsigned.
     */
    public static int blockLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset, BYTE_ORDER) & 0xFFFF;
    }

    // ---------------------------------------------------------------------------------------------- the cursor

    /**
     * Points the cursor before the first entry of a block; {@link #check} it first unless it came checked.
     *
     * @param buffer holding the block.
     * @param offset of its {@code block_length}.
     * @return this.
     */
    public HeaderBlock wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.blockOffset = offset;
        this.end = offset + blockLength(buffer, offset);
        this.entry = -1;
        this.next = offset + LENGTH_FIELD;
        return this;
    }

    /** @return the wrapped block's length, this field included: where the application's payload starts. */
    public int blockLength()
    {
        return end - blockOffset;
    }

    /**
     * Moves to the next entry.
     *
     * @return false when there is none.
     */
    public boolean next()
    {
        if (next >= end)
        {
            return false;
        }
        entry = next;
        next = valueOffset() + valueLength();
        return true;
    }

    /** Points the cursor before the first entry again. */
    public void rewind()
    {
        entry = -1;
        next = blockOffset + LENGTH_FIELD;
    }

    /** @return the current entry's key length. */
    public int keyLength()
    {
        return buffer.getByte(entry) & 0xFF;
    }

    /** @return the offset of the current entry's key in the buffer. */
    public int keyOffset()
    {
        return entry + 1;
    }

    /** @return the current entry's value length. */
    public int valueLength()
    {
        return buffer.getShort(entry + 1 + keyLength(), BYTE_ORDER) & 0xFFFF;
    }

    /** @return the offset of the current entry's value in the buffer. */
    public int valueOffset()
    {
        return entry + 1 + keyLength() + 2;
    }

    /** @return the current key (allocates). */
    public String key()
    {
        return buffer.getStringWithoutLengthAscii(keyOffset(), keyLength());
    }

    /** @return the current value decoded as UTF-8 (allocates). */
    public String value()
    {
        return buffer.getStringWithoutLengthUtf8(valueOffset(), valueLength());
    }

    /**
     * @param key ASCII key.
     * @return whether the current entry's key is {@code key}, without allocating.
     */
    public boolean keyEquals(final CharSequence key)
    {
        final int length = keyLength();
        if (key.length() != length)
        {
            return false;
        }
        final int at = keyOffset();
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(at + i) != key.charAt(i))
            {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------- the writer

    /**
     * Starts a block; room for it is the caller's to reserve (the sum of {@link #entryLength}s plus
     * {@link #LENGTH_FIELD}).
     *
     * @param buffer to write into.
     * @param offset where {@code block_length} goes.
     * @return this.
     */
    public HeaderBlock begin(final MutableDirectBuffer buffer, final int offset)
    {
        this.out = buffer;
        this.writeStart = offset;
        this.writeAt = offset + LENGTH_FIELD;
        return this;
    }

    /**
     * Appends an entry; the key is not checked here ({@link #check} or the client's {@code Headers} do that).
     *
     * @param key   ASCII key, 1..64 characters.
     * @param value bytes of the value.
     * @param index of the first value byte.
     * @param length bytes of the value, at most 65535.
     * @return this.
     */
    public HeaderBlock put(final CharSequence key, final DirectBuffer value, final int index, final int length)
    {
        final int keyLength = key.length();
        out.putByte(writeAt, (byte)keyLength);
        for (int i = 0; i < keyLength; i++)
        {
            out.putByte(writeAt + 1 + i, (byte)key.charAt(i));
        }
        out.putShort(writeAt + 1 + keyLength, (short)length, BYTE_ORDER);
        out.putBytes(writeAt + ENTRY_OVERHEAD + keyLength, value, index, length);
        writeAt += entryLength(keyLength, length);
        return this;
    }

    /**
     * Appends an entry from a value in an array; see {@link #put(CharSequence, DirectBuffer, int, int)}.
     *
     * @param key   ASCII key, 1..64 characters.
     * @param value the value bytes, at most 65535.
     * @return this.
     */
    public HeaderBlock put(final CharSequence key, final byte[] value)
    {
        final int keyLength = key.length();
        out.putByte(writeAt, (byte)keyLength);
        for (int i = 0; i < keyLength; i++)
        {
            out.putByte(writeAt + 1 + i, (byte)key.charAt(i));
        }
        out.putShort(writeAt + 1 + keyLength, (short)value.length, BYTE_ORDER);
        out.putBytes(writeAt + ENTRY_OVERHEAD + keyLength, value);
        writeAt += entryLength(keyLength, value.length);
        return this;
    }

    /**
     * Writes {@code block_length}.
     *
     * @return the block's length: the payload follows that many bytes after the offset given to {@link #begin}.
     */
    public int finish()
    {
        final int length = writeAt - writeStart;
        out.putShort(writeStart, (short)length, BYTE_ORDER);
        return length;
    }

    // ---------------------------------------------------------------------------------------------- the checker

    /**
     * Checks a block at the start of a payload against the format and the limits.
     *
     * @param buffer     holding the payload.
     * @param offset     of the payload, where {@code block_length} is.
     * @param available  bytes of the payload, block included: the block must fit in them.
     * @param maxBytes   largest {@code block_length} allowed (the broker's {@code max_header_bytes}); at most
     *                   {@link #MAX_BLOCK_LENGTH}.
     * @param maxEntries most entries allowed (the broker's {@code max_headers}).
     * @return 0 when well-formed, else {@link ErrorCode#INVALID_HEADERS}, with {@link #errorOffset()} and
     * {@link #errorReason()} saying where and what.
     */
    public int check(
        final DirectBuffer buffer, final int offset, final int available, final int maxBytes, final int maxEntries)
    {
        if (available < LENGTH_FIELD)
        {
            return fail(0, "the payload is too short for block_length");
        }
        final int length = blockLength(buffer, offset);
        if (length < LENGTH_FIELD)
        {
            return fail(0, "block_length " + length + " is below 2");
        }
        if (length > available)
        {
            return fail(0, "block_length " + length + " runs past the payload's " + available + " bytes");
        }
        if (length > maxBytes)
        {
            return fail(0, "block_length " + length + " is over max_header_bytes " + maxBytes);
        }
        final int blockEnd = offset + length;
        int at = offset + LENGTH_FIELD;
        int entries = 0;
        while (at < blockEnd)
        {
            if (++entries > maxEntries)
            {
                return fail(at - offset, "more than max_headers " + maxEntries + " entries");
            }
            final int keyLength = buffer.getByte(at) & 0xFF;
            if (keyLength == 0 || keyLength > MAX_KEY_LENGTH)
            {
                return fail(at - offset, "key_length " + keyLength + " is not 1..64");
            }
            if (blockEnd - at < ENTRY_OVERHEAD + keyLength)
            {
                return fail(at - offset, "entry runs past the block");
            }
            for (int i = 0; i < keyLength; i++)
            {
                if (!isKeyChar(buffer.getByte(at + 1 + i)))
                {
                    return fail(at + 1 + i - offset, "key byte 0x" +
                        Integer.toHexString(buffer.getByte(at + 1 + i) & 0xFF) + " is not one of a-z 0-9 - _ .");
                }
            }
            final int valueLength = buffer.getShort(at + 1 + keyLength, BYTE_ORDER) & 0xFFFF;
            if (blockEnd - at - ENTRY_OVERHEAD - keyLength < valueLength)
            {
                return fail(at + 1 + keyLength - offset, "value_length " + valueLength + " runs past the block");
            }
            at += entryLength(keyLength, valueLength);
        }
        return 0;
    }

    /** @return where the last {@link #check} failed, relative to the start of the block. */
    public int errorOffset()
    {
        return errorOffset;
    }

    /** @return what the last {@link #check} found, for people. */
    public String errorReason()
    {
        return errorReason;
    }

    private int fail(final int at, final String reason)
    {
        errorOffset = at;
        errorReason = reason;
        return ErrorCode.INVALID_HEADERS;
    }
}

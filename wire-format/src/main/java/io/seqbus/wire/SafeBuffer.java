package io.seqbus.wire;

import org.agrona.AsciiNumberFormatException;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Why this file is long: it is one job, Agrona's whole {@code MutableDirectBuffer} interface (about a hundred
 * methods, each a few lines), held to {@code UnsafeBuffer} method by method by {@code SafeBufferTest}.
 *
 * <p>A {@link MutableDirectBuffer} over a {@link ByteBuffer} (heap or direct) or a {@code byte[]} that needs no JVM
 * flags: every access is an absolute {@code ByteBuffer} get or put, or a {@code byteBufferViewVarHandle} for the
 * multi-byte values, all of which the JIT compiles to plain loads and stores. Agrona's
 * {@link org.agrona.concurrent.UnsafeBuffer} reaches {@code jdk.internal.misc.Unsafe} and so needs
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} on Java 17+; the client uses this buffer instead,
 * so a service's JVM needs no flags. The codecs of this package take either.
 * <p>
 * It behaves as {@code UnsafeBuffer} does (the tests hold it to that), with these differences:
 * <ul>
 * <li>Bounds are always checked (by the {@code ByteBuffer}); {@code agrona.disable.bounds.checks} does not apply.
 * <li>A raw memory address cannot be wrapped: {@link #wrap(long, int)} throws
 *     {@link UnsupportedOperationException}.
 * <li>{@link #addressOffset()} is Unsafe's notion, so it is computed by Agrona and works only where Agrona's
 *     Unsafe does, that is where an {@code UnsafeBuffer} (the only reader of it) could run anyway.
 * <li>A read-only {@code ByteBuffer} stays read-only: a put throws {@link java.nio.ReadOnlyBufferException}, and
 *     {@link #byteArray()} is null for it.
 * <li>Wrapping a {@code byte[]} or part of a {@code ByteBuffer} allocates a small view; reads and writes never
 *     allocate, except the methods that return a String.
 * </ul>
 */
public final class SafeBuffer implements MutableDirectBuffer
{
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final VarHandle SHORT_LE = view(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_BE = view(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle CHAR_LE = view(char[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle CHAR_BE = view(char[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_LE = view(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_BE = view(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_LE = view(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_BE = view(long[].class, ByteOrder.BIG_ENDIAN);
    private static final byte[] EMPTY = new byte[0];
    // What Agrona writes for a null String in UTF-8.
    private static final byte[] NULL_BYTES = "null".getBytes(StandardCharsets.UTF_8);
    private static final byte[] MIN_INT_ASCII = "-2147483648".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MIN_LONG_ASCII = "-9223372036854775808".getBytes(StandardCharsets.US_ASCII);
    private static final int INT_MAX_DIGITS = 10;
    private static final int LONG_MAX_DIGITS = 19;

    // The wrapped bytes, index 0 to capacity: every access goes through it by absolute index. Never moved.
    private ByteBuffer view;
    // What was wrapped, as DirectBuffer reports it: the ByteBuffer (null for a byte[]), the array (null off-heap)
    // and where the view starts in it.
    private ByteBuffer byteBuffer;
    private byte[] byteArray;
    private int wrapAdjustment;
    private int capacity;

    /** An empty buffer, to {@link #wrap} later. */
    public SafeBuffer()
    {
        wrap(EMPTY);
    }

    /**
     * @param buffer to view, all of it.
     */
    public SafeBuffer(final byte[] buffer)
    {
        wrap(buffer);
    }

    /**
     * @param buffer to view.
     * @param offset of the first byte in view.
     * @param length bytes in view.
     */
    public SafeBuffer(final byte[] buffer, final int offset, final int length)
    {
        wrap(buffer, offset, length);
    }

    /**
     * @param buffer to view, from 0 to its capacity (its position and limit do not matter).
     */
    public SafeBuffer(final ByteBuffer buffer)
    {
        wrap(buffer);
    }

    /**
     * @param buffer to view.
     * @param offset of the first byte in view, from the buffer's 0.
     * @param length bytes in view.
     */
    public SafeBuffer(final ByteBuffer buffer, final int offset, final int length)
    {
        wrap(buffer, offset, length);
    }

    /**
     * @param buffer whose bytes to view, all of them.
     */
    public SafeBuffer(final DirectBuffer buffer)
    {
        wrap(buffer);
    }

    // ---- wrapping --------------------------------------------------------------------------------------------

    /** {@inheritDoc} */
    public void wrap(final byte[] buffer)
    {
        if (buffer != byteArray || byteBuffer != null || wrapAdjustment != 0 || capacity != buffer.length)
        {
            set(ByteBuffer.wrap(buffer), null, buffer, 0, buffer.length);
        }
    }

    /** {@inheritDoc} */
    public void wrap(final byte[] buffer, final int offset, final int length)
    {
        boundsCheckWrap(offset, length, buffer.length);
        if (buffer != byteArray || byteBuffer != null || wrapAdjustment != offset || capacity != length)
        {
            set(ByteBuffer.wrap(buffer, offset, length).slice(), null, buffer, offset, length);
        }
    }

    /** {@inheritDoc} */
    public void wrap(final ByteBuffer buffer)
    {
        if (buffer != byteBuffer || capacity != buffer.capacity() || wrapAdjustment != baseAdjustment(buffer))
        {
            set(buffer.duplicate().clear(), buffer, arrayOf(buffer), baseAdjustment(buffer), buffer.capacity());
        }
    }

    /** {@inheritDoc} */
    public void wrap(final ByteBuffer buffer, final int offset, final int length)
    {
        boundsCheckWrap(offset, length, buffer.capacity());
        set(slice(buffer, offset, length), buffer, arrayOf(buffer), baseAdjustment(buffer) + offset, length);
    }

    /**
     * Views the same bytes as another buffer: a SafeBuffer, or one over a ByteBuffer or a {@code byte[]}.
     *
     * @throws UnsupportedOperationException for a buffer over a raw address.
     */
    public void wrap(final DirectBuffer buffer)
    {
        wrap(buffer, 0, buffer.capacity());
    }

    /**
     * Views part of another buffer: a SafeBuffer, or one over a ByteBuffer or a {@code byte[]}.
     *
     * @throws UnsupportedOperationException for a buffer over a raw address.
     */
    public void wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        boundsCheckWrap(offset, length, buffer.capacity());
        if (buffer instanceof SafeBuffer)
        {
            final SafeBuffer that = (SafeBuffer)buffer;
            final ByteBuffer thatView = that.view;
            set(offset == 0 && length == that.capacity ? thatView : slice(thatView, offset, length),
                that.byteBuffer, that.byteArray, that.wrapAdjustment + offset, length);
            return;
        }
        final ByteBuffer thatByteBuffer = buffer.byteBuffer();
        final byte[] thatArray = buffer.byteArray();
        final int start = buffer.wrapAdjustment() + offset;
        if (thatByteBuffer != null)
        {
            // wrapAdjustment counts from the start of the array behind a heap ByteBuffer.
            final int index = start - baseAdjustment(thatByteBuffer);
            set(slice(thatByteBuffer, index, length), thatByteBuffer, arrayOf(thatByteBuffer), start, length);
        }
        else if (thatArray != null)
        {
            set(ByteBuffer.wrap(thatArray, start, length).slice(), null, thatArray, start, length);
        }
        else
        {
            throw new UnsupportedOperationException(
                "SafeBuffer cannot view memory by address (" + buffer + "): that needs Unsafe");
        }
    }

    /**
     * Not supported: a raw address can be read only through Unsafe, which is what this class avoids.
     *
     * @throws UnsupportedOperationException always.
     */
    public void wrap(final long address, final int length)
    {
        throw new UnsupportedOperationException("SafeBuffer cannot view memory by address: that needs Unsafe");
    }

    private void set(
        final ByteBuffer view, final ByteBuffer byteBuffer, final byte[] byteArray, final int wrapAdjustment,
        final int capacity)
    {
        this.view = view;
        this.byteBuffer = byteBuffer;
        this.byteArray = byteArray;
        this.wrapAdjustment = wrapAdjustment;
        this.capacity = capacity;
    }

    private static VarHandle view(final Class<?> arrayType, final ByteOrder order)
    {
        return MethodHandles.byteBufferViewVarHandle(arrayType, order);
    }

    private static ByteBuffer slice(final ByteBuffer buffer, final int offset, final int length)
    {
        return buffer.duplicate().clear().position(offset).limit(offset + length).slice();
    }

    private static byte[] arrayOf(final ByteBuffer buffer)
    {
        return buffer.hasArray() ? buffer.array() : null;
    }

    private static int baseAdjustment(final ByteBuffer buffer)
    {
        return buffer.hasArray() ? buffer.arrayOffset() : 0;
    }

    private static void boundsCheckWrap(final int offset, final int length, final int capacity)
    {
        Objects.checkFromIndexSize(offset, length, capacity);
    }

    // ---- what it views ---------------------------------------------------------------------------------------

    /**
     * Unsafe's address of byte 0: Agrona computes it, so it needs what an {@code UnsafeBuffer} needs (the JVM flag
     * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}); only Unsafe-based code has a use for it.
     *
     * @throws UnsupportedOperationException where Agrona cannot reach Unsafe.
     */
    public long addressOffset()
    {
        try
        {
            return UnsafeAddresses.addressOffset(byteBuffer, byteArray, wrapAdjustment);
        }
        catch (final LinkageError ex)
        {
            final UnsupportedOperationException failure = new UnsupportedOperationException(
                "addressOffset() is Unsafe's notion and Agrona cannot reach Unsafe in this JVM " +
                "(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED)");
            failure.initCause(ex);
            throw failure;
        }
    }

    /** {@inheritDoc} */
    public byte[] byteArray()
    {
        return byteArray;
    }

    /** {@inheritDoc} */
    public ByteBuffer byteBuffer()
    {
        return byteBuffer;
    }

    /** {@inheritDoc} */
    public int wrapAdjustment()
    {
        return wrapAdjustment;
    }

    /** {@inheritDoc} */
    public int capacity()
    {
        return capacity;
    }

    /** {@inheritDoc} */
    public boolean isExpandable()
    {
        return false;
    }

    /** {@inheritDoc} */
    public void checkLimit(final int limit)
    {
        if (limit > capacity)
        {
            throw new IndexOutOfBoundsException("limit=" + limit + " is beyond capacity=" + capacity);
        }
    }

    /** {@inheritDoc} */
    public void boundsCheck(final int index, final int length)
    {
        final long end = index + (long)length;
        if (index < 0 || length < 0 || end > capacity)
        {
            throw new IndexOutOfBoundsException("index=" + index + " length=" + length + " capacity=" + capacity);
        }
    }

    // ---- numbers ---------------------------------------------------------------------------------------------

    /** {@inheritDoc} */
    public long getLong(final int index, final ByteOrder byteOrder)
    {
        return byteOrder == ByteOrder.LITTLE_ENDIAN ? (long)LONG_LE.get(view, index) : (long)LONG_BE.get(view, index);
    }

    /** {@inheritDoc} */
    public long getLong(final int index)
    {
        return getLong(index, NATIVE);
    }

    /** {@inheritDoc} */
    public void putLong(final int index, final long value, final ByteOrder byteOrder)
    {
        if (byteOrder == ByteOrder.LITTLE_ENDIAN)
        {
            LONG_LE.set(view, index, value);
        }
        else
        {
            LONG_BE.set(view, index, value);
        }
    }

    /** {@inheritDoc} */
    public void putLong(final int index, final long value)
    {
        putLong(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public int getInt(final int index, final ByteOrder byteOrder)
    {
        return byteOrder == ByteOrder.LITTLE_ENDIAN ? (int)INT_LE.get(view, index) : (int)INT_BE.get(view, index);
    }

    /** {@inheritDoc} */
    public int getInt(final int index)
    {
        return getInt(index, NATIVE);
    }

    /** {@inheritDoc} */
    public void putInt(final int index, final int value, final ByteOrder byteOrder)
    {
        if (byteOrder == ByteOrder.LITTLE_ENDIAN)
        {
            INT_LE.set(view, index, value);
        }
        else
        {
            INT_BE.set(view, index, value);
        }
    }

    /** {@inheritDoc} */
    public void putInt(final int index, final int value)
    {
        putInt(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public short getShort(final int index, final ByteOrder byteOrder)
    {
        return byteOrder == ByteOrder.LITTLE_ENDIAN ?
            (short)SHORT_LE.get(view, index) : (short)SHORT_BE.get(view, index);
    }

    /** {@inheritDoc} */
    public short getShort(final int index)
    {
        return getShort(index, NATIVE);
    }

    /** {@inheritDoc} */
    public void putShort(final int index, final short value, final ByteOrder byteOrder)
    {
        if (byteOrder == ByteOrder.LITTLE_ENDIAN)
        {
            SHORT_LE.set(view, index, value);
        }
        else
        {
            SHORT_BE.set(view, index, value);
        }
    }

    /** {@inheritDoc} */
    public void putShort(final int index, final short value)
    {
        putShort(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public char getChar(final int index, final ByteOrder byteOrder)
    {
        return byteOrder == ByteOrder.LITTLE_ENDIAN ? (char)CHAR_LE.get(view, index) : (char)CHAR_BE.get(view, index);
    }

    /** {@inheritDoc} */
    public char getChar(final int index)
    {
        return getChar(index, NATIVE);
    }

    /** {@inheritDoc} */
    public void putChar(final int index, final char value, final ByteOrder byteOrder)
    {
        if (byteOrder == ByteOrder.LITTLE_ENDIAN)
        {
            CHAR_LE.set(view, index, value);
        }
        else
        {
            CHAR_BE.set(view, index, value);
        }
    }

    /** {@inheritDoc} */
    public void putChar(final int index, final char value)
    {
        putChar(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public double getDouble(final int index, final ByteOrder byteOrder)
    {
        return Double.longBitsToDouble(getLong(index, byteOrder));
    }

    /** {@inheritDoc} */
    public double getDouble(final int index)
    {
        return getDouble(index, NATIVE);
    }

    /** {@inheritDoc} */
    public void putDouble(final int index, final double value, final ByteOrder byteOrder)
    {
        putLong(index, Double.doubleToRawLongBits(value), byteOrder);
    }

    /** {@inheritDoc} */
    public void putDouble(final int index, final double value)
    {
        putDouble(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public float getFloat(final int index, final ByteOrder byteOrder)
    {
        return Float.intBitsToFloat(getInt(index, byteOrder));
    }

    /** {@inheritDoc} */
    public float getFloat(final int index)
    {
        return getFloat(index, NATIVE);
    }

    /** {@inheritDoc} */
    public void putFloat(final int index, final float value, final ByteOrder byteOrder)
    {
        putInt(index, Float.floatToRawIntBits(value), byteOrder);
    }

    /** {@inheritDoc} */
    public void putFloat(final int index, final float value)
    {
        putFloat(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public byte getByte(final int index)
    {
        return view.get(index);
    }

    /** {@inheritDoc} */
    public void putByte(final int index, final byte value)
    {
        view.put(index, value);
    }

    // ---- bytes -----------------------------------------------------------------------------------------------

    /** {@inheritDoc} */
    public void setMemory(final int index, final int length, final byte value)
    {
        boundsCheck(index, length);
        final ByteBuffer view = this.view;
        int i = index;
        final int end = index + length;
        if (length >= 8)
        {
            final long eight = (value & 0xFFL) * 0x0101010101010101L;
            for (final int longsEnd = end - 7; i < longsEnd; i += 8)
            {
                LONG_LE.set(view, i, eight);
            }
        }
        for (; i < end; i++)
        {
            view.put(i, value);
        }
    }

    /** {@inheritDoc} */
    public void getBytes(final int index, final byte[] dst)
    {
        view.get(index, dst, 0, dst.length);
    }

    /** {@inheritDoc} */
    public void getBytes(final int index, final byte[] dst, final int offset, final int length)
    {
        view.get(index, dst, offset, length);
    }

    /** {@inheritDoc} */
    public void getBytes(final int index, final MutableDirectBuffer dstBuffer, final int dstIndex, final int length)
    {
        dstBuffer.putBytes(dstIndex, this, index, length);
    }

    /** {@inheritDoc} */
    public void getBytes(final int index, final ByteBuffer dstBuffer, final int length)
    {
        final int dstOffset = dstBuffer.position();
        getBytes(index, dstBuffer, dstOffset, length);
        dstBuffer.position(dstOffset + length);
    }

    /** {@inheritDoc} The destination's limit does not matter, only its capacity, as with UnsafeBuffer. */
    public void getBytes(final int index, final ByteBuffer dstBuffer, final int dstOffset, final int length)
    {
        withinCapacity(dstBuffer, dstOffset, length).put(dstOffset, view, index, length);
    }

    /** {@inheritDoc} */
    public void putBytes(final int index, final byte[] src)
    {
        view.put(index, src, 0, src.length);
    }

    /** {@inheritDoc} */
    public void putBytes(final int index, final byte[] src, final int offset, final int length)
    {
        view.put(index, src, offset, length);
    }

    /** {@inheritDoc} */
    public void putBytes(final int index, final ByteBuffer srcBuffer, final int length)
    {
        final int srcIndex = srcBuffer.position();
        putBytes(index, srcBuffer, srcIndex, length);
        srcBuffer.position(srcIndex + length);
    }

    /** {@inheritDoc} The source's limit does not matter, only its capacity, as with UnsafeBuffer. */
    public void putBytes(final int index, final ByteBuffer srcBuffer, final int srcIndex, final int length)
    {
        view.put(index, withinCapacity(srcBuffer, srcIndex, length), srcIndex, length);
    }

    /**
     * Copies from another buffer; overlapping ranges of one buffer are copied as if through a temporary copy.
     * From a SafeBuffer it is a ByteBuffer copy; any other buffer is asked to write its bytes into this one's.
     */
    public void putBytes(final int index, final DirectBuffer srcBuffer, final int srcIndex, final int length)
    {
        if (srcBuffer instanceof SafeBuffer)
        {
            view.put(index, ((SafeBuffer)srcBuffer).view, srcIndex, length);
        }
        else
        {
            boundsCheck(index, length);
            srcBuffer.getBytes(srcIndex, view, index, length);
        }
    }

    /** The buffer itself when the range is within its limit, else a view of it up to its capacity. */
    private static ByteBuffer withinCapacity(final ByteBuffer buffer, final int index, final int length)
    {
        if (index >= 0 && length >= 0 && index <= buffer.limit() - length)
        {
            return buffer;
        }
        return buffer.duplicate().clear();
    }

    // ---- strings ---------------------------------------------------------------------------------------------

    /** {@inheritDoc} */
    public String getStringAscii(final int index)
    {
        return getStringAscii(index, NATIVE);
    }

    /** {@inheritDoc} */
    public int getStringAscii(final int index, final Appendable appendable)
    {
        return getStringAscii(index, appendable, NATIVE);
    }

    /** {@inheritDoc} */
    public String getStringAscii(final int index, final ByteOrder byteOrder)
    {
        boundsCheck(index, STR_HEADER_LEN);
        final int length = getInt(index, byteOrder);
        return length == 0 ? "" : getStringWithoutLengthAscii(index + STR_HEADER_LEN, length);
    }

    /** {@inheritDoc} */
    public int getStringAscii(final int index, final Appendable appendable, final ByteOrder byteOrder)
    {
        boundsCheck(index, STR_HEADER_LEN);
        final int length = getInt(index, byteOrder);
        return length == 0 ? 0 : getStringWithoutLengthAscii(index + STR_HEADER_LEN, length, appendable);
    }

    /** {@inheritDoc} */
    public String getStringAscii(final int index, final int length)
    {
        boundsCheck(index + STR_HEADER_LEN, length);
        return length == 0 ? "" : getStringWithoutLengthAscii(index + STR_HEADER_LEN, length);
    }

    /** {@inheritDoc} */
    public int getStringAscii(final int index, final int length, final Appendable appendable)
    {
        boundsCheck(index, length + STR_HEADER_LEN);
        appendAscii(index + STR_HEADER_LEN, index + STR_HEADER_LEN + length, appendable);
        return length;
    }

    /** {@inheritDoc} */
    public String getStringWithoutLengthAscii(final int index, final int length)
    {
        boundsCheck(index, length);
        return length == 0 ? "" : new String(copy(index, length), StandardCharsets.US_ASCII);
    }

    /** {@inheritDoc} */
    public int getStringWithoutLengthAscii(final int index, final int length, final Appendable appendable)
    {
        boundsCheck(index, length);
        appendAscii(index, index + length, appendable);
        return length;
    }

    private void appendAscii(final int from, final int end, final Appendable appendable)
    {
        try
        {
            for (int i = from; i < end; i++)
            {
                final char c = (char)view.get(i);
                appendable.append(c > 127 ? '?' : c);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** {@inheritDoc} */
    public String getStringUtf8(final int index)
    {
        return getStringUtf8(index, NATIVE);
    }

    /** {@inheritDoc} */
    public String getStringUtf8(final int index, final ByteOrder byteOrder)
    {
        boundsCheck(index, STR_HEADER_LEN);
        final int length = getInt(index, byteOrder);
        return length == 0 ? "" : getStringWithoutLengthUtf8(index + STR_HEADER_LEN, length);
    }

    /** {@inheritDoc} */
    public String getStringUtf8(final int index, final int length)
    {
        boundsCheck(index + STR_HEADER_LEN, length);
        return new String(copy(index + STR_HEADER_LEN, length), StandardCharsets.UTF_8);
    }

    /** {@inheritDoc} */
    public String getStringWithoutLengthUtf8(final int index, final int length)
    {
        boundsCheck(index, length);
        return length == 0 ? "" : new String(copy(index, length), StandardCharsets.UTF_8);
    }

    /** {@inheritDoc} */
    public int putStringAscii(final int index, final String value)
    {
        return putStringAscii(index, (CharSequence)value, NATIVE);
    }

    /** {@inheritDoc} */
    public int putStringAscii(final int index, final CharSequence value)
    {
        return putStringAscii(index, value, NATIVE);
    }

    /** {@inheritDoc} */
    public int putStringAscii(final int index, final String value, final ByteOrder byteOrder)
    {
        return putStringAscii(index, (CharSequence)value, byteOrder);
    }

    /** {@inheritDoc} */
    public int putStringAscii(final int index, final CharSequence value, final ByteOrder byteOrder)
    {
        if (value == null)
        {
            putInt(index, 0, byteOrder);
            return STR_HEADER_LEN;
        }
        final int length = value.length();
        boundsCheck(index, STR_HEADER_LEN + length);
        putInt(index, length, byteOrder);
        putAscii(index + STR_HEADER_LEN, value, 0, length);
        return STR_HEADER_LEN + length;
    }

    /** {@inheritDoc} */
    public int putStringWithoutLengthAscii(final int index, final String value)
    {
        return putStringWithoutLengthAscii(index, (CharSequence)value);
    }

    /** {@inheritDoc} */
    public int putStringWithoutLengthAscii(final int index, final CharSequence value)
    {
        if (value == null)
        {
            return 0;
        }
        final int length = value.length();
        boundsCheck(index, length);
        putAscii(index, value, 0, length);
        return length;
    }

    /** {@inheritDoc} */
    public int putStringWithoutLengthAscii(final int index, final String value, final int valueOffset, final int length)
    {
        return putStringWithoutLengthAscii(index, (CharSequence)value, valueOffset, length);
    }

    /** {@inheritDoc} */
    public int putStringWithoutLengthAscii(
        final int index, final CharSequence value, final int valueOffset, final int length)
    {
        if (value == null)
        {
            return 0;
        }
        final int len = Math.min(value.length() - valueOffset, length);
        boundsCheck(index, len);
        putAscii(index, value, valueOffset, len);
        return len;
    }

    private void putAscii(final int index, final CharSequence value, final int valueOffset, final int length)
    {
        final ByteBuffer view = this.view;
        for (int i = 0; i < length; i++)
        {
            final char c = value.charAt(valueOffset + i);
            view.put(index + i, (byte)(c > 127 ? '?' : c));
        }
    }

    /** {@inheritDoc} */
    public int putStringUtf8(final int index, final String value)
    {
        return putStringUtf8(index, value, NATIVE, Integer.MAX_VALUE);
    }

    /** {@inheritDoc} */
    public int putStringUtf8(final int index, final String value, final ByteOrder byteOrder)
    {
        return putStringUtf8(index, value, byteOrder, Integer.MAX_VALUE);
    }

    /** {@inheritDoc} */
    public int putStringUtf8(final int index, final String value, final int maxEncodedLength)
    {
        return putStringUtf8(index, value, NATIVE, maxEncodedLength);
    }

    /** {@inheritDoc} */
    public int putStringUtf8(final int index, final String value, final ByteOrder byteOrder, final int maxEncodedLength)
    {
        final byte[] bytes = value != null ? value.getBytes(StandardCharsets.UTF_8) : NULL_BYTES;
        if (bytes.length > maxEncodedLength)
        {
            throw new IllegalArgumentException("Encoded string larger than maximum size: " + maxEncodedLength);
        }
        boundsCheck(index, STR_HEADER_LEN + bytes.length);
        putInt(index, bytes.length, byteOrder);
        putBytes(index + STR_HEADER_LEN, bytes);
        return STR_HEADER_LEN + bytes.length;
    }

    /** {@inheritDoc} */
    public int putStringWithoutLengthUtf8(final int index, final String value)
    {
        final byte[] bytes = value != null ? value.getBytes(StandardCharsets.UTF_8) : NULL_BYTES;
        putBytes(index, bytes);
        return bytes.length;
    }

    private byte[] copy(final int index, final int length)
    {
        final byte[] bytes = new byte[length];
        view.get(index, bytes, 0, length);
        return bytes;
    }

    // ---- ASCII numbers ---------------------------------------------------------------------------------------

    /** {@inheritDoc} */
    public int parseNaturalIntAscii(final int index, final int length)
    {
        return (int)parseAscii(index, length, false, INT_MAX_DIGITS, Integer.MAX_VALUE, "int");
    }

    /** {@inheritDoc} */
    public long parseNaturalLongAscii(final int index, final int length)
    {
        return parseAscii(index, length, false, LONG_MAX_DIGITS, Long.MAX_VALUE, "long");
    }

    /** {@inheritDoc} */
    public int parseIntAscii(final int index, final int length)
    {
        return (int)parseAscii(index, length, true, INT_MAX_DIGITS, Integer.MAX_VALUE, "int");
    }

    /** {@inheritDoc} */
    public long parseLongAscii(final int index, final int length)
    {
        return parseAscii(index, length, true, LONG_MAX_DIGITS, Long.MAX_VALUE, "long");
    }

    /**
     * Digits, after a '-' when signed, to at most {@code max} (or {@code -max - 1}); more than {@code maxDigits}
     * digits overflow even when they start with zeros, as in Agrona.
     */
    private long parseAscii(
        final int index, final int length, final boolean signed, final int maxDigits, final long max,
        final String type)
    {
        boundsCheck(index, length);
        if (length <= 0)
        {
            throw new AsciiNumberFormatException("empty string: index=" + index + " length=" + length);
        }
        final boolean negative = signed && view.get(index) == '-';
        final int first = negative ? index + 1 : index;
        final int end = index + length;
        if (first == end)
        {
            throw parseError(index, length, type);
        }
        if (end - first > maxDigits)
        {
            throw overflowError(index, length, type);
        }
        // Accumulates the negative value, which reaches one further than the positive.
        final long limit = negative ? -max - 1 : -max;
        long value = 0;
        boolean overflow = false;
        for (int i = first; i < end; i++)
        {
            final int digit = view.get(i) - '0';
            if (digit < 0 || digit > 9)
            {
                throw parseError(index, length, type);
            }
            if (value < (limit + digit) / 10)
            {
                overflow = true;
            }
            value = value * 10 - digit;
        }
        if (overflow || value < limit)
        {
            throw overflowError(index, length, type);
        }
        return negative ? value : -value;
    }

    private AsciiNumberFormatException parseError(final int index, final int length, final String type)
    {
        return new AsciiNumberFormatException(
            "error parsing " + type + ": " + getStringWithoutLengthAscii(index, length));
    }

    private AsciiNumberFormatException overflowError(final int index, final int length, final String type)
    {
        return new AsciiNumberFormatException(
            type + " overflow parsing: " + getStringWithoutLengthAscii(index, length));
    }

    /** {@inheritDoc} */
    public int putIntAscii(final int index, final int value)
    {
        if (value == Integer.MIN_VALUE)
        {
            putBytes(index, MIN_INT_ASCII);
            return MIN_INT_ASCII.length;
        }
        return putLongAscii(index, value);
    }

    /** {@inheritDoc} */
    public int putNaturalIntAscii(final int index, final int value)
    {
        return putNaturalLongAscii(index, value);
    }

    /** {@inheritDoc} */
    public void putNaturalPaddedIntAscii(final int offset, final int length, final int value)
    {
        boundsCheck(offset, length);
        int remainder = value;
        for (int i = offset + length - 1; i >= offset; i--)
        {
            view.put(i, (byte)('0' + remainder % 10));
            remainder /= 10;
        }
        if (remainder != 0)
        {
            throw new NumberFormatException("Cannot write " + value + " in " + length + " bytes");
        }
    }

    /** {@inheritDoc} */
    public int putNaturalIntAsciiFromEnd(final int value, final int endExclusive)
    {
        final int digits = digitCount(value);
        boundsCheck(endExclusive - digits, digits);
        int remainder = value;
        int index = endExclusive;
        while (remainder > 0)
        {
            index--;
            view.put(index, (byte)('0' + remainder % 10));
            remainder /= 10;
        }
        return index;
    }

    /** {@inheritDoc} */
    public int putNaturalLongAscii(final int index, final long value)
    {
        if (value == 0)
        {
            putByte(index, (byte)'0');
            return 1;
        }
        final int digits = digitCount(value);
        boundsCheck(index, digits);
        putDigits(index, value, digits);
        return digits;
    }

    /** {@inheritDoc} */
    public int putLongAscii(final int index, final long value)
    {
        if (value == Long.MIN_VALUE)
        {
            putBytes(index, MIN_LONG_ASCII);
            return MIN_LONG_ASCII.length;
        }
        if (value >= 0)
        {
            return putNaturalLongAscii(index, value);
        }
        final int digits = digitCount(-value);
        boundsCheck(index, digits + 1);
        view.put(index, (byte)'-');
        putDigits(index + 1, -value, digits);
        return digits + 1;
    }

    private void putDigits(final int index, final long value, final int digits)
    {
        long remainder = value;
        for (int i = index + digits - 1; i >= index; i--)
        {
            view.put(i, (byte)('0' + remainder % 10));
            remainder /= 10;
        }
    }

    private static int digitCount(final long value)
    {
        int digits = 1;
        for (long v = value; v >= 10; v /= 10)
        {
            digits++;
        }
        return digits;
    }

    // ---- as an object ----------------------------------------------------------------------------------------

    /** The same bytes in the same order, as {@code UnsafeBuffer} compares: a SafeBuffer equals only a SafeBuffer. */
    public boolean equals(final Object obj)
    {
        if (this == obj)
        {
            return true;
        }
        if (!(obj instanceof SafeBuffer))
        {
            return false;
        }
        final SafeBuffer that = (SafeBuffer)obj;
        return capacity == that.capacity && view.equals(that.view);
    }

    /** The hash {@code UnsafeBuffer} gives the same bytes. */
    public int hashCode()
    {
        final int length = capacity;
        int i = 0;
        int hashCode = 19;
        for (final int end = length & ~7; i < end; i += 8)
        {
            hashCode = 31 * hashCode + Long.hashCode(getLong(i));
        }
        for (; i < length; i++)
        {
            hashCode = 31 * hashCode + view.get(i);
        }
        return hashCode;
    }

    /** The order {@code UnsafeBuffer} gives: eight bytes at a time as native-order longs, then byte by byte. */
    public int compareTo(final DirectBuffer that)
    {
        if (this == that)
        {
            return 0;
        }
        final int thatCapacity = that.capacity();
        final int length = Math.min(capacity, thatCapacity);
        int i = 0;
        for (final int end = length & ~7; i < end; i += 8)
        {
            final int cmp = Long.compare(getLong(i), that.getLong(i));
            if (cmp != 0)
            {
                return cmp;
            }
        }
        for (; i < length; i++)
        {
            final int cmp = Byte.compare(view.get(i), that.getByte(i));
            if (cmp != 0)
            {
                return cmp;
            }
        }
        return Integer.compare(capacity, thatCapacity);
    }

    /** {@inheritDoc} */
    public String toString()
    {
        return "SafeBuffer{capacity=" + capacity + ", byteArray=" +
            (byteArray == null ? "null" : "byte[" + byteArray.length + "]") + ", byteBuffer=" + byteBuffer + '}';
    }

    /** Agrona's Unsafe addresses, loaded only when asked for: where Agrona cannot reach Unsafe this throws. */
    private static final class UnsafeAddresses
    {
        static long addressOffset(final ByteBuffer byteBuffer, final byte[] byteArray, final int wrapAdjustment)
        {
            if (byteArray != null)
            {
                return org.agrona.BufferUtil.ARRAY_BASE_OFFSET + wrapAdjustment;
            }
            return org.agrona.BufferUtil.address(byteBuffer) + wrapAdjustment;
        }
    }
}

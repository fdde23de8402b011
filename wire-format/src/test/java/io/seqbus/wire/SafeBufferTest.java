package io.seqbus.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SafeBuffer} against Agrona's {@link UnsafeBuffer} as the reference: the same random operations, every
 * method of {@link MutableDirectBuffer} with indexes in and out of bounds, on the same bytes behind each kind of
 * wrapping (a {@code byte[]} or part of one, a heap or direct ByteBuffer, a slice, a region) must give the same
 * results or the same kind of exception, and leave the same bytes, inside the view and around it.
 */
final class SafeBufferTest
{
    private static final int MAX_CAPACITY = 300;

    /** How the bytes under test are held; the same layout is built for both buffers. */
    enum Kind
    {
        BYTE_ARRAY, BYTE_ARRAY_REGION, HEAP_BYTE_BUFFER, HEAP_SLICE, HEAP_REGION, DIRECT_BYTE_BUFFER, DIRECT_REGION
    }

    /** One buffer under test with what the operations use beside it: all of it is compared after each step. */
    static final class World
    {
        final String name;
        final MutableDirectBuffer buffer;
        final MutableDirectBuffer other;
        final ByteBuffer heapTransfer;
        final ByteBuffer directTransfer;
        private final Function<Object, byte[]> storage;
        private final Object backing;
        private final Object otherBacking;
        // What was handed to wrap, and the array behind it if any: what byteBuffer() and byteArray() should return.
        private ByteBuffer wrapped;
        private byte[] array;

        World(final String name, final Kind kind, final int capacity, final long seed, final boolean safe,
            final boolean safeOther)
        {
            this.name = name;
            final Random random = new Random(seed);
            final int before = kind == Kind.BYTE_ARRAY_REGION || kind == Kind.HEAP_REGION ||
                kind == Kind.DIRECT_REGION || kind == Kind.HEAP_SLICE ? 1 + random.nextInt(9) : 0;
            final int after = before == 0 ? 0 : random.nextInt(9);
            final byte[] initial = new byte[before + capacity + after];
            random.nextBytes(initial);
            final byte[] otherInitial = new byte[capacity + random.nextInt(20)];
            random.nextBytes(otherInitial);
            switch (kind)
            {
                case BYTE_ARRAY:
                case BYTE_ARRAY_REGION:
                {
                    array = initial.clone();
                    backing = array;
                    buffer = safe ? new SafeBuffer() : new UnsafeBuffer();
                    if (kind == Kind.BYTE_ARRAY)
                    {
                        buffer.wrap(array);
                    }
                    else
                    {
                        buffer.wrap(array, before, capacity);
                    }
                    break;
                }
                case HEAP_BYTE_BUFFER:
                case HEAP_REGION:
                case DIRECT_BYTE_BUFFER:
                case DIRECT_REGION:
                {
                    final boolean direct = kind == Kind.DIRECT_BYTE_BUFFER || kind == Kind.DIRECT_REGION;
                    final ByteBuffer bytes = direct ? ByteBuffer.allocateDirect(initial.length) :
                        ByteBuffer.allocate(initial.length);
                    bytes.put(0, initial);
                    // Position and limit must not matter.
                    bytes.limit(random.nextInt(initial.length + 1));
                    bytes.position(random.nextInt(bytes.limit() + 1));
                    backing = bytes;
                    wrapped = bytes;
                    array = direct ? null : bytes.array();
                    buffer = safe ? new SafeBuffer() : new UnsafeBuffer();
                    if (before == 0)
                    {
                        buffer.wrap(bytes);
                    }
                    else
                    {
                        buffer.wrap(bytes, before, capacity);
                    }
                    break;
                }
                case HEAP_SLICE:
                {
                    final ByteBuffer whole = ByteBuffer.wrap(initial.clone());
                    backing = whole;
                    final ByteBuffer slice = whole.position(before).limit(before + capacity).slice();
                    assertThat(slice.arrayOffset()).isEqualTo(before);
                    wrapped = slice;
                    array = whole.array();
                    buffer = safe ? new SafeBuffer(slice) : new UnsafeBuffer(slice);
                    break;
                }
                default:
                    throw new IllegalArgumentException(kind.toString());
            }
            final ByteBuffer otherBytes = random.nextBoolean() ?
                ByteBuffer.allocateDirect(otherInitial.length) : ByteBuffer.allocate(otherInitial.length);
            otherBytes.put(0, otherInitial);
            otherBacking = otherBytes;
            other = safeOther ? new SafeBuffer(otherBytes) : new UnsafeBuffer(otherBytes);
            heapTransfer = ByteBuffer.allocate(MAX_CAPACITY + 16);
            directTransfer = ByteBuffer.allocateDirect(MAX_CAPACITY + 16);
            final byte[] transfer = new byte[MAX_CAPACITY + 16];
            random.nextBytes(transfer);
            for (final ByteBuffer b : new ByteBuffer[] {heapTransfer, directTransfer})
            {
                b.put(0, transfer).limit(random.nextInt(transfer.length));
                b.position(random.nextInt(b.limit() + 1));
            }
            storage = b -> b instanceof byte[] ? (byte[])b : bytesOf((ByteBuffer)b);
        }

        /** What the buffer says it wraps: capacity, byteBuffer(), byteArray(), wrapAdjustment(), addressOffset(). */
        String wrapping()
        {
            final ByteBuffer byteBuffer = buffer.byteBuffer();
            final byte[] byteArray = buffer.byteArray();
            // This JVM has the flag Agrona needs (surefire's argLine), so addressOffset can be compared too.
            final long base = wrapped != null && wrapped.isDirect() ? org.agrona.BufferUtil.address(wrapped) : 0;
            return "capacity " + buffer.capacity() +
                ", byteBuffer " + (byteBuffer == null ? "null" : byteBuffer == wrapped ? "as wrapped" : "other") +
                ", byteArray " + (byteArray == null ? "null" : byteArray == array ? "the array" : "other") +
                ", wrapAdjustment " + buffer.wrapAdjustment() + ", addressOffset base+" + (buffer.addressOffset() - base);
        }

        /** Every byte of every store, and the transfer buffers' positions and limits. */
        String state()
        {
            return Arrays.toString(storage.apply(backing)) + Arrays.toString(storage.apply(otherBacking)) +
                Arrays.toString(bytesOf(heapTransfer)) + heapTransfer + Arrays.toString(bytesOf(directTransfer)) +
                directTransfer;
        }

        private static byte[] bytesOf(final ByteBuffer buffer)
        {
            final byte[] bytes = new byte[buffer.capacity()];
            buffer.duplicate().clear().get(0, bytes);
            return bytes;
        }
    }

    /** One call, as a name for the report and what it does to a world. */
    record Op(String name, Function<World, Object> action)
    {
        Object apply(final World world)
        {
            try
            {
                final Object result = action.apply(world);
                return result instanceof byte[] ? Arrays.toString((byte[])result) : result;
            }
            catch (final IndexOutOfBoundsException ex)
            {
                return "threw IndexOutOfBoundsException";
            }
            catch (final RuntimeException ex)
            {
                return "threw " + ex.getClass().getName();
            }
        }

        @Override
        public String toString()
        {
            return name;
        }
    }

    @Property(tries = 2000)
    void behavesAsUnsafeBuffer(
        @ForAll final Kind kind, @ForAll @IntRange(max = MAX_CAPACITY) final int capacity, @ForAll final long seed,
        @ForAll final boolean safeOther, @ForAll("operations") final List<Op> operations)
    {
        final World reference = new World("UnsafeBuffer", kind, capacity, seed, false, false);
        final World subject = new World("SafeBuffer", kind, capacity, seed, true, safeOther);
        assertThat(subject.state()).isEqualTo(reference.state());
        assertThat(subject.buffer.capacity()).isEqualTo(capacity);
        assertThat(subject.wrapping()).isEqualTo(reference.wrapping());
        for (final Op op : operations)
        {
            final Object expected = op.apply(reference);
            final Object actual = op.apply(subject);
            assertThat(actual).as("%s on %s of %d bytes", op, kind, capacity).isEqualTo(expected);
            assertThat(subject.state()).as("bytes after %s on %s of %d bytes", op, kind, capacity)
                .isEqualTo(reference.state());
        }
    }

    @Property(tries = 300)
    void hashesEqualsAndOrdersAsUnsafeBuffer(
        @ForAll("contents") final byte[] a, @ForAll("contents") final byte[] b, @ForAll final boolean direct)
    {
        final SafeBuffer safeA = direct ? new SafeBuffer(directCopy(a)) : new SafeBuffer(a.clone());
        final SafeBuffer safeB = new SafeBuffer(b.clone());
        final UnsafeBuffer unsafeA = new UnsafeBuffer(a.clone());
        final UnsafeBuffer unsafeB = new UnsafeBuffer(directCopy(b));

        assertThat(safeA.hashCode()).isEqualTo(unsafeA.hashCode());
        assertThat(safeA.equals(safeB)).isEqualTo(unsafeA.equals(unsafeB));
        assertThat(safeA.equals(new SafeBuffer(a.clone()))).isTrue();
        assertThat(Integer.signum(safeA.compareTo(safeB))).isEqualTo(Integer.signum(unsafeA.compareTo(unsafeB)));
        assertThat(Integer.signum(safeA.compareTo(unsafeB))).isEqualTo(Integer.signum(unsafeA.compareTo(unsafeB)));
        assertThat(Integer.signum(unsafeA.compareTo(safeB))).isEqualTo(Integer.signum(unsafeA.compareTo(unsafeB)));
    }

    @Property(tries = 300)
    void wrapsWhatAnotherBufferWrapsAsUnsafeBufferDoes(
        @ForAll final Kind kind, @ForAll @IntRange(max = 64) final int capacity, @ForAll final long seed,
        @ForAll @IntRange(max = 64) final int offset, @ForAll @IntRange(max = 64) final int length,
        @ForAll final boolean fromSafe)
    {
        final World world = new World("source", kind, capacity, seed, fromSafe, false);
        final DirectBuffer source = world.buffer;
        final UnsafeBuffer reference = new UnsafeBuffer();
        final SafeBuffer subject = new SafeBuffer();
        final Object expected = new Op("wrap", w ->
        {
            reference.wrap(source, offset, length);
            return null;
        }).apply(world);
        final Object actual = new Op("wrap", w ->
        {
            subject.wrap(source, offset, length);
            return null;
        }).apply(world);
        assertThat(actual).isEqualTo(expected);
        if (expected == null)
        {
            assertThat(subject.capacity()).isEqualTo(reference.capacity());
            assertThat(subject.wrapAdjustment()).isEqualTo(reference.wrapAdjustment());
            assertThat(subject.byteArray()).isSameAs(reference.byteArray());
            assertThat(subject.byteBuffer()).isSameAs(reference.byteBuffer());
            assertThat(subject.addressOffset()).isEqualTo(reference.addressOffset());
            for (int i = 0; i < length; i++)
            {
                assertThat(subject.getByte(i)).isEqualTo(reference.getByte(i));
            }
            // Writes through the view land in the source's bytes.
            if (length > 0)
            {
                subject.putByte(length - 1, (byte)(subject.getByte(length - 1) + 1));
                assertThat(source.getByte(offset + length - 1)).isEqualTo(subject.getByte(length - 1));
            }
        }
        final SafeBuffer whole = new SafeBuffer(source);
        assertThat(whole.capacity()).isEqualTo(source.capacity());
        assertThat(whole.wrapAdjustment()).isEqualTo(source.wrapAdjustment());
    }

    @Test
    void wrapsByteArraysAndByteBuffersAsUnsafeBufferDoes()
    {
        final byte[] array = new byte[16];
        for (final int[] bad : new int[][] {{-1, 4}, {0, -1}, {10, 7}, {17, 0}})
        {
            assertThatThrownBy(() -> new SafeBuffer(array, bad[0], bad[1])).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> new UnsafeBuffer(array, bad[0], bad[1])).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> new SafeBuffer(ByteBuffer.allocateDirect(16), bad[0], bad[1]))
                .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> new UnsafeBuffer(ByteBuffer.allocateDirect(16), bad[0], bad[1]))
                .isInstanceOf(IndexOutOfBoundsException.class);
        }
        final SafeBuffer buffer = new SafeBuffer();
        assertThat(buffer.capacity()).isZero();
        assertThat(buffer.isExpandable()).isFalse();
        buffer.wrap(array, 3, 5);
        assertThat(buffer.capacity()).isEqualTo(5);
        assertThat(buffer.wrapAdjustment()).isEqualTo(3);
        assertThat(buffer.byteBuffer()).isNull();
        buffer.putByte(0, (byte)7);
        assertThat(array[3]).isEqualTo((byte)7);
        buffer.wrap(array);
        assertThat(buffer.capacity()).isEqualTo(16);
        assertThat(buffer.wrapAdjustment()).isZero();
        assertThat(buffer.getByte(3)).isEqualTo((byte)7);
        assertThat(buffer.toString()).contains("capacity=16", "byte[16]");
    }

    @Test
    void aRawAddressCannotBeWrapped()
    {
        final UnsafeBuffer offHeap = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer byAddress = new UnsafeBuffer(offHeap.addressOffset(), 16);
        assertThatThrownBy(() -> new SafeBuffer().wrap(offHeap.addressOffset(), 16))
            .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new SafeBuffer(byAddress)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aReadOnlyByteBufferStaysReadOnly()
    {
        final SafeBuffer buffer = new SafeBuffer(ByteBuffer.allocate(8).putInt(0, 42).asReadOnlyBuffer());
        assertThat(buffer.getInt(0)).isEqualTo(ByteBuffer.allocate(4).putInt(0, 42).order(ByteOrder.nativeOrder())
            .getInt(0));
        assertThatThrownBy(() -> buffer.putInt(0, 1)).isInstanceOf(java.nio.ReadOnlyBufferException.class);
        assertThat(buffer.byteArray()).isNull();
    }

    @Provide
    Arbitrary<byte[]> contents()
    {
        // Few distinct values, so equal prefixes and equal buffers come up.
        return Arbitraries.bytes().between((byte)-2, (byte)2).array(byte[].class).ofMaxSize(40);
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        return Arbitraries.oneOf(ops()).list().ofMinSize(1).ofMaxSize(24);
    }

    private static ByteBuffer directCopy(final byte[] bytes)
    {
        return ByteBuffer.allocateDirect(bytes.length).put(0, bytes);
    }

    // ---- the operations -------------------------------------------------------------------------------------

    /** Indexes and lengths around any capacity the test uses, a few of them out of bounds. */
    private static Arbitrary<Integer> index()
    {
        return Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.integers().between(0, MAX_CAPACITY)),
            Tuple.of(4, Arbitraries.integers().between(0, 24)),
            Tuple.of(1, Arbitraries.of(-1, -8, Integer.MIN_VALUE, Integer.MAX_VALUE, MAX_CAPACITY + 1)));
    }

    private static Arbitrary<Integer> length()
    {
        return Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.integers().between(0, 40)),
            Tuple.of(2, Arbitraries.integers().between(0, MAX_CAPACITY)),
            Tuple.of(1, Arbitraries.of(-1, Integer.MAX_VALUE)));
    }

    private static Arbitrary<ByteOrder> order()
    {
        return Arbitraries.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN);
    }

    private static Arbitrary<String> text()
    {
        return Arbitraries.oneOf(
            Arbitraries.strings().ascii().ofMaxLength(30),
            Arbitraries.strings().all().ofMaxLength(12),
            Arbitraries.just(null));
    }

    /** ASCII that is mostly a number, sometimes with a sign, a stray character or too many digits. */
    private static Arbitrary<String> numberText()
    {
        return Arbitraries.oneOf(
            Arbitraries.integers().map(String::valueOf),
            Arbitraries.longs().map(String::valueOf),
            Arbitraries.of("0", "-0", "-", "+1", "2147483647", "2147483648", "-2147483648", "-2147483649",
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                "00000000000000000001", "0000000001", "12a4", "99999999999", "1 2"),
            Arbitraries.strings().withChars("0123456789-").ofMinLength(1).ofMaxLength(22));
    }

    private static List<Arbitrary<Op>> ops()
    {
        final Arbitrary<Integer> i = index();
        final Arbitrary<Integer> n = length();
        final Arbitrary<ByteOrder> o = order();
        final List<Arbitrary<Op>> ops = new ArrayList<>();
        // Fixed-size values, in an explicit order and in the native one.
        ops.add(i.map(x -> op("getByte", w -> w.buffer.getByte(x), x)));
        ops.add(Combinators.combine(i, Arbitraries.bytes()).as((x, v) -> op("putByte", w -> put(() -> w.buffer.putByte(x, v)), x, v)));
        ops.add(Combinators.combine(i, o).as((x, bo) -> op("getShort", w -> w.buffer.getShort(x, bo), x, bo)));
        ops.add(i.map(x -> op("getShort", w -> w.buffer.getShort(x), x)));
        ops.add(Combinators.combine(i, Arbitraries.shorts(), o).as((x, v, bo) -> op("putShort", w -> put(() -> w.buffer.putShort(x, v, bo)), x, v, bo)));
        ops.add(Combinators.combine(i, Arbitraries.shorts()).as((x, v) -> op("putShort", w -> put(() -> w.buffer.putShort(x, v)), x, v)));
        ops.add(Combinators.combine(i, o).as((x, bo) -> op("getChar", w -> (int)w.buffer.getChar(x, bo), x, bo)));
        ops.add(i.map(x -> op("getChar", w -> (int)w.buffer.getChar(x), x)));
        ops.add(Combinators.combine(i, Arbitraries.chars(), o).as((x, v, bo) -> op("putChar", w -> put(() -> w.buffer.putChar(x, v, bo)), x, (int)v, bo)));
        ops.add(Combinators.combine(i, Arbitraries.chars()).as((x, v) -> op("putChar", w -> put(() -> w.buffer.putChar(x, v)), x, (int)v)));
        ops.add(Combinators.combine(i, o).as((x, bo) -> op("getInt", w -> w.buffer.getInt(x, bo), x, bo)));
        ops.add(i.map(x -> op("getInt", w -> w.buffer.getInt(x), x)));
        ops.add(Combinators.combine(i, Arbitraries.integers(), o).as((x, v, bo) -> op("putInt", w -> put(() -> w.buffer.putInt(x, v, bo)), x, v, bo)));
        ops.add(Combinators.combine(i, Arbitraries.integers()).as((x, v) -> op("putInt", w -> put(() -> w.buffer.putInt(x, v)), x, v)));
        ops.add(Combinators.combine(i, o).as((x, bo) -> op("getLong", w -> w.buffer.getLong(x, bo), x, bo)));
        ops.add(i.map(x -> op("getLong", w -> w.buffer.getLong(x), x)));
        ops.add(Combinators.combine(i, Arbitraries.longs(), o).as((x, v, bo) -> op("putLong", w -> put(() -> w.buffer.putLong(x, v, bo)), x, v, bo)));
        ops.add(Combinators.combine(i, Arbitraries.longs()).as((x, v) -> op("putLong", w -> put(() -> w.buffer.putLong(x, v)), x, v)));
        ops.add(Combinators.combine(i, o).as((x, bo) -> op("getFloat", w -> Float.floatToIntBits(w.buffer.getFloat(x, bo)), x, bo)));
        ops.add(i.map(x -> op("getFloat", w -> Float.floatToIntBits(w.buffer.getFloat(x)), x)));
        ops.add(Combinators.combine(i, Arbitraries.floats(), o).as((x, v, bo) -> op("putFloat", w -> put(() -> w.buffer.putFloat(x, v, bo)), x, v, bo)));
        ops.add(Combinators.combine(i, Arbitraries.floats()).as((x, v) -> op("putFloat", w -> put(() -> w.buffer.putFloat(x, v)), x, v)));
        ops.add(Combinators.combine(i, o).as((x, bo) -> op("getDouble", w -> Double.doubleToLongBits(w.buffer.getDouble(x, bo)), x, bo)));
        ops.add(i.map(x -> op("getDouble", w -> Double.doubleToLongBits(w.buffer.getDouble(x)), x)));
        ops.add(Combinators.combine(i, Arbitraries.doubles(), o).as((x, v, bo) -> op("putDouble", w -> put(() -> w.buffer.putDouble(x, v, bo)), x, v, bo)));
        ops.add(Combinators.combine(i, Arbitraries.doubles()).as((x, v) -> op("putDouble", w -> put(() -> w.buffer.putDouble(x, v)), x, v)));

        // Bytes in bulk: arrays, ByteBuffers (their limit must not matter), itself (overlapping), another buffer.
        ops.add(Combinators.combine(i, n, Arbitraries.bytes()).as((x, len, v) -> op("setMemory", w -> put(() -> w.buffer.setMemory(x, len, v)), x, len, v)));
        ops.add(Combinators.combine(i, n).as((x, len) -> op("getBytes(byte[len])", w ->
        {
            final byte[] dst = new byte[Math.max(0, Math.min(len, 1000))];
            w.buffer.getBytes(x, dst);
            return dst;
        }, x, len)));
        ops.add(Combinators.combine(i, n, Arbitraries.integers().between(-1, 20)).as((x, len, off) -> op("getBytes(byte[], off, len)", w ->
        {
            final byte[] dst = new byte[40];
            w.buffer.getBytes(x, dst, off, len);
            return dst;
        }, x, off, len)));
        ops.add(Combinators.combine(i, Arbitraries.bytes().array(byte[].class).ofMaxSize(40)).as((x, src) -> op("putBytes(byte[])", w -> put(() -> w.buffer.putBytes(x, src)), x, src.length)));
        ops.add(Combinators.combine(i, n, Arbitraries.integers().between(-1, 20)).as((x, len, off) -> op("putBytes(byte[], off, len)", w ->
        {
            final byte[] src = new byte[40];
            new Random(x).nextBytes(src);
            return put(() -> w.buffer.putBytes(x, src, off, len));
        }, x, off, len)));
        for (final boolean direct : new boolean[] {false, true})
        {
            final String which = direct ? "direct" : "heap";
            ops.add(Combinators.combine(i, n, Arbitraries.integers().between(-1, MAX_CAPACITY + 20)).as((x, len, at) -> op("getBytes(" + which + " ByteBuffer, at, len)", w -> put(() -> w.buffer.getBytes(x, transfer(w, direct), at, len)), x, at, len)));
            ops.add(Combinators.combine(i, n).as((x, len) -> op("getBytes(" + which + " ByteBuffer, len)", w -> put(() -> w.buffer.getBytes(x, transfer(w, direct), len)), x, len)));
            ops.add(Combinators.combine(i, n, Arbitraries.integers().between(-1, MAX_CAPACITY + 20)).as((x, len, at) -> op("putBytes(" + which + " ByteBuffer, at, len)", w -> put(() -> w.buffer.putBytes(x, transfer(w, direct), at, len)), x, at, len)));
            ops.add(Combinators.combine(i, n).as((x, len) -> op("putBytes(" + which + " ByteBuffer, len)", w -> put(() -> w.buffer.putBytes(x, transfer(w, direct), len)), x, len)));
        }
        ops.add(Combinators.combine(i, i, n).as((x, from, len) -> op("putBytes(itself)", w -> put(() -> w.buffer.putBytes(x, w.buffer, from, len)), x, from, len)));
        ops.add(Combinators.combine(i, i, n).as((x, from, len) -> op("putBytes(other)", w -> put(() -> w.buffer.putBytes(x, w.other, from, len)), x, from, len)));
        ops.add(Combinators.combine(i, i, n).as((x, to, len) -> op("getBytes(other)", w -> put(() -> w.buffer.getBytes(x, w.other, to, len)), x, to, len)));
        ops.add(Combinators.combine(i, i, n).as((x, from, len) -> op("other.putBytes(buffer)", w -> put(() -> w.other.putBytes(x, w.buffer, from, len)), x, from, len)));

        // Strings with and without a length in front, ASCII and UTF-8; written then read back, or read from what is there.
        final Arbitrary<String> t = text();
        ops.add(Combinators.combine(i, t, o).as((x, s, bo) -> op("putStringAscii+get", w -> List.of(
            call(() -> w.buffer.putStringAscii(x, s, bo)), call(() -> w.buffer.getStringAscii(x, bo)),
            call(() -> appended(sb -> w.buffer.getStringAscii(x, sb, bo)))), x, s, bo)));
        ops.add(Combinators.combine(i, t).as((x, s) -> op("putStringAscii(CharSequence)+get", w -> List.of(
            call(() -> w.buffer.putStringAscii(x, (CharSequence)(s == null ? null : new StringBuilder(s)))),
            call(() -> w.buffer.getStringAscii(x)), call(() -> appended(sb -> w.buffer.getStringAscii(x, sb)))), x, s)));
        ops.add(Combinators.combine(i, t, o).as((x, s, bo) -> op("putStringAscii(CharSequence, order)", w -> call(() -> w.buffer.putStringAscii(x, (CharSequence)(s == null ? null : new StringBuilder(s)), bo)), x, s, bo)));
        ops.add(Combinators.combine(i, t).as((x, s) -> op("putStringAscii(String)", w -> call(() -> w.buffer.putStringAscii(x, s)), x, s)));
        ops.add(Combinators.combine(i, n).as((x, len) -> op("getStringAscii(len)", w -> List.of(call(() -> w.buffer.getStringAscii(x, len)),
            call(() -> appended(sb -> w.buffer.getStringAscii(x, len, sb)))), x, len)));
        ops.add(i.map(x -> op("getStringAscii", w -> List.of(call(() -> w.buffer.getStringAscii(x)),
            call(() -> appended(sb -> w.buffer.getStringAscii(x, sb)))), x)));
        ops.add(Combinators.combine(i, t).as((x, s) -> op("putStringWithoutLengthAscii", w -> List.of(
            call(() -> w.buffer.putStringWithoutLengthAscii(x, s)),
            call(() -> w.buffer.putStringWithoutLengthAscii(x, (CharSequence)(s == null ? null : new StringBuilder(s))))), x, s)));
        ops.add(Combinators.combine(i, t, Arbitraries.integers().between(0, 8), n).as((x, s, from, len) -> op("putStringWithoutLengthAscii(part)", w -> List.of(
            call(() -> w.buffer.putStringWithoutLengthAscii(x, s, s == null ? 0 : Math.min(from, s.length()), len)),
            call(() -> w.buffer.putStringWithoutLengthAscii(x, (CharSequence)(s == null ? null : new StringBuilder(s)),
                s == null ? 0 : Math.min(from, s.length()), len))), x, s, from, len)));
        ops.add(Combinators.combine(i, n).as((x, len) -> op("getStringWithoutLengthAscii", w -> List.of(
            call(() -> w.buffer.getStringWithoutLengthAscii(x, len)),
            call(() -> appended(sb -> w.buffer.getStringWithoutLengthAscii(x, len, sb)))), x, len)));
        ops.add(Combinators.combine(i, t, o).as((x, s, bo) -> op("putStringUtf8+get", w -> List.of(
            call(() -> w.buffer.putStringUtf8(x, s, bo)), call(() -> w.buffer.getStringUtf8(x, bo))), x, s, bo)));
        ops.add(Combinators.combine(i, t).as((x, s) -> op("putStringUtf8(String)+get", w -> List.of(
            call(() -> w.buffer.putStringUtf8(x, s)), call(() -> w.buffer.getStringUtf8(x))), x, s)));
        ops.add(Combinators.combine(i, t, n).as((x, s, max) -> op("putStringUtf8(max)", w -> List.of(
            call(() -> w.buffer.putStringUtf8(x, s, max)),
            call(() -> w.buffer.putStringUtf8(x, s, ByteOrder.BIG_ENDIAN, max))), x, s, max)));
        ops.add(Combinators.combine(i, n).as((x, len) -> op("getStringUtf8(len)", w -> call(() -> w.buffer.getStringUtf8(x, len)), x, len)));
        ops.add(Combinators.combine(i, t).as((x, s) -> op("putStringWithoutLengthUtf8+get", w -> List.of(
            call(() -> w.buffer.putStringWithoutLengthUtf8(x, s)),
            call(() -> w.buffer.getStringWithoutLengthUtf8(x, s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length))), x, s)));
        ops.add(Combinators.combine(i, n).as((x, len) -> op("getStringWithoutLengthUtf8", w -> call(() -> w.buffer.getStringWithoutLengthUtf8(x, len)), x, len)));

        // Numbers in ASCII: written then parsed, or parsed from text put there.
        ops.add(Combinators.combine(i, Arbitraries.integers()).as((x, v) -> op("putIntAscii+parse", w -> List.of(
            call(() -> w.buffer.putIntAscii(x, v)), call(() -> w.buffer.parseIntAscii(x, String.valueOf(v).length()))), x, v)));
        ops.add(Combinators.combine(i, Arbitraries.integers().greaterOrEqual(0)).as((x, v) -> op("putNaturalIntAscii+parse", w -> List.of(
            call(() -> w.buffer.putNaturalIntAscii(x, v)), call(() -> w.buffer.parseNaturalIntAscii(x, String.valueOf(v).length()))), x, v)));
        ops.add(Combinators.combine(i, Arbitraries.longs()).as((x, v) -> op("putLongAscii+parse", w -> List.of(
            call(() -> w.buffer.putLongAscii(x, v)), call(() -> w.buffer.parseLongAscii(x, String.valueOf(v).length()))), x, v)));
        ops.add(Combinators.combine(i, Arbitraries.longs().greaterOrEqual(0)).as((x, v) -> op("putNaturalLongAscii+parse", w -> List.of(
            call(() -> w.buffer.putNaturalLongAscii(x, v)), call(() -> w.buffer.parseNaturalLongAscii(x, String.valueOf(v).length()))), x, v)));
        ops.add(Combinators.combine(i, Arbitraries.integers().between(-1, 12), Arbitraries.integers().greaterOrEqual(0)).as((x, len, v) -> op("putNaturalPaddedIntAscii", w -> put(() -> w.buffer.putNaturalPaddedIntAscii(x, len, v)), x, len, v)));
        ops.add(Combinators.combine(Arbitraries.integers().greaterOrEqual(0), i).as((v, end) -> op("putNaturalIntAsciiFromEnd", w -> call(() -> w.buffer.putNaturalIntAsciiFromEnd(v, end)), v, end)));
        ops.add(Combinators.combine(i, numberText()).as((x, s) -> op("parse", w -> List.of(
            call(() -> w.buffer.putStringWithoutLengthAscii(x, s)),
            call(() -> w.buffer.parseIntAscii(x, s.length())), call(() -> w.buffer.parseNaturalIntAscii(x, s.length())),
            call(() -> w.buffer.parseLongAscii(x, s.length())), call(() -> w.buffer.parseNaturalLongAscii(x, s.length()))), x, s)));
        ops.add(Combinators.combine(i, n).as((x, len) -> op("parse what is there", w -> List.of(
            call(() -> w.buffer.parseIntAscii(x, len)), call(() -> w.buffer.parseNaturalIntAscii(x, len)),
            call(() -> w.buffer.parseLongAscii(x, len)), call(() -> w.buffer.parseNaturalLongAscii(x, len))), x, len)));

        // Checks and the object methods.
        ops.add(Combinators.combine(i, n).as((x, len) -> op("boundsCheck", w -> put(() -> w.buffer.boundsCheck(x, len)), x, len)));
        ops.add(i.map(x -> op("checkLimit", w -> put(() -> w.buffer.checkLimit(x)), x)));
        ops.add(Arbitraries.just(op("capacity, isExpandable, hashCode", w -> List.of(
            w.buffer.capacity(), w.buffer.isExpandable(), w.buffer.hashCode()))));
        return ops;
    }

    private static Op op(final String name, final Function<World, Object> action, final Object... args)
    {
        return new Op(name + Arrays.toString(args), action);
    }

    private static Object put(final Runnable write)
    {
        write.run();
        return "done";
    }

    /** The result, or the kind of exception, so one failure in a list does not hide the others. */
    private static Object call(final java.util.function.Supplier<Object> read)
    {
        try
        {
            return read.get();
        }
        catch (final IndexOutOfBoundsException ex)
        {
            return "threw IndexOutOfBoundsException";
        }
        catch (final RuntimeException ex)
        {
            return "threw " + ex.getClass().getName();
        }
    }

    private static String appended(final java.util.function.ToIntFunction<StringBuilder> read)
    {
        final StringBuilder sb = new StringBuilder();
        final int count = read.applyAsInt(sb);
        return count + ":" + sb;
    }

    private static ByteBuffer transfer(final World world, final boolean direct)
    {
        return direct ? world.directTransfer : world.heapTransfer;
    }
}

package io.seqbus.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;

import io.seqbus.wire.FrameValidator.Direction;
import io.seqbus.wire.WireModel.Deliver;
import io.seqbus.wire.WireModel.Err;
import io.seqbus.wire.WireModel.Frame;
import io.seqbus.wire.WireModel.Gap;
import io.seqbus.wire.WireModel.Hello;
import io.seqbus.wire.WireModel.Ping;
import io.seqbus.wire.WireModel.Publish;
import io.seqbus.wire.WireModel.Subscribe;
import io.seqbus.wire.WireModel.Unsubscribe;
import io.seqbus.wire.WireModel.Welcome;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the codecs and the validator over random frames: what is encoded validates and
 * decodes to the same values; batches iterate back in order; and no damage to a datagram makes
 * the validator throw or answer anything but a defined code.
 */
final class CodecPropertiesTest
{
    /** Room for the largest generated frame (a DELIVER with a 255-byte topic and a 4 KB payload). */
    private static final int SCRATCH = 8192;
    private static final byte FILL = (byte)0x5A;

    @Property
    void helloRoundTrips(@ForAll("hellos") final Hello frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void welcomeRoundTrips(@ForAll("welcomes") final Welcome frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void subscribeRoundTrips(@ForAll("subscribes") final Subscribe frame, @ForAll @IntRange(max = 16) final int offset)
    {
        assertThat(Topics.isValidPattern(frame.pattern())).as("generated pattern %s", frame.pattern()).isTrue();
        roundTrip(frame, offset);
    }

    @Property
    void unsubscribeRoundTrips(
        @ForAll("unsubscribes") final Unsubscribe frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void publishRoundTrips(@ForAll("publishes") final Publish frame, @ForAll @IntRange(max = 16) final int offset)
    {
        assertThat(Topics.isValidTopic(frame.topic())).as("generated topic %s", frame.topic()).isTrue();
        roundTrip(frame, offset);
    }

    @Property
    void deliverRoundTrips(@ForAll("delivers") final Deliver frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void gapRoundTrips(@ForAll("gaps") final Gap frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void errorRoundTrips(@ForAll("errors") final Err frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void pingAndPongRoundTrip(@ForAll("pings") final Ping frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset);
    }

    @Property
    void errorReasonsAreCutToTheLimitOnACodePointBoundary(@ForAll("longReasons") final String reason)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ErrorFrame.REASON_OFFSET + Protocol.MAX_REASON_LENGTH]);
        final int length = ErrorFrame.encode(buffer, 0, ErrorCode.INTERNAL_ERROR, 0, reason);
        final ErrorFrame frame = (ErrorFrame)new ErrorFrame().wrap(buffer, 0);

        assertThat(new FrameValidator(Direction.FROM_BROKER).validate(buffer, 0, length)).isZero();
        assertThat(frame.reasonLength()).isLessThanOrEqualTo(Protocol.MAX_REASON_LENGTH);
        assertThat(WireStrings.isValidUtf8(buffer, ErrorFrame.REASON_OFFSET, frame.reasonLength())).isTrue();
        // Cut whole characters only, and no more than needed: at most 3 bytes short of the limit.
        assertThat(reason).startsWith(frame.reason());
        assertThat(frame.reasonLength()).isGreaterThanOrEqualTo(
            Math.min(WireArbitraries.utf8Length(reason), Protocol.MAX_REASON_LENGTH - 3));
    }

    @Property
    void batchesValidateAndIterateInOrder(@ForAll("batches") final Batch batch)
    {
        final UnsafeBuffer datagram = new UnsafeBuffer(batch.bytes());
        assertThat(new FrameValidator(batch.direction()).validate(datagram, 0, datagram.capacity())).isZero();
        assertThat(decodeAll(datagram)).isEqualTo(batch.frames());
    }

    @Property
    void damagedDatagramsGetADefinedAnswerAndNeverAnException(
        @ForAll("batches") final Batch batch, @ForAll("mutations") final List<Mutation> mutations)
    {
        byte[] bytes = batch.bytes();
        for (final Mutation m : mutations)
        {
            bytes = m.apply(bytes);
        }
        // Exact size: a read past the datagram throws rather than reading stale bytes.
        final UnsafeBuffer datagram = new UnsafeBuffer(bytes);
        final int code = new FrameValidator(batch.direction()).validate(datagram, 0, bytes.length);

        // INVALID_HEADERS: a flipped bit can set a frame's HEADERS flag, and from a broker the block is checked here
        // (jqwik found it with seed 6172352453199052512).
        assertThat(code).isIn(
            0, ErrorCode.TRUNCATED_FRAME, ErrorCode.BAD_FRAME_LENGTH, ErrorCode.UNKNOWN_FRAME_TYPE,
            ErrorCode.PROTOCOL_VIOLATION, ErrorCode.DESCRIPTOR_MISMATCH, ErrorCode.INVALID_HEADERS);
        if (code == 0)
        {
            // What passes validation must be safe to decode: every getter stays inside the datagram.
            decodeAll(datagram);
        }
    }

    @Property
    void aFrameLengthPastTheDatagramIsTruncatedFrame(
        @ForAll("batches") final Batch batch, @ForAll @IntRange(max = 1000) final int which,
        @ForAll("u32Fractions") final double where)
    {
        final byte[] bytes = batch.bytes();
        final List<Integer> starts = frameStarts(bytes);
        final int at = starts.get(which % starts.size());
        final long remaining = bytes.length - at;
        // Any u32 beyond what is left, up to 0xFFFFFFFF, which a Java int reads as negative.
        final long length = remaining + 1 + (long)(where * (0xFFFFFFFFL - remaining - 1));
        final UnsafeBuffer datagram = new UnsafeBuffer(bytes);
        datagram.putInt(at, (int)length, Protocol.BYTE_ORDER);

        assertThat(new FrameValidator(batch.direction()).validate(datagram, 0, bytes.length))
            .as("frame_length %d with %d bytes left", length, remaining)
            .isEqualTo(ErrorCode.TRUNCATED_FRAME);
    }

    @Property
    void cutDatagramsAreTruncatedUnlessCutBetweenFrames(
        @ForAll("batches") final Batch batch, @ForAll @IntRange(max = Integer.MAX_VALUE - 1) final int cut)
    {
        final byte[] bytes = batch.bytes();
        final int length = cut % bytes.length;
        final int code = new FrameValidator(batch.direction())
            .validate(new UnsafeBuffer(Arrays.copyOf(bytes, length)), 0, length);
        final boolean atBoundary = length > 0 && frameStarts(bytes).contains(length);

        assertThat(code).isEqualTo(atBoundary ? 0 : ErrorCode.TRUNCATED_FRAME);
    }

    private static void roundTrip(final Frame frame, final int offset)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SCRATCH]);
        buffer.setMemory(0, SCRATCH, FILL);
        final int length = frame.encode(buffer, offset);

        assertThat(length).isEqualTo(Protocol.frameLength(buffer, offset));
        assertThat(Protocol.frameType(buffer, offset)).isEqualTo(frame.type());
        for (int i = 0; i < SCRATCH; i++)
        {
            if (i < offset || i >= offset + length)
            {
                assertThat(buffer.getByte(i)).as("byte %d outside the frame", i).isEqualTo(FILL);
            }
        }
        if (FrameType.isSentByClient(frame.type()))
        {
            assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, offset, length)).isZero();
        }
        if (FrameType.isSentByBroker(frame.type()))
        {
            assertThat(new FrameValidator(Direction.FROM_BROKER).validate(buffer, offset, length)).isZero();
        }
        assertThat(WireModel.decode(buffer, offset)).isEqualTo(frame);
    }

    private static List<Frame> decodeAll(final UnsafeBuffer datagram)
    {
        final List<Frame> frames = new ArrayList<>();
        for (int at = 0; at < datagram.capacity(); at += Protocol.frameLength(datagram, at))
        {
            frames.add(WireModel.decode(datagram, at));
        }
        return frames;
    }

    private static List<Integer> frameStarts(final byte[] bytes)
    {
        final UnsafeBuffer datagram = new UnsafeBuffer(bytes);
        final List<Integer> starts = new ArrayList<>();
        for (int at = 0; at < bytes.length; at += Protocol.frameLength(datagram, at))
        {
            starts.add(at);
        }
        return starts;
    }

    /** Several frames of one direction, back to back in one datagram. */
    record Batch(Direction direction, List<Frame> frames, byte[] bytes)
    {
        static Batch of(final Direction direction, final List<Frame> frames)
        {
            final UnsafeBuffer scratch = new UnsafeBuffer(new byte[frames.size() * SCRATCH]);
            int length = 0;
            for (final Frame frame : frames)
            {
                length += frame.encode(scratch, length);
            }
            return new Batch(direction, frames, Arrays.copyOf(scratch.byteArray(), length));
        }

        @Override
        public String toString()
        {
            return direction + " " + frames;
        }
    }

    /** One kind of damage to a datagram. */
    interface Mutation
    {
        byte[] apply(byte[] bytes);
    }

    record Flip(int index, int mask) implements Mutation
    {
        public byte[] apply(final byte[] bytes)
        {
            if (bytes.length > 0)
            {
                bytes[index % bytes.length] ^= (byte)mask;
            }
            return bytes;
        }
    }

    record Truncate(int newLength) implements Mutation
    {
        public byte[] apply(final byte[] bytes)
        {
            return Arrays.copyOf(bytes, bytes.length == 0 ? 0 : newLength % bytes.length);
        }
    }

    record Extend(byte[] tail) implements Mutation
    {
        public byte[] apply(final byte[] bytes)
        {
            final byte[] longer = Arrays.copyOf(bytes, bytes.length + tail.length);
            System.arraycopy(tail, 0, longer, bytes.length, tail.length);
            return longer;
        }

        @Override
        public String toString()
        {
            return "Extend" + Arrays.toString(tail);
        }
    }

    /** Overwrites a u32 at a random place: most often lands on a length field of some kind. */
    record PutInt(int index, int value) implements Mutation
    {
        public byte[] apply(final byte[] bytes)
        {
            if (bytes.length >= 4)
            {
                new UnsafeBuffer(bytes).putInt(index % (bytes.length - 3), value, Protocol.BYTE_ORDER);
            }
            return bytes;
        }
    }

    @Provide
    Arbitrary<Hello> hellos()
    {
        return WireArbitraries.hellos();
    }

    @Provide
    Arbitrary<Welcome> welcomes()
    {
        return WireArbitraries.welcomes();
    }

    @Provide
    Arbitrary<Subscribe> subscribes()
    {
        return WireArbitraries.subscribes();
    }

    @Provide
    Arbitrary<Unsubscribe> unsubscribes()
    {
        return WireArbitraries.unsubscribes();
    }

    @Provide
    Arbitrary<Publish> publishes()
    {
        return WireArbitraries.publishes();
    }

    @Provide
    Arbitrary<Deliver> delivers()
    {
        return WireArbitraries.delivers();
    }

    @Provide
    Arbitrary<Gap> gaps()
    {
        return WireArbitraries.gaps();
    }

    @Provide
    Arbitrary<Err> errors()
    {
        return WireArbitraries.errors();
    }

    @Provide
    Arbitrary<Ping> pings()
    {
        return WireArbitraries.pings();
    }

    @Provide
    Arbitrary<Batch> batches()
    {
        final Arbitrary<Batch> fromClient = WireArbitraries.clientFrames().list().ofMinSize(1).ofMaxSize(12)
            .map(frames -> Batch.of(Direction.FROM_CLIENT, frames));
        final Arbitrary<Batch> fromBroker = WireArbitraries.brokerFrames().list().ofMinSize(1).ofMaxSize(12)
            .map(frames -> Batch.of(Direction.FROM_BROKER, frames));
        return Arbitraries.oneOf(fromClient, fromBroker);
    }

    @Provide
    Arbitrary<List<Mutation>> mutations()
    {
        final Arbitrary<Integer> index = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        final Arbitrary<Mutation> flip = Combinators.combine(index, Arbitraries.integers().between(1, 255))
            .as(Flip::new);
        final Arbitrary<Mutation> truncate = index.map(Truncate::new);
        final Arbitrary<Mutation> extend = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(64)
            .map(Extend::new);
        final Arbitrary<Mutation> putInt = Combinators.combine(index, Arbitraries.integers()).as(PutInt::new);
        return Arbitraries.oneOf(List.of(flip, truncate, extend, putInt)).list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<String> longReasons()
    {
        return WireArbitraries.codePoints(0).list().ofMaxSize(3 * Protocol.MAX_REASON_LENGTH).map(cps ->
        {
            final StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Provide
    Arbitrary<Double> u32Fractions()
    {
        return Arbitraries.doubles().between(0, 1);
    }
}

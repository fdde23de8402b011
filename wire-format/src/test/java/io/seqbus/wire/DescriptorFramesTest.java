package io.seqbus.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;

import io.seqbus.wire.CodecPropertiesTest.Batch;
import io.seqbus.wire.FrameValidator.Direction;
import io.seqbus.wire.WireModel.Bytes;
import io.seqbus.wire.WireModel.DeliverFds;
import io.seqbus.wire.WireModel.Fds;
import io.seqbus.wire.WireModel.Frame;
import io.seqbus.wire.WireModel.Origin;
import io.seqbus.wire.WireModel.PublishFds;
import io.seqbus.wire.WireModel.Welcome;
import io.seqbus.wire.WireModel.WelcomeDescriptors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PUBLISH_FDS, DELIVER_FDS and WELCOME's descriptor-limits trailer (SPEC.md, "Descriptors"): they round-trip, and the
 * validator holds a datagram's descriptor frames to exactly the descriptors that came with it.
 */
final class DescriptorFramesTest
{
    private static final int SCRATCH = 8192;
    private static final byte FILL = (byte)0x5A;

    @Property
    void publishFdsRoundTrips(
        @ForAll("publishFds") final PublishFds frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset, Direction.FROM_CLIENT);
    }

    @Property
    void deliverFdsRoundTrips(
        @ForAll("deliverFds") final DeliverFds frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset, Direction.FROM_BROKER);
    }

    @Property
    void welcomeWithDescriptorLimitsRoundTrips(
        @ForAll("welcomeDescriptors") final WelcomeDescriptors frame, @ForAll @IntRange(max = 16) final int offset)
    {
        roundTrip(frame, offset, Direction.FROM_BROKER);
    }

    /** Descriptor frames among ordinary ones: valid exactly with the sum of their fd_counts, in any direction. */
    @Property
    void aDatagramOwnsExactlyTheDescriptorsItsFramesCount(
        @ForAll("mixedBatches") final Batch batch, @ForAll @IntRange(min = -300, max = 300) final int off)
    {
        final UnsafeBuffer datagram = new UnsafeBuffer(batch.bytes());
        int claimed = 0;
        for (final Frame f : batch.frames())
        {
            claimed += descriptorsOf(f);
        }
        final FrameValidator validator = new FrameValidator(batch.direction());

        assertThat(validator.validate(datagram, 0, datagram.capacity(), claimed)).isZero();
        assertThat(validator.descriptorsClaimed()).isEqualTo(claimed);
        assertThat(validator.validate(datagram, 0, datagram.capacity(), claimed + off))
            .isEqualTo(off == 0 ? 0 : ErrorCode.DESCRIPTOR_MISMATCH);
    }

    @Property
    void descriptorFramesTravelOneWayOnly(
        @ForAll("publishFds") final PublishFds p, @ForAll("deliverFds") final DeliverFds d)
    {
        final int code = ErrorCode.PROTOCOL_VIOLATION;
        assertThat(validate(Direction.FROM_BROKER, bytes(p), p.fds().fdCount())).isEqualTo(code);
        assertThat(validate(Direction.FROM_CLIENT, bytes(d), d.fds().fdCount())).isEqualTo(code);
        assertThat(validate(Direction.ON_LAN, bytes(d), d.fds().fdCount())).isEqualTo(code);
    }

    @Example
    void helloAsksForDescriptorsWithoutATrailer()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = HelloFrame.encode(buffer, 0, 1, 1, HelloFrame.FLAG_DESCRIPTORS, "py", 0, 0);
        final HelloFrame hello = (HelloFrame)new HelloFrame().wrap(buffer, 0);
        assertThat(length).isEqualTo(HelloFrame.NAME_OFFSET + 2);
        assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, 0, length)).isZero();
        assertThat(hello.wantsDescriptors()).isTrue();
        assertThat(hello.hasSession()).isFalse();
    }

    @Property
    void anUndefinedFdFlagIsAProtocolViolation(
        @ForAll("publishFds") final PublishFds p, @ForAll @IntRange(min = 1, max = 7) final int bit)
    {
        final byte[] b = bytes(p);
        b[PublishFdsFrame.FD_FLAGS_OFFSET] |= (byte)(1 << bit);
        assertThat(validate(Direction.FROM_CLIENT, b, p.fds().fdCount())).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }

    @Example
    void fdCountZeroIsABadFrameLength()
    {
        final byte[] b = bytes(new PublishFds("a.b", new Fds(0, 0, 0), new Bytes(new byte[] {1})));
        assertThat(validate(Direction.FROM_CLIENT, b, 0)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Example
    void inlineBytesBesideAMemfdPayloadAreABadFrameLength()
    {
        final Fds memfd = new Fds(1, PublishFdsFrame.MEMFD_PAYLOAD, 5);
        final byte[] b = bytes(new PublishFds("a.b", memfd, new Bytes(new byte[] {1})));
        assertThat(validate(Direction.FROM_CLIENT, b, 1)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Example
    void aPayloadSizeWithoutMemfdPayloadIsAProtocolViolation()
    {
        final byte[] b = bytes(new PublishFds("a.b", new Fds(1, 0, 5), new Bytes(new byte[0])));
        assertThat(validate(Direction.FROM_CLIENT, b, 1)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }

    @Example
    void deliverFdsReservedMustBeZero()
    {
        final Origin origin = new Origin(1, 2, 3, 4, 5, 6);
        final byte[] b = bytes(new DeliverFds(7, origin, new Fds(1, 1, 9), "a.b", new Bytes(new byte[0])));
        b[DeliverFdsFrame.RESERVED_OFFSET] = 1;
        assertThat(validate(Direction.FROM_BROKER, b, 1)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }

    @Example
    void welcomeTrailerReservedMustBeZeroAndAnyOtherTailIsABadLength()
    {
        final WelcomeDescriptors w =
            new WelcomeDescriptors(new Welcome(1, 65536, 131072, 1, 2, "h1"), 8, 64, 1L << 30);
        final byte[] b = bytes(w);
        assertThat(validate(Direction.FROM_BROKER, b, 0)).isZero();
        b[b.length - WelcomeFrame.DESCRIPTOR_LIMITS_LENGTH + WelcomeFrame.DESCRIPTOR_LIMITS_RESERVED_OFFSET] = 1;
        assertThat(validate(Direction.FROM_BROKER, b, 0)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        final byte[] shorter = Arrays.copyOf(bytes(w), b.length - 1);
        new UnsafeBuffer(shorter).putInt(0, shorter.length, Protocol.BYTE_ORDER);
        assertThat(validate(Direction.FROM_BROKER, shorter, 0)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
        // What an old client reads: the plain WELCOME has no trailer and reports no limits.
        final WelcomeFrame plain = (WelcomeFrame)new WelcomeFrame().wrap(new UnsafeBuffer(bytes(w.welcome())), 0);
        assertThat(plain.hasDescriptorLimits()).isFalse();
        assertThat(plain.maxDescriptorsPerDatagram()).isZero();
    }

    @Example
    void newCodesAndReasonsHaveTheirSpecNames()
    {
        assertThat(ErrorCode.maxCode()).isEqualTo(ErrorCode.INVALID_GROUP);
        assertThat(ErrorCode.name(ErrorCode.INVALID_HEADERS)).isEqualTo("INVALID_HEADERS");
        assertThat(ErrorCode.name(ErrorCode.INVALID_REQUEST)).isEqualTo("INVALID_REQUEST");
        assertThat(ErrorCode.name(ErrorCode.INVALID_GROUP)).isEqualTo("INVALID_GROUP");
        assertThat(ErrorCode.isFatal(ErrorCode.INVALID_HEADERS) || ErrorCode.isFatal(ErrorCode.INVALID_REQUEST) ||
            ErrorCode.isFatal(ErrorCode.INVALID_GROUP)).isFalse();
        final List<String> names = new ArrayList<>();
        final List<Boolean> fatal = new ArrayList<>();
        for (int code = ErrorCode.DESCRIPTORS_TRUNCATED; code <= ErrorCode.TOO_MANY_DESCRIPTORS; code++)
        {
            names.add(ErrorCode.name(code));
            fatal.add(ErrorCode.isFatal(code));
        }
        assertThat(names).containsExactly("DESCRIPTORS_TRUNCATED", "DESCRIPTOR_MISMATCH", "BAD_DESCRIPTOR",
            "DESCRIPTORS_DENIED", "NOT_ON_LAN", "TOO_MANY_DESCRIPTORS");
        assertThat(fatal).containsExactly(true, true, false, false, false, false);
        assertThat(GapReason.name(GapReason.DESCRIPTORS_UNSUPPORTED)).isEqualTo("DESCRIPTORS_UNSUPPORTED");
        assertThat(GapReason.name(GapReason.DESCRIPTORS_LOST)).isEqualTo("DESCRIPTORS_LOST");
        assertThat(FrameType.name(FrameType.PUBLISH_FDS)).isEqualTo("PUBLISH_FDS");
        assertThat(FrameType.name(FrameType.DELIVER_FDS)).isEqualTo("DELIVER_FDS");
    }

    @Provide
    static Arbitrary<PublishFds> publishFds()
    {
        return Combinators.combine(WireArbitraries.topics(), fdsAndPayloads())
            .as((topic, fp) -> new PublishFds(topic, fp.fds(), fp.payload()));
    }

    @Provide
    static Arbitrary<DeliverFds> deliverFds()
    {
        final Arbitrary<Origin> origins = Combinators.combine(WireArbitraries.u32(), WireArbitraries.u64(),
            WireArbitraries.u64(), WireArbitraries.u64(), WireArbitraries.u32(), WireArbitraries.u32()).as(Origin::new);
        return Combinators.combine(WireArbitraries.u32(), origins, WireArbitraries.topics(), fdsAndPayloads())
            .as((sub, origin, topic, fp) -> new DeliverFds(sub, origin, fp.fds(), topic, fp.payload()));
    }

    @Provide
    static Arbitrary<WelcomeDescriptors> welcomeDescriptors()
    {
        return Combinators.combine(WireArbitraries.welcomes(), Arbitraries.integers().between(1, 253),
            Arbitraries.integers().between(1, 253), WireArbitraries.u64()).as(WelcomeDescriptors::new);
    }

    @Provide
    Arbitrary<Batch> mixedBatches()
    {
        final Arbitrary<Frame> client = Arbitraries.oneOf(WireArbitraries.clientFrames(), publishFds().map(f -> f));
        final Arbitrary<Frame> broker = Arbitraries.oneOf(WireArbitraries.brokerFrames(), deliverFds().map(f -> f));
        return Arbitraries.oneOf(
            client.list().ofMinSize(1).ofMaxSize(8).map(f -> Batch.of(Direction.FROM_CLIENT, f)),
            broker.list().ofMinSize(1).ofMaxSize(8).map(f -> Batch.of(Direction.FROM_BROKER, f)));
    }

    private record FdsAndPayload(Fds fds, Bytes payload)
    {
    }

    /** A memfd payload (size any u64, nothing inline) or plain descriptors beside an inline payload. */
    private static Arbitrary<FdsAndPayload> fdsAndPayloads()
    {
        final Arbitrary<Integer> counts = Arbitraries.integers().between(1, 253);
        final Arbitrary<FdsAndPayload> memfd = Combinators.combine(counts, WireArbitraries.u64())
            .as((n, size) -> new FdsAndPayload(
                new Fds(n, PublishFdsFrame.MEMFD_PAYLOAD, size), new Bytes(new byte[0])));
        final Arbitrary<FdsAndPayload> plain = Combinators.combine(counts, WireArbitraries.payloads())
            .as((n, payload) -> new FdsAndPayload(new Fds(n, 0, 0), payload));
        return Arbitraries.oneOf(memfd, plain);
    }

    private static void roundTrip(final Frame frame, final int offset, final Direction direction)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SCRATCH]);
        buffer.setMemory(0, SCRATCH, FILL);
        final int length = frame.encode(buffer, offset);

        assertThat(length).isEqualTo(Protocol.frameLength(buffer, offset));
        for (int i = 0; i < SCRATCH; i++)
        {
            if (i < offset || i >= offset + length)
            {
                assertThat(buffer.getByte(i)).as("byte %d outside the frame", i).isEqualTo(FILL);
            }
        }
        final FrameValidator validator = new FrameValidator(direction);
        final int code = validator.validate(buffer, offset, length, descriptorsOf(frame));
        assertThat(code).as(validator.errorReason()).isZero();
        assertThat(WireModel.decode(buffer, offset)).isEqualTo(frame);
    }

    private static int descriptorsOf(final Frame frame)
    {
        return frame instanceof PublishFds p ? p.fds().fdCount() :
            frame instanceof DeliverFds d ? d.fds().fdCount() : 0;
    }

    private static byte[] bytes(final Frame frame)
    {
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH]);
        return Arrays.copyOf(scratch.byteArray(), frame.encode(scratch, 0));
    }

    private static int validate(final Direction direction, final byte[] bytes, final int descriptors)
    {
        return new FrameValidator(direction).validate(new UnsafeBuffer(bytes), 0, bytes.length, descriptors);
    }
}

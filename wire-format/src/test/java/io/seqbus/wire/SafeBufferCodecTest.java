package io.seqbus.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.seqbus.wire.FrameValidator.Direction;
import io.seqbus.wire.WireModel.Frame;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The codecs over a {@link SafeBuffer} (heap or direct, as the client holds its buffers) write the same bytes,
 * validate the same and read the same values as over an {@link UnsafeBuffer}, for every frame either side sends,
 * whole or damaged.
 */
final class SafeBufferCodecTest
{
    private static final int SCRATCH = 8192;

    @Property(tries = 500)
    void framesEncodeValidateAndDecodeAsOverUnsafeBuffer(
        @ForAll("frames") final Frame frame, @ForAll @IntRange(max = 16) final int offset, @ForAll final boolean direct)
    {
        final UnsafeBuffer reference = new UnsafeBuffer(new byte[SCRATCH]);
        final SafeBuffer subject = direct ? new SafeBuffer(ByteBuffer.allocateDirect(SCRATCH)) :
            new SafeBuffer(new byte[SCRATCH]);
        reference.setMemory(0, SCRATCH, (byte)0x5A);
        subject.setMemory(0, SCRATCH, (byte)0x5A);

        final int length = frame.encode(reference, offset);
        assertThat(frame.encode(subject, offset)).isEqualTo(length);
        assertThat(bytes(subject, 0, SCRATCH)).isEqualTo(bytes(reference, 0, SCRATCH));
        for (final Direction direction : Direction.values())
        {
            assertThat(new FrameValidator(direction).validate(subject, offset, length))
                .isEqualTo(new FrameValidator(direction).validate(reference, offset, length));
        }
        assertThat(WireModel.decode(subject, offset)).isEqualTo(frame);
        assertThat(Protocol.frameLength(subject, offset)).isEqualTo(length);
        assertThat(Protocol.frameType(subject, offset)).isEqualTo(frame.type());
    }

    @Property(tries = 500)
    void damagedDatagramsValidateAsOverUnsafeBuffer(
        @ForAll("datagrams") final byte[] datagram, @ForAll final boolean fromClient, @ForAll final boolean direct)
    {
        final Direction direction = fromClient ? Direction.FROM_CLIENT : Direction.FROM_BROKER;
        final UnsafeBuffer reference = new UnsafeBuffer(datagram);
        final SafeBuffer subject = direct ?
            new SafeBuffer(ByteBuffer.allocateDirect(datagram.length).put(0, datagram)) : new SafeBuffer(datagram);
        final FrameValidator referenceValidator = new FrameValidator(direction);
        final FrameValidator subjectValidator = new FrameValidator(direction);
        final int code = referenceValidator.validate(reference, 0, datagram.length);

        assertThat(subjectValidator.validate(subject, 0, datagram.length)).isEqualTo(code);
        assertThat(subjectValidator.errorReason()).isEqualTo(referenceValidator.errorReason());
        if (code == 0)
        {
            assertThat(decodeAll(subject)).isEqualTo(decodeAll(reference));
        }
    }

    @Property(tries = 300)
    void topicsAndPatternsCheckAsOverUnsafeBuffer(@ForAll("topicBytes") final byte[] bytes)
    {
        final UnsafeBuffer reference = new UnsafeBuffer(bytes);
        final SafeBuffer subject = new SafeBuffer(bytes);
        assertThat(Topics.isValidTopic(subject, 0, bytes.length))
            .isEqualTo(Topics.isValidTopic(reference, 0, bytes.length));
        assertThat(Topics.isValidPattern(subject, 0, bytes.length))
            .isEqualTo(Topics.isValidPattern(reference, 0, bytes.length));
        assertThat(WireStrings.isValidUtf8(subject, 0, bytes.length))
            .isEqualTo(WireStrings.isValidUtf8(reference, 0, bytes.length));
    }

    private static List<Frame> decodeAll(final DirectBuffer datagram)
    {
        final List<Frame> frames = new ArrayList<>();
        for (int at = 0; at < datagram.capacity(); at += Protocol.frameLength(datagram, at))
        {
            frames.add(WireModel.decode(datagram, at));
        }
        return frames;
    }

    private static byte[] bytes(final DirectBuffer buffer, final int index, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(index, bytes);
        return bytes;
    }

    @Provide
    Arbitrary<Frame> frames()
    {
        return Arbitraries.oneOf(WireArbitraries.clientFrames(), WireArbitraries.brokerFrames());
    }

    /** Valid batches of frames, some with a byte changed, cut short or extended. */
    @Provide
    Arbitrary<byte[]> datagrams()
    {
        final Arbitrary<byte[]> batches = frames().list().ofMinSize(1).ofMaxSize(8).map(frames ->
        {
            final MutableDirectBuffer scratch = new UnsafeBuffer(new byte[frames.size() * SCRATCH]);
            int length = 0;
            for (final Frame frame : frames)
            {
                length += frame.encode(scratch, length);
            }
            return Arrays.copyOf(scratch.byteArray(), length);
        });
        return batches.flatMap(bytes -> Arbitraries.integers().between(0, 3).flatMap(damage ->
            Arbitraries.integers().between(0, Math.max(0, bytes.length - 1)).map(at ->
            {
                switch (damage)
                {
                    case 1:
                    {
                        final byte[] flipped = bytes.clone();
                        flipped[at] ^= (byte)(1 + at % 255);
                        return flipped;
                    }
                    case 2:
                        return Arrays.copyOf(bytes, at);
                    case 3:
                        return Arrays.copyOf(bytes, bytes.length + 1 + at % 7);
                    default:
                        return bytes;
                }
            })));
    }

    @Provide
    Arbitrary<byte[]> topicBytes()
    {
        return Arbitraries.oneOf(
            WireArbitraries.topics().map(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            WireArbitraries.patterns().map(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40));
    }
}

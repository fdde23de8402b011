package io.seqbus.wire;

import java.nio.charset.StandardCharsets;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.agrona.concurrent.UnsafeBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every way of giving PublishFrame a payload (a buffer, an array, text) writes the same frame, which reads back.
 */
final class PublishFrameTest
{
    private static final String TOPIC = "orders.eu.created";

    @Property
    void arrayAndBufferPayloadsWriteTheSameFrame(
        @ForAll @Size(max = 300) final byte[] payload, @ForAll @IntRange(max = 7) final int at)
    {
        final UnsafeBuffer fromBuffer = encodeFromBuffer(payload, at);
        final UnsafeBuffer fromArray = new UnsafeBuffer(new byte[fromBuffer.capacity()]);
        final UnsafeBuffer topic = topic();
        final int length = PublishFrame.encode(fromArray, at, topic, 0, topic.capacity(), payload, 0, payload.length);

        assertThat(length).isEqualTo(PublishFrame.frameLength(topic.capacity(), payload.length));
        assertThat(fromArray.byteArray()).isEqualTo(fromBuffer.byteArray());
        assertReadsBack(fromArray, at, payload);
    }

    @Property
    void textPayloadIsItsUtf8(
        @ForAll @StringLength(max = 100) final String text, @ForAll @IntRange(max = 7) final int at)
    {
        final byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer fromBuffer = encodeFromBuffer(utf8, at);
        final UnsafeBuffer fromText = new UnsafeBuffer(new byte[fromBuffer.capacity()]);
        final UnsafeBuffer topic = topic();
        final int length = PublishFrame.encode(fromText, at, topic, 0, topic.capacity(), text);

        assertThat(length).isEqualTo(PublishFrame.frameLength(topic.capacity(), WireStrings.utf8Length(text)));
        assertThat(fromText.byteArray()).isEqualTo(fromBuffer.byteArray());
        assertReadsBack(fromText, at, utf8);
    }

    private static UnsafeBuffer encodeFromBuffer(final byte[] payload, final int at)
    {
        final UnsafeBuffer topic = topic();
        final int length = PublishFrame.frameLength(topic.capacity(), payload.length);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[at + length]);
        PublishFrame.encode(out, at, TOPIC, new UnsafeBuffer(payload), 0, payload.length);
        return out;
    }

    private static void assertReadsBack(final UnsafeBuffer buffer, final int at, final byte[] payload)
    {
        final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_CLIENT);
        assertThat(validator.validate(buffer, at, buffer.capacity() - at)).isZero();
        final PublishFrame frame = new PublishFrame();
        frame.wrap(buffer, at);
        assertThat(frame.topic()).isEqualTo(TOPIC);
        final byte[] read = new byte[frame.payloadLength()];
        buffer.getBytes(frame.payloadIndex(), read);
        assertThat(read).isEqualTo(payload);
    }

    private static UnsafeBuffer topic()
    {
        return new UnsafeBuffer(TOPIC.getBytes(StandardCharsets.US_ASCII));
    }
}

package io.seqbus.wire;

import io.seqbus.wire.FrameValidator.Direction;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DELIVER_MEMFD and FRAGMENT, the LAN frames of memfd payloads (SPEC.md, "LAN bridge"): their layout, and that
 * the validator takes them on the LAN only, each with its exact length.
 */
class LanPayloadFramesTest
{
    private static final byte[] TOPIC = "a.b".getBytes(StandardCharsets.US_ASCII);

    @Test
    void deliverMemfdHasDeliversOriginThenPayloadSizeThenTopicAndNothingElse()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[NodeFrame.LENGTH + DeliverMemfdFrame.frameLength(3)]);
        final int node = NodeFrame.encode(buffer, 0, 0x0A0B0C0D, 0x1122334455667788L, 1);
        final int length = DeliverMemfdFrame.encode(buffer, node, 0x0A0B0C0D, 0x0000000100000002L, 1,
            1700000000000000000L, 1000, 4242, 0x800000, new UnsafeBuffer(TOPIC), 0, TOPIC.length);

        assertThat(length).isEqualTo(61);
        final DeliverMemfdFrame frame = new DeliverMemfdFrame();
        frame.wrap(buffer, node);
        assertThat(frame.type()).isEqualTo(FrameType.DELIVER_MEMFD);
        assertThat(frame.subscriptionId()).isZero();
        assertThat(frame.sourceNode()).isEqualTo(0x0A0B0C0D);
        assertThat(frame.publisherId()).isEqualTo(0x0000000100000002L);
        assertThat(frame.sequence()).isEqualTo(1);
        assertThat(frame.publisherUid()).isEqualTo(1000);
        assertThat(frame.publisherPid()).isEqualTo(4242);
        assertThat(frame.payloadSize()).isEqualTo(0x800000);
        assertThat(buffer.getLong(node + 48, Protocol.BYTE_ORDER)).isEqualTo(0x800000);
        assertThat(frame.topic()).isEqualTo("a.b");
        assertThat(validate(Direction.ON_LAN, buffer)).isZero();
        assertThat(validate(Direction.FROM_BROKER, buffer)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);

        buffer.putInt(node, length - 1, Protocol.BYTE_ORDER);
        assertThat(validate(Direction.ON_LAN, new UnsafeBuffer(buffer, 0, node + length - 1)))
            .as("a byte short of its topic").isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Test
    void fragmentCarriesItsOffsetAndAtLeastOneByte()
    {
        final byte[] bytes = {7, 8, 9};
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[NodeFrame.LENGTH + FragmentFrame.BYTES_OFFSET + 3]);
        final int node = NodeFrame.encode(buffer, 0, 0x0A0B0C0D, 0x1122334455667788L, 2);
        final int length = FragmentFrame.encode(buffer, node, 1L << 20, new UnsafeBuffer(bytes), 0, 3);

        assertThat(length).isEqualTo(19);
        final FragmentFrame frame = new FragmentFrame();
        frame.wrap(buffer, node);
        assertThat(frame.type()).isEqualTo(FrameType.FRAGMENT);
        assertThat(frame.payloadOffset()).isEqualTo(1L << 20);
        assertThat(frame.bytesLength()).isEqualTo(3);
        assertThat(buffer.getByte(frame.bytesIndex() + 2)).isEqualTo((byte)9);
        assertThat(validate(Direction.ON_LAN, buffer)).isZero();
        assertThat(validate(Direction.FROM_CLIENT, buffer)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);

        final UnsafeBuffer empty = new UnsafeBuffer(new byte[NodeFrame.LENGTH + FragmentFrame.BYTES_OFFSET]);
        NodeFrame.encode(empty, 0, 0x0A0B0C0D, 0x1122334455667788L, 2);
        FragmentFrame.encode(empty, NodeFrame.LENGTH, 0, new UnsafeBuffer(bytes), 0, 0);
        assertThat(validate(Direction.ON_LAN, empty)).as("no bytes").isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Test
    void theirNamesAreKnown()
    {
        assertThat(FrameType.name(0x23)).isEqualTo("DELIVER_MEMFD");
        assertThat(FrameType.name(0x24)).isEqualTo("FRAGMENT");
        assertThat(FrameType.isKnown(0x27)).isFalse(); // 0x25 is LAN_REPLY, 0x26 GROUPS (issue 19)
    }

    private static int validate(final Direction direction, final UnsafeBuffer datagram)
    {
        return new FrameValidator(direction).validate(datagram, 0, datagram.capacity());
    }
}

package io.seqbus.wire;

import io.seqbus.wire.FrameValidator.Direction;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LAN_REPLY and DELIVER_REQUEST on the LAN (SPEC.md, "Requests and replies", LAN): the layout, and that they pass
 * framing between brokers only.
 */
class LanReplyFrameTest
{
    @Test
    void lanReplyRoundTripsAndCrossesTheLanOnly()
    {
        final byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[NodeFrame.LENGTH + LanReplyFrame.frameLength(5)]);
        final int node = NodeFrame.encode(buffer, 0, 0x0B, 0x1122334455667788L, 1);
        final int length = LanReplyFrame.encode(buffer, node, 0x0A, 0x0000000A_00000101L, 0x0B, 1000, 42,
            123456789L, new UnsafeBuffer(hello), 0, 5);
        assertThat(length).isEqualTo(45);
        final LanReplyFrame frame = (LanReplyFrame)new LanReplyFrame().wrap(buffer, node);
        assertThat(frame.type()).isEqualTo(FrameType.LAN_REPLY);
        assertThat(frame.targetNode()).isEqualTo(0x0A);
        assertThat(frame.replyToken()).isEqualTo(0x0000000A_00000101L);
        assertThat(frame.replierNode()).isEqualTo(0x0B);
        assertThat(frame.replierUid()).isEqualTo(1000);
        assertThat(frame.replierPid()).isEqualTo(42);
        assertThat(frame.timestampNs()).isEqualTo(123456789L);
        assertThat(buffer.getStringWithoutLengthAscii(frame.payloadIndex(), frame.payloadLength())).isEqualTo("hello");
        assertThat(FrameType.name(0x25)).isEqualTo("LAN_REPLY");

        assertThat(validate(Direction.ON_LAN, buffer)).isZero();
        assertThat(validate(Direction.FROM_BROKER, new UnsafeBuffer(buffer, node, length)))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        assertThat(validate(Direction.FROM_CLIENT, new UnsafeBuffer(buffer, node, length)))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        buffer.putInt(node, LanReplyFrame.PAYLOAD_OFFSET - 1, Protocol.BYTE_ORDER);
        assertThat(validate(Direction.ON_LAN, new UnsafeBuffer(buffer, 0, node + LanReplyFrame.PAYLOAD_OFFSET - 1)))
            .isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Test
    void aLanReplyThatSaysNoReplyComesHasOneFlagAndNoPayload()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[NodeFrame.LENGTH + LanReplyFrame.frameLength(1)]);
        final int node = NodeFrame.encode(buffer, 0, 0x0B, 0x1122334455667788L, 1);
        for (final int flag : new int[]{LanReplyFrame.FLAG_NO_RESPONDERS, LanReplyFrame.FLAG_RESPONDERS_GONE})
        {
            final int length = LanReplyFrame.encodeNone(buffer, node, 0x0A, 0x0000000A_00000101L, 0x0B, 0, flag);
            assertThat(length).isEqualTo(LanReplyFrame.PAYLOAD_OFFSET);
            final LanReplyFrame frame = (LanReplyFrame)new LanReplyFrame().wrap(buffer, node);
            assertThat(frame.noneFlag()).isEqualTo(flag);
            assertThat(frame.replyToken()).isEqualTo(0x0000000A_00000101L);
            assertThat(frame.replierNode()).isEqualTo(0x0B);
            assertThat(validate(Direction.ON_LAN, new UnsafeBuffer(buffer, 0, node + length))).isZero();
        }
        // Both flags at once: refused.
        buffer.putByte(node + Protocol.FLAGS_OFFSET,
            (byte)(LanReplyFrame.FLAG_NO_RESPONDERS | LanReplyFrame.FLAG_RESPONDERS_GONE));
        assertThat(validate(Direction.ON_LAN, new UnsafeBuffer(buffer, 0, node + LanReplyFrame.PAYLOAD_OFFSET)))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        // A flag beside a payload: refused.
        buffer.putByte(node + Protocol.FLAGS_OFFSET, (byte)LanReplyFrame.FLAG_NO_RESPONDERS);
        buffer.putInt(node, LanReplyFrame.frameLength(1), Protocol.BYTE_ORDER);
        assertThat(validate(Direction.ON_LAN, buffer)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
        // HEADERS beside it (a "none" carries no block): refused.
        buffer.putInt(node, LanReplyFrame.PAYLOAD_OFFSET, Protocol.BYTE_ORDER);
        buffer.putByte(node + Protocol.FLAGS_OFFSET,
            (byte)(LanReplyFrame.FLAG_NO_RESPONDERS | Protocol.FLAG_HEADERS));
        assertThat(validate(Direction.ON_LAN, new UnsafeBuffer(buffer, 0, node + LanReplyFrame.PAYLOAD_OFFSET)))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        // A flag not defined: refused.
        buffer.putByte(node + Protocol.FLAGS_OFFSET, (byte)0x10);
        assertThat(validate(Direction.ON_LAN, new UnsafeBuffer(buffer, 0, node + LanReplyFrame.PAYLOAD_OFFSET)))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void aRepliesHeaderBlockCrossesWithItsFlagAndMustFit()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[64]);
        // One entry, served-by: b (SPEC.md, "Headers": u16 block_length, u8 key_length, key, u16 value_length, value).
        final int block = HeaderBlock.LENGTH_FIELD + HeaderBlock.entryLength(9, 1);
        payload.putShort(0, (short)block, Protocol.BYTE_ORDER);
        payload.putByte(2, (byte)9);
        payload.putStringWithoutLengthAscii(3, "served-by");
        payload.putShort(12, (short)1, Protocol.BYTE_ORDER);
        payload.putStringWithoutLengthAscii(14, "b");
        payload.putStringWithoutLengthAscii(block, "ok");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[NodeFrame.LENGTH + LanReplyFrame.frameLength(block + 2)]);
        final int node = NodeFrame.encode(buffer, 0, 0x0B, 0x1122334455667788L, 1);
        LanReplyFrame.encode(buffer, node, 0x0A, 0x0000000A_00000101L, 0x0B, 1000, 42, 1L, payload, 0, block + 2);
        buffer.putByte(node + Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        assertThat(validate(Direction.ON_LAN, buffer)).isZero();
        // A block longer than the payload: refused as a REPLY's would be.
        buffer.putShort(node + LanReplyFrame.PAYLOAD_OFFSET, (short)(block + 3), Protocol.BYTE_ORDER);
        assertThat(validate(Direction.ON_LAN, buffer)).isEqualTo(ErrorCode.INVALID_HEADERS);
    }

    @Test
    void deliverRequestCrossesTheLan()
    {
        final byte[] topicAndPayload = "svc.echohi".getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer buffer = new UnsafeBuffer(
            new byte[NodeFrame.LENGTH + DeliverRequestFrame.frameLength(8, 2)]);
        final int node = NodeFrame.encode(buffer, 0, 0x0A, 0x1122334455667788L, 1);
        DeliverRequestFrame.encode(buffer, node, 0, 0x0A, 7, 1, 99L, 0, 1, 0x0000000A_00000101L,
            new UnsafeBuffer(topicAndPayload), 0, 8, 2);
        assertThat(validate(Direction.ON_LAN, buffer)).isZero();
    }

    private static int validate(final Direction direction, final UnsafeBuffer datagram)
    {
        return new FrameValidator(direction).validate(datagram, 0, datagram.capacity());
    }
}

package io.seqbus.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.seqbus.wire.FrameValidator.Direction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SUBSCRIBE with the GROUP flag (SPEC.md, "Queue groups"): the name after the pattern, its framing in
 * {@link FrameValidator}, and the name rule in {@link Groups}.
 */
final class SubscribeGroupTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
    private final FrameValidator validator = new FrameValidator(Direction.FROM_CLIENT);

    @Test
    void groupRoundTripsAndSetsTheFlag()
    {
        final int length = SubscribeFrame.encode(buffer, 0, 9, 3, 4096, "jobs.*", "workers");
        assertThat(length).isEqualTo(SubscribeFrame.PATTERN_OFFSET + 6 + 1 + 7);
        assertThat(validator.validate(buffer, 0, length)).isZero();
        final SubscribeFrame frame = (SubscribeFrame)new SubscribeFrame().wrap(buffer, 0);
        assertThat(frame.hasGroup()).isTrue();
        assertThat(frame.group()).isEqualTo("workers");
        assertThat(frame.groupLength()).isEqualTo(7);
        assertThat(frame.pattern()).isEqualTo("jobs.*");
        assertThat(frame.subscriptionId()).isEqualTo(9);
        assertThat(frame.policy()).isEqualTo(3);
        assertThat(frame.maxQueueBytes()).isEqualTo(4096);
        assertThat(Groups.isValidGroup(buffer, frame.groupIndex(), frame.groupLength())).isTrue();
    }

    @Test
    void withoutGroupTheFrameIsAsBefore()
    {
        final int plain = SubscribeFrame.encode(buffer, 0, 9, 0, 0, "jobs.*");
        final SubscribeFrame frame = (SubscribeFrame)new SubscribeFrame().wrap(buffer, 0);
        assertThat(plain).isEqualTo(SubscribeFrame.PATTERN_OFFSET + 6);
        assertThat(buffer.getByte(Protocol.FLAGS_OFFSET)).isZero();
        assertThat(frame.hasGroup()).isFalse();
        assertThat(frame.group()).isNull();
        assertThat(frame.groupLength()).isZero();
    }

    @Test
    void groupLengthMustEndTheFrameExactly()
    {
        final int length = SubscribeFrame.encode(buffer, 0, 9, 0, 0, "jobs", "w");
        buffer.putByte(SubscribeFrame.PATTERN_OFFSET + 4, (byte)2);
        assertThat(validator.validate(buffer, 0, length)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
        buffer.putByte(SubscribeFrame.PATTERN_OFFSET + 4, (byte)0);
        assertThat(validator.validate(buffer, 0, length)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Test
    void anEmptyNameIsWellFramedAndLeftToTheBrokersNameCheck()
    {
        final int length = SubscribeFrame.encode(buffer, 0, 9, 0, 0, "jobs", "");
        assertThat(validator.validate(buffer, 0, length)).isZero();
        final SubscribeFrame frame = (SubscribeFrame)new SubscribeFrame().wrap(buffer, 0);
        assertThat(Groups.isValidGroup(buffer, frame.groupIndex(), frame.groupLength())).isFalse();
    }

    @Test
    void otherFlagsOnSubscribeAreStillRefused()
    {
        final int length = SubscribeFrame.encode(buffer, 0, 9, 0, 0, "jobs", "w");
        buffer.putByte(Protocol.FLAGS_OFFSET, (byte)(Protocol.FLAG_GROUP | Protocol.FLAG_HEADERS));
        assertThat(validator.validate(buffer, 0, length)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void nameRule()
    {
        assertThat(Groups.isValidGroup("workers")).isTrue();
        assertThat(Groups.isValidGroup("w-1_x")).isTrue();
        assertThat(Groups.isValidGroup("é")).isTrue();
        assertThat(Groups.isValidGroup("x".repeat(64))).isTrue();
        assertThat(Groups.isValidGroup("x".repeat(65))).isFalse();
        assertThat(Groups.isValidGroup("")).isFalse();
        assertThat(Groups.isValidGroup("a.b")).isFalse();
        assertThat(Groups.isValidGroup("*")).isFalse();
        assertThat(Groups.isValidGroup(">")).isFalse();
        assertThat(Groups.isValidGroup("a b")).isFalse();
        assertThat(Groups.isValidGroup("a\u0085")).isFalse();
    }
}

package io.seqbus.wire;

import io.seqbus.wire.FrameValidator.Direction;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SHM_READY, SHM_ATTACH and SHM_FDS (SPEC.md, "Shared memory"): each side may send only its own, SHM_READY comes
 * with exactly 3 descriptors and SHM_FDS with exactly its fd_count, and reserved bits must be 0.
 */
final class ShmFramesTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);

    @Test
    void shmReadyRoundTripsAndClaimsItsThreeDescriptors()
    {
        final int length = ShmReadyFrame.encode(buffer, 0, 1 << 20, 1 << 19, 4096 + (3 << 19));
        final FrameValidator broker = new FrameValidator(Direction.FROM_BROKER);
        assertThat(broker.validate(buffer, 0, length, 3)).isZero();
        assertThat(broker.validate(buffer, 0, length, 2)).isEqualTo(ErrorCode.DESCRIPTOR_MISMATCH);
        final ShmReadyFrame frame = new ShmReadyFrame();
        frame.wrap(buffer, 0);
        assertThat(frame.toClientCapacity()).isEqualTo(1 << 20);
        assertThat(frame.fromClientCapacity()).isEqualTo(1 << 19);
        assertThat(frame.size()).isEqualTo(4096 + (3 << 19));
        assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, 0, length, 3))
            .as("a client never offers rings").isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void shmAttachIsTheClientsAndItsReservedWordIsZero()
    {
        final int length = ShmAttachFrame.encode(buffer, 0);
        assertThat(length).isEqualTo(ShmAttachFrame.LENGTH);
        assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, 0, length)).isZero();
        assertThat(new FrameValidator(Direction.FROM_BROKER).validate(buffer, 0, length))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        buffer.putInt(ShmAttachFrame.RESERVED_OFFSET, 1);
        assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, 0, length)).isNotZero();
    }

    @Test
    void shmFdsOwnsExactlyItsCountInEitherDirection()
    {
        final int length = ShmFdsFrame.encode(buffer, 0, 5);
        for (final Direction direction : new Direction[] {Direction.FROM_CLIENT, Direction.FROM_BROKER})
        {
            final FrameValidator validator = new FrameValidator(direction);
            assertThat(validator.validate(buffer, 0, length, 5)).isZero();
            assertThat(validator.validate(buffer, 0, length, 4)).isEqualTo(ErrorCode.DESCRIPTOR_MISMATCH);
        }
        ShmFdsFrame.encode(buffer, 0, 0);
        assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, 0, length, 0))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        ShmFdsFrame.encode(buffer, 0, 254);
        assertThat(new FrameValidator(Direction.FROM_CLIENT).validate(buffer, 0, length, 254))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }
}

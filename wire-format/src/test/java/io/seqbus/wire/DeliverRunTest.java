package io.seqbus.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DELIVER_RUN: growing a run, and the validator's checks of its entries.
 */
class DeliverRunTest
{
    private final FrameValidator fromBroker = new FrameValidator(FrameValidator.Direction.FROM_BROKER);

    @Test
    void runGrowsOneEntryAtATimeAndStaysValid()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[512]);
        final byte[] source = "t.xp0".getBytes(StandardCharsets.UTF_8);
        int length = DeliverRunFrame.encode(b, 0, 3, 9, 77, 10, 123, 1000, 42, new UnsafeBuffer(source), 0, 3, 2);
        for (int i = 1; i < 5; i++)
        {
            final byte[] p = ("p" + i).getBytes(StandardCharsets.UTF_8);
            length += DeliverRunFrame.append(b, 0, new UnsafeBuffer(p), 0, p.length);
            assertThat(fromBroker.validate(b, 0, length)).isZero();
        }
        final DeliverRunFrame run = new DeliverRunFrame();
        run.wrap(b, 0);
        assertThat(run.count()).isEqualTo(5);
        assertThat(run.frameLength()).isEqualTo(length);
        assertThat(run.topic()).isEqualTo("t.x");
        assertThat(run.firstSequence()).isEqualTo(10);
        int entry = run.firstEntryIndex();
        for (int i = 0; i < 5; i++)
        {
            final int n = b.getInt(entry, Protocol.BYTE_ORDER);
            assertThat(b.getStringWithoutLengthUtf8(entry + 4, n)).isEqualTo("p" + i);
            entry += 4 + n;
        }
    }

    @Test
    void countThatDisagreesWithTheEntriesIsRefused()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
        final byte[] source = "t.xab".getBytes(StandardCharsets.UTF_8);
        final int length = DeliverRunFrame.encode(b, 0, 3, 9, 77, 10, 123, 1000, 42, new UnsafeBuffer(source), 0, 3, 2);
        b.putInt(DeliverRunFrame.COUNT_OFFSET, 2, Protocol.BYTE_ORDER);
        assertThat(fromBroker.validate(b, 0, length)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
        b.putInt(DeliverRunFrame.COUNT_OFFSET, 0, Protocol.BYTE_ORDER);
        assertThat(fromBroker.validate(b, 0, length)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Test
    void entryRunningPastTheFrameIsRefused()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
        final byte[] source = "t.xab".getBytes(StandardCharsets.UTF_8);
        final int length = DeliverRunFrame.encode(b, 0, 3, 9, 77, 10, 123, 1000, 42, new UnsafeBuffer(source), 0, 3, 2);
        b.putInt(DeliverRunFrame.TOPIC_OFFSET + 3, 3, Protocol.BYTE_ORDER);
        assertThat(fromBroker.validate(b, 0, length)).isEqualTo(ErrorCode.BAD_FRAME_LENGTH);
    }

    @Test
    void clientsMayNotSendRuns()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
        final byte[] source = "t.xab".getBytes(StandardCharsets.UTF_8);
        final int length = DeliverRunFrame.encode(b, 0, 3, 9, 77, 10, 123, 1000, 42, new UnsafeBuffer(source), 0, 3, 2);
        assertThat(new FrameValidator(FrameValidator.Direction.FROM_CLIENT).validate(b, 0, length))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
    }
}

package io.seqbus.sys;

import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The addresses JNA gives (what the client's JVM, without the flag Unsafe needs, uses) are the ones Agrona reads with
 * Unsafe (what this test JVM, with the flag, can compare against); the control buffers are aligned for the kernel.
 */
class DirectAddressTest
{
    @Test
    void jnaAndAgronaAgreeOnWhereADirectBufferStarts()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        assertThat(DirectAddress.of(buffer)).isEqualTo(BufferUtil.address(buffer));
        final ByteBuffer slice = buffer.position(100).slice();
        assertThat(DirectAddress.of(slice)).isEqualTo(BufferUtil.address(buffer) + 100);
        final DirectAddress.Cached cached = new DirectAddress.Cached();
        assertThat(cached.of(slice)).isEqualTo(cached.of(slice)).isEqualTo(BufferUtil.address(slice));
        assertThatThrownBy(() -> DirectAddress.of(ByteBuffer.allocate(8))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void alignedBuffersStartOnEightBytesInNativeOrder()
    {
        for (final int size : new int[] {1, 56, 128, 1028})
        {
            final ByteBuffer buffer = DirectAddress.allocateAligned(size);
            assertThat(DirectAddress.of(buffer) % 8).isZero();
            assertThat(buffer.capacity()).isEqualTo(size);
            assertThat(buffer.order()).isEqualTo(ByteOrder.nativeOrder());
        }
    }
}

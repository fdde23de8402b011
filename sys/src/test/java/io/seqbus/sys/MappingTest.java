package io.seqbus.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Mapping} on real memfds: a payload maps read-only with the sealed bytes, a loan filled in place seals
 * without a copy and keeps its stale writes to itself, a payload unmapped to zeros leaves kept buffers readable.
 */
class MappingTest
{
    private static final String NAME = "seqbus-mapping-test";
    private static final int LENGTH = (1 << 20) + 5;

    @Test
    void aSealedPayloadMapsReadOnlyWithItsBytesAndOutlivesItsDescriptor() throws IOException
    {
        final byte[] bytes = randomBytes();
        final Mapping payload;
        try (Memfd memfd = Memfd.create(NAME, LENGTH))
        {
            memfd.write(0, ByteBuffer.wrap(bytes));
            memfd.seal();
            assertThatThrownBy(() -> Mapping.readWrite(memfd)).as("never writable again")
                .isInstanceOf(IOException.class).hasMessageContaining("mmap");
            payload = Mapping.readOnly(memfd.fd(), LENGTH);
        }
        try (payload)
        {
            final ByteBuffer buffer = payload.buffer();
            assertThat(buffer.isReadOnly()).isTrue();
            assertThat(buffer.remaining()).isEqualTo(LENGTH);
            assertThat(bytesOf(buffer)).isEqualTo(bytes);
            assertThatThrownBy(() -> buffer.put(0, (byte)1)).isInstanceOf(ReadOnlyBufferException.class);
        }
    }

    @Test
    void aLoanFilledInPlaceIsSealedWhereItIsAndAStaleWriteStaysPrivate() throws IOException
    {
        final byte[] bytes = randomBytes();
        try (Memfd memfd = Memfd.create(NAME, LENGTH); Mapping loan = Mapping.readWrite(memfd))
        {
            final ByteBuffer filled = loan.buffer();
            assertThat(filled.isReadOnly()).isFalse();
            filled.put(bytes);
            final long address = loan.address();

            loan.sealInPlace();

            assertThat(loan.address()).isEqualTo(address);
            assertThat(new SealedMemfd().check(memfd.fd(), LENGTH)).isEqualTo(SealedMemfd.Verdict.SEALED);
            assertThat(bytesOf(loan.buffer())).isEqualTo(bytes);
            assertThat(loan.buffer().isReadOnly()).isTrue();
            assertThatThrownBy(loan::sealInPlace).isInstanceOf(IllegalStateException.class);

            filled.put(0, (byte)~bytes[0]); // after publish: a bug, but a harmless one
            try (Mapping subscriber = Mapping.readOnly(memfd.fd(), LENGTH))
            {
                assertThat(subscriber.buffer().get(0)).as("what a subscriber maps").isEqualTo(bytes[0]);
            }
            assertThat(filled.get(0)).isEqualTo((byte)~bytes[0]);
        }
    }

    @Test
    void aPayloadUnmappedToZerosLeavesKeptBuffersReadingZeros() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, LENGTH))
        {
            memfd.write(0, ByteBuffer.wrap(randomBytes()));
            memfd.seal();
            try (Mapping payload = Mapping.readOnly(memfd.fd(), LENGTH))
            {
                final ByteBuffer kept = payload.buffer();
                payload.unmapToZeros();
                assertThat(kept.get(0)).isZero();
                assertThat(kept.get(LENGTH - 1)).isZero();
                assertThat(payload.buffer().isReadOnly()).isTrue();
            }
        }
    }

    @Test
    void anEmptyPayloadMapsNothing() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, 0))
        {
            memfd.seal();
            final Mapping payload = Mapping.readOnly(memfd.fd(), 0);
            assertThat(payload.address()).isZero();
            assertThat(payload.buffer().remaining()).isZero();
            payload.unmapToZeros();
            payload.close();
            payload.close();
        }
    }

    @Test
    void aClosedMappingGivesNoMoreBuffers() throws IOException
    {
        try (Memfd memfd = Memfd.create(NAME, 4096))
        {
            final Mapping loan = Mapping.readWrite(memfd);
            loan.close();
            loan.close();
            assertThatThrownBy(loan::buffer).isInstanceOf(IllegalStateException.class);
            memfd.seal(); // no writable mapping is left
        }
    }

    private static byte[] randomBytes()
    {
        final byte[] bytes = new byte[LENGTH];
        new Random(LENGTH).nextBytes(bytes);
        return bytes;
    }

    private static byte[] bytesOf(final ByteBuffer buffer)
    {
        final byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }
}

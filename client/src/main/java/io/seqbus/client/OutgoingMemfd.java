package io.seqbus.client;

import io.seqbus.sys.Memfd;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A payload above the threshold made into a sealed memfd for PUBLISH_FDS: memfd_create, ftruncate, pwrite (no
 * mapping, so sealing cannot meet EBUSY), all four seals. The caller owns the descriptor. Loaded only when
 * descriptors are used.
 */
final class OutgoingMemfd
{
    private static final String NAME = "seqbus-payload";

    private OutgoingMemfd()
    {
    }

    /** @return a sealed memfd holding the buffer's bytes between position and limit (left as they were). */
    static int sealed(final ByteBuffer payload)
    {
        try (Memfd memfd = Memfd.create(NAME, payload.remaining()))
        {
            memfd.write(0, payload.duplicate());
            memfd.seal();
            return memfd.release();
        }
        catch (final IOException ex)
        {
            throw new BusException("cannot make a memfd payload of " + payload.remaining() + " bytes: " +
                ex.getMessage(), ex);
        }
    }

    /** @return a sealed memfd holding {@code length} bytes of {@code bytes} from {@code offset}. */
    static int sealed(final byte[] bytes, final int offset, final int length)
    {
        return sealed(ByteBuffer.wrap(bytes, offset, length));
    }

    /** @return a sealed memfd holding {@code length} bytes of {@code buffer} from {@code offset}. */
    static int sealed(final DirectBuffer buffer, final int offset, final int length)
    {
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (byteBuffer != null)
        {
            final int at = buffer.wrapAdjustment() + offset;
            return sealed(byteBuffer.duplicate().limit(at + length).position(at));
        }
        if (buffer.byteArray() != null)
        {
            return sealed(buffer.byteArray(), buffer.wrapAdjustment() + offset, length);
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return sealed(copy, 0, length);
    }
}

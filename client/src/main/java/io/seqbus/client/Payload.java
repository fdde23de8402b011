package io.seqbus.client;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;

/**
 * A message's payload kept past its handler ({@link Message#keepPayload()}): for a memfd payload, the read-only
 * mapping and the descriptor, owned by this object until {@link #close()}; for an inline payload, a copy.
 * <p>
 * Close it when done: a kept memfd payload holds a descriptor (counted against RLIMIT_NOFILE, which the client
 * checks before reading more; see {@link ClientOptions#descriptors(boolean)}) and the memfd's pages. After close the
 * buffer reads zeros, never crashes; its address range is unmapped once the buffer is unreachable. Thread-safe.
 */
public final class Payload implements AutoCloseable
{
    private final MappedPayload mapped;
    private final ByteBuffer copy;
    private FileDescriptor descriptor;

    Payload(final MappedPayload mapped)
    {
        this.mapped = mapped;
        this.copy = null;
    }

    Payload(final ByteBuffer copy)
    {
        this.mapped = null;
        this.copy = copy;
    }

    /**
     * @return the payload, read-only, from position 0 to its size; zeros once closed (for a memfd payload).
     */
    public ByteBuffer buffer()
    {
        return mapped != null ? mapped.buffer().duplicate() : copy.duplicate();
    }

    /** @return bytes of payload. */
    public int size()
    {
        return mapped != null ? mapped.size() : copy.capacity();
    }

    /** @return true for a memfd payload (see {@link Message#isMemfdPayload()}). */
    public boolean isMemfd()
    {
        return mapped != null;
    }

    /**
     * @return the sealed memfd (to hand on, e.g. in {@link BusClient#publish(String, ByteBuffer, FileDescriptor...)},
     * or to read with {@code FileChannel} through {@code new FileInputStream(descriptor())}, without closing that
     * stream before this Payload); owned by this Payload, closed by {@link #close()}. Null for an inline payload.
     * @throws IllegalStateException once closed.
     */
    public synchronized FileDescriptor descriptor()
    {
        if (mapped == null)
        {
            return null;
        }
        final int fd = mapped.fd();
        if (fd < 0)
        {
            throw new IllegalStateException("this Payload is closed");
        }
        if (descriptor == null)
        {
            descriptor = Fds.descriptor(fd);
        }
        return descriptor;
    }

    /** Lets the payload go: its buffer reads zeros from now on and its descriptor is closed. Idempotent. */
    @Override
    public void close()
    {
        if (mapped != null)
        {
            mapped.letGo();
        }
    }

    @Override
    public String toString()
    {
        return "Payload{" + (mapped != null ? "memfd, " : "inline, ") + size() + " bytes}";
    }
}

package io.seqbus.client;

import com.sun.jna.Pointer;
import io.seqbus.sys.LibC;
import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A payload written in place ({@link BusClient#loan(int)}): a memfd of a fixed size, mapped read-write, which
 * {@link BusClient#publish(String, Loan)} seals and passes to every subscriber without a copy.
 * <pre>{@code
 * try (Loan loan = client.loan(size))
 * {
 *     fill(loan.buffer());
 *     client.publish("frames.camera1", loan);
 * }
 * }</pre>
 * Publishing first replaces the shared mapping at the same address by a private one of the same memfd (the bytes
 * stay where they are), then seals the memfd: from then on the buffer still reads the published bytes, and a write
 * through it (a bug) lands in a private copy that no subscriber sees; it never faults. A loan is published at most
 * once. {@link #close()} lets go of the memfd and its pages; the buffer then reads zeros (writes still land in
 * private pages) and its address range is unmapped once the buffer is unreachable. Not thread-safe: one owner.
 */
public final class Loan implements AutoCloseable
{
    private final State state;
    private final ByteBuffer buffer;
    private boolean published;

    /** What the Cleaner runs: it must not reach the buffer. */
    private static final class State implements Runnable
    {
        private final Memfd memfd;
        private final Mapping mapping;
        private boolean closed;

        State(final Memfd memfd, final Mapping mapping)
        {
            this.memfd = memfd;
            this.mapping = mapping;
        }

        synchronized void letGo()
        {
            if (closed)
            {
                return;
            }
            closed = true;
            if (mapping.address() != 0)
            {
                // Anonymous private pages, writable, in place: the memfd's pages are freed, and a stale buffer
                // neither faults on a read nor on a write.
                LibC.mmap(mapping.address(), mapping.length(), LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_FIXED, -1, 0);
            }
            memfd.close();
        }

        public synchronized void run()
        {
            letGo();
            mapping.close();
        }
    }

    private Loan(final State state, final ByteBuffer buffer)
    {
        this.state = state;
        this.buffer = buffer;
    }

    static Loan create(final int size)
    {
        if (size < 0)
        {
            throw new IllegalArgumentException("loan size must not be negative: " + size);
        }
        Memfd memfd = null;
        try
        {
            memfd = Memfd.create("seqbus-loan", size);
            final Mapping mapping = Mapping.readWrite(memfd);
            final ByteBuffer root = size == 0 ? ByteBuffer.allocateDirect(0) :
                new Pointer(mapping.address()).getByteBuffer(0, size);
            final State state = new State(memfd, mapping);
            MappedPayload.CLEANER.register(root, state);
            return new Loan(state, root);
        }
        catch (final IOException ex)
        {
            if (memfd != null)
            {
                memfd.close();
            }
            throw new BusException("cannot make a loan of " + size + " bytes: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return the loan's memory, writable until published, position 0 and limit {@link #size()}; the same buffer at
     * every call (its position and limit are the caller's).
     */
    public ByteBuffer buffer()
    {
        return buffer;
    }

    /** @return bytes of the loan: the payload's size when published. */
    public int size()
    {
        return buffer.capacity();
    }

    /** @return true once published. */
    public boolean isPublished()
    {
        return published;
    }

    /**
     * Seals the loan for publishing (see the class comment).
     *
     * @return a sealed memfd for PUBLISH_FDS, owned by the caller.
     */
    int seal()
    {
        if (published)
        {
            throw new IllegalStateException("this loan was published already: a loan is published once");
        }
        synchronized (state)
        {
            if (state.closed)
            {
                throw new IllegalStateException("this loan is closed");
            }
            try
            {
                state.mapping.sealInPlace();
            }
            catch (final IOException ex)
            {
                throw new BusException("cannot seal the loan: " + ex.getMessage(), ex);
            }
            published = true;
            return Fds.duplicate(state.memfd.fd());
        }
    }

    /** Lets go of the memfd (see the class comment). Idempotent. */
    @Override
    public void close()
    {
        state.letGo();
    }

    @Override
    public String toString()
    {
        return "Loan{" + size() + " bytes" + (published ? ", published" : "") + "}";
    }
}

package io.seqbus.client;

import com.sun.jna.Pointer;
import io.seqbus.sys.Mapping;
import io.seqbus.wire.SafeBuffer;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A memfd payload as a subscriber holds it: a read-only shared mapping, and the descriptor until it is let go.
 * Letting go (when the handler returns, unless kept; or {@link Payload#close()}) replaces the range with zeros, so
 * the pages are freed at once and a buffer someone kept reads zeros instead of crashing, and closes the descriptor.
 * The range itself is unmapped by a {@link Cleaner} once no buffer over it is reachable: every buffer handed out is
 * a view of one root buffer, which the Cleaner watches (a view of a direct buffer keeps its root reachable).
 * Loaded only when descriptors are used.
 */
final class MappedPayload
{
    static final Cleaner CLEANER = Cleaner.create();
    /**
     * Mappings not yet unmapped by the Cleaner past which a new one asks for a GC. Each is an entry of the process's
     * memory map until a GC finds its buffers unreachable, so a subscriber that takes memfd payloads faster than it
     * fills its heap reached vm.max_map_count (65,530 by default), and the next mmap, the JVM's own included, failed
     * (DescriptorChurnIT's JVM died so, ~60,000 payloads in). The JDK's direct buffers do the same at
     * -XX:MaxDirectMemorySize (java.nio.Bits): with -XX:+DisableExplicitGC neither works.
     */
    static final int MAPPINGS_BEFORE_GC = 16_384;
    /** Past the bound, a GC is asked for once every this many mappings: not one per message while buffers are kept. */
    private static final int GC_EVERY = 1_024;
    private static final AtomicInteger MAPPINGS = new AtomicInteger();

    private final State state;
    private final ByteBuffer view;
    private SafeBuffer direct;

    /** What the Cleaner runs: it must not reach the buffers, or they would never become unreachable. */
    private static final class State implements Runnable
    {
        private final Mapping mapping;
        private final FdBudget budget;
        private int fd;

        State(final Mapping mapping, final int fd, final FdBudget budget)
        {
            this.mapping = mapping;
            this.fd = fd;
            this.budget = budget;
        }

        synchronized boolean isLetGo()
        {
            return fd < 0;
        }

        synchronized int fd()
        {
            return fd;
        }

        synchronized void letGo()
        {
            if (fd < 0)
            {
                return;
            }
            try
            {
                mapping.unmapToZeros();
            }
            catch (final IOException ex)
            {
                // ENOMEM: the pages stay mapped until the Cleaner unmaps them; nothing else to do.
            }
            Fds.close(fd);
            fd = -1;
            if (budget != null)
            {
                budget.closed(1);
            }
        }

        public synchronized void run()
        {
            letGo();
            mapping.close();
            MAPPINGS.decrementAndGet();
        }
    }

    private MappedPayload(final State state, final ByteBuffer view)
    {
        this.state = state;
        this.view = view;
    }

    /**
     * @param fd     the received memfd, owned by the result from now on (closed if mapping fails).
     * @param size   its payload_size, at most 2 GiB - 1.
     * @param budget told when the descriptor closes; null for none.
     * @throws IOException when mmap fails.
     */
    static MappedPayload map(final int fd, final long size, final FdBudget budget) throws IOException
    {
        if (size < 0 || size > Integer.MAX_VALUE)
        {
            Fds.close(fd);
            if (budget != null)
            {
                budget.closed(1);
            }
            throw new IOException("a memfd payload of " + size + " bytes does not fit a ByteBuffer");
        }
        final Mapping mapping;
        try
        {
            mapping = Mapping.readOnly(fd, size);
        }
        catch (final IOException ex)
        {
            Fds.close(fd);
            if (budget != null)
            {
                budget.closed(1);
            }
            throw ex;
        }
        final ByteBuffer root = size == 0 ? ByteBuffer.allocateDirect(0) :
            new Pointer(mapping.address()).getByteBuffer(0, size);
        final State state = new State(mapping, fd, budget);
        CLEANER.register(root, state);
        final int live = MAPPINGS.incrementAndGet();
        if (live > MAPPINGS_BEFORE_GC && live % GC_EVERY == 0)
        {
            System.gc(); // the Cleaner then unmaps every payload nobody holds (see MAPPINGS_BEFORE_GC)
        }
        return new MappedPayload(state, root.asReadOnlyBuffer());
    }

    /** @return mappings made and not yet unmapped, in this JVM. */
    static int liveMappings()
    {
        return MAPPINGS.get();
    }

    /** @return the payload, read-only, position 0, limit its size (reset at each call). */
    ByteBuffer buffer()
    {
        view.clear();
        return view;
    }

    /** @return the payload as an Agrona buffer over the same memory (a view of the same root). */
    SafeBuffer directBuffer()
    {
        if (direct == null)
        {
            direct = new SafeBuffer(view.duplicate());
        }
        return direct;
    }

    int size()
    {
        return view.capacity();
    }

    /** @return the descriptor, -1 once let go. */
    int fd()
    {
        return state.fd();
    }

    boolean isLetGo()
    {
        return state.isLetGo();
    }

    /** Zeros in place of the bytes, the descriptor closed; idempotent, any thread. */
    void letGo()
    {
        state.letGo();
    }
}

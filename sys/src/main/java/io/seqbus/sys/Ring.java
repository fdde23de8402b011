package io.seqbus.sys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One direction of a {@link ShmChannel}: its records and its four control words (tail, head, reader sleeping,
 * writer waiting), each on its own cache line pair. The words are read and written with VarHandle acquire/release
 * over the mapped buffer: no Unsafe, so the client needs no JVM flag. One {@link RingWriter} and one
 * {@link RingReader} per ring, each owning its private position; everything read from the memory is checked, since
 * the other side may write anything there.
 */
public final class Ring
{
    static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Offsets of the control words from the ring's control block. */
    static final int TAIL = 0;
    static final int HEAD = 128;
    static final int READER_SLEEPING = 256;
    static final int WRITER_WAITING = 384;

    final ByteBuffer memory;
    final int base;
    final int capacity;
    private final int control;
    private RingWriter writer;
    private RingReader reader;

    Ring(final ByteBuffer memory, final int control, final int base, final int capacity)
    {
        this.memory = memory;
        this.control = control;
        this.base = base;
        this.capacity = capacity;
    }

    /** @return bytes of records the ring holds at most. */
    public int capacity()
    {
        return capacity;
    }

    /** @return the ring's one writer; its position starts where the tail in memory is now. */
    public RingWriter writer()
    {
        if (writer == null)
        {
            writer = new RingWriter(this, tail());
        }
        return writer;
    }

    /**
     * @param maxBody the largest record body accepted (the reader's buffer); a longer one is corrupt.
     * @return the ring's one reader; its position starts where the head in memory is now.
     */
    public RingReader reader(final int maxBody)
    {
        if (reader == null)
        {
            reader = new RingReader(this, head(), maxBody);
        }
        return reader;
    }

    /** Reader side: it is about to sleep. Re-check the ring after this, then sleep only if it is still empty. */
    public void readerWillSleep()
    {
        INT.setVolatile(memory, control + READER_SLEEPING, 1);
    }

    /** Reader side: it is awake (it may already be, when a writer took the flag). */
    public void readerAwake()
    {
        INT.setOpaque(memory, control + READER_SLEEPING, 0);
    }

    /**
     * Writer side, after committing records: whether the reader sleeps and this writer is the one to wake it.
     *
     * @return true when the caller must signal the reader's eventfd.
     */
    public boolean takeReaderSleeping()
    {
        return takeFlag(READER_SLEEPING);
    }

    /** Writer side: the ring is full and the writer waits for room. Re-check the room after this. */
    public void writerWillWait()
    {
        INT.setVolatile(memory, control + WRITER_WAITING, 1);
    }

    /** Writer side: no longer waiting. */
    public void writerAwake()
    {
        INT.setOpaque(memory, control + WRITER_WAITING, 0);
    }

    /**
     * Reader side, after moving its head: whether the writer waits for room and this reader is the one to wake it.
     *
     * @return true when the caller must signal the writer's eventfd.
     */
    public boolean takeWriterWaiting()
    {
        return takeFlag(WRITER_WAITING);
    }

    /** @return whether the reader said it sleeps, without taking the flag (tests, diagnostics). */
    boolean takeReaderSleepingPeek()
    {
        return (int)INT.getVolatile(memory, control + READER_SLEEPING) != 0;
    }

    private boolean takeFlag(final int word)
    {
        // The store that committed (a release) must not pass the load of the flag: the reader's side is a volatile
        // store of the flag, then a load of the position. Either it sees our position, or we see its flag.
        VarHandle.fullFence();
        final int offset = control + word;
        return (int)INT.getVolatile(memory, offset) != 0 && INT.compareAndSet(memory, offset, 1, 0);
    }

    long tail()
    {
        return (long)LONG.getAcquire(memory, control + TAIL);
    }

    void publishTail(final long tail)
    {
        LONG.setRelease(memory, control + TAIL, tail);
    }

    long head()
    {
        return (long)LONG.getAcquire(memory, control + HEAD);
    }

    void publishHead(final long head)
    {
        LONG.setRelease(memory, control + HEAD, head);
    }
}

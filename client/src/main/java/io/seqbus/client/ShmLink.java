package io.seqbus.client;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.seqbus.sys.EventFd;
import io.seqbus.sys.LibC;
import io.seqbus.sys.Ring;
import io.seqbus.sys.RingReader;
import io.seqbus.sys.RingWriter;
import io.seqbus.sys.ShmChannel;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.ShmAttachFrame;
import io.seqbus.wire.ShmFdsFrame;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection's shared memory (docs/design/shared-memory.md), client side: the rings the broker made and handed
 * over in SHM_READY, and the two eventfds of the wake protocol. A datagram becomes one record: written into
 * {@code from_client} by the {@link Outbound} lock holder, read from {@code to_client} (copied out, so a handler never
 * sees the mapping) by the polling side. A reader or writer signals the broker only when the broker said it sleeps
 * or waits for room, so a busy connection makes no syscall per message.
 * <p>
 * Loaded only when the client asks for shared memory: it needs JNA and {@code seqbus-sys}. Retired under the lock by
 * {@link Connection#detach()}, which any thread may call (close does); the polling side {@link #enter() enters} it
 * around its reads and its sleep, so the memory is unmapped only once nobody is inside: touching an unmapped ring
 * would crash the JVM.
 */
final class ShmLink implements AutoCloseable
{
    /** How often an empty ring makes a spinning reader look whether the broker hung up: bounded syscalls. */
    private static final long HANGUP_CHECK_NS = 1_000_000;
    // struct pollfd: int fd, short events, short revents.
    private static final int POLLFD_LENGTH = 8;
    private static final int EVENTS_OFFSET = 4;
    private static final int REVENTS_OFFSET = 6;
    private static final int HANGUP = LibC.POLLHUP | LibC.POLLERR;
    private static final int RETIRED = 1 << 30;

    private final ShmChannel channel;
    private final EventFd clientWake;
    private final EventFd brokerWake;
    private final Ring toClient;
    private final Ring fromClient;
    private final RingReader reader;
    private final RingWriter writer;
    // Two pollfds: client_wake (POLLIN), then the socket (no events asked: POLLHUP and POLLERR come anyway, and an
    // SHM_FDS datagram queued ahead of its record does not wake the sleeper). Polling side only.
    private final ByteBuffer pollFds = ByteBuffer.allocateDirect(2 * POLLFD_LENGTH).order(ByteOrder.nativeOrder());
    private final long pollFdsAddress = Pointer.nativeValue(Native.getDirectBufferPointer(pollFds));
    private final int socketFd;
    // SHM_ATTACH and SHM_FDS datagrams, encoded here: lock holder.
    private final ByteBuffer control = ByteBuffer.allocateDirect(64);
    private final SafeBuffer controlBuffer = new SafeBuffer(control);
    // Polling side: the socket hung up (the broker is gone); what it committed before is still read.
    private boolean hungUp;
    private long nextHangupCheckNs;
    // Lock holder: this side said writer_waiting.
    private boolean writerWaiting;
    // Lock holder: SHM_ATTACH went out on the socket; from then on every frame goes into from_client.
    private volatile boolean attached;
    // The polling side's entries (at most one at a time), plus RETIRED once close() was called: the last to leave
    // a retired link unmaps it.
    private final AtomicInteger users = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ShmLink(
        final ShmChannel channel, final EventFd clientWake, final EventFd brokerWake, final int socketFd,
        final int maxBody)
    {
        this.channel = channel;
        this.clientWake = clientWake;
        this.brokerWake = brokerWake;
        this.socketFd = socketFd;
        toClient = channel.toClient();
        fromClient = channel.fromClient();
        reader = toClient.reader(maxBody);
        writer = fromClient.writer();
        pollFds.putInt(0, clientWake.fd());
        pollFds.putShort(EVENTS_OFFSET, (short)LibC.POLLIN);
        pollFds.putInt(POLLFD_LENGTH, socketFd);
        pollFds.putShort(POLLFD_LENGTH + EVENTS_OFFSET, (short)0);
    }

    /**
     * Maps what SHM_READY handed over, checked against the frame. Owns the three descriptors from the call on:
     * on failure they are closed.
     *
     * @param maxBody the largest record body this client reads: the broker's max_datagram.
     * @throws IOException why the memory cannot be used; the caller then stays off shared memory.
     */
    static ShmLink map(
        final int memfd, final int clientWakeFd, final int brokerWakeFd, final int toClientCapacity,
        final int fromClientCapacity, final long size, final int socketFd, final int maxBody) throws IOException
    {
        final EventFd clientWake = EventFd.of(clientWakeFd);
        final EventFd brokerWake = EventFd.of(brokerWakeFd);
        ShmChannel channel = null;
        try
        {
            channel = ShmChannel.map(memfd, toClientCapacity, fromClientCapacity, size);
            return new ShmLink(channel, clientWake, brokerWake, socketFd, maxBody);
        }
        catch (final IOException | RuntimeException ex)
        {
            // ShmChannel.map owns the memfd from the call on, and closes it when it fails.
            if (channel != null)
            {
                channel.close();
            }
            clientWake.close();
            brokerWake.close();
            throw ex;
        }
    }

    boolean isAttached()
    {
        return attached;
    }

    /** Under lock, once SHM_ATTACH is on the socket. */
    void attached()
    {
        attached = true;
    }

    /** @return the longest record body from_client takes: a record is at most half the ring. */
    int maxRecordBody()
    {
        return fromClient.capacity() / 2 - RingWriter.HEADER_LENGTH;
    }

    /** Under lock: the SHM_ATTACH datagram, position 0, limit its length. */
    ByteBuffer attachDatagram()
    {
        control.clear().limit(ShmAttachFrame.encode(controlBuffer, 0));
        return control;
    }

    /** Under lock: the SHM_FDS datagram announcing a record's {@code count} descriptors. */
    ByteBuffer fdsDatagram(final int count)
    {
        control.clear().limit(ShmFdsFrame.encode(controlBuffer, 0, count));
        return control;
    }

    /**
     * Polling side: copies the next record's body to {@code dst} (index 0, limit its length), and wakes the broker
     * when it waits for room.
     *
     * @return its length, 0 when the ring is empty.
     */
    int read(final ByteBuffer dst) throws IOException
    {
        final int length = reader.read(dst);
        if (length > 0 && toClient.takeWriterWaiting())
        {
            brokerWake.signal();
        }
        return length;
    }

    /** @return true when the last record read was FRAMES_WITH_FDS: its descriptors wait on the socket (SHM_FDS). */
    boolean lastHadFds()
    {
        return reader.lastType() == RingWriter.FRAMES_WITH_FDS;
    }

    /**
     * Polling side, on an empty ring: whether the broker hung up. Known at once after a sleep that saw it; else
     * looked at (a poll(2) of no time) at most every {@link #HANGUP_CHECK_NS}, so spinning costs no syscall per look.
     */
    boolean hungUp()
    {
        if (hungUp)
        {
            return true;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - nextHangupCheckNs < 0)
        {
            return false;
        }
        nextHangupCheckNs = nowNs + HANGUP_CHECK_NS;
        pollFds.putShort(POLLFD_LENGTH + REVENTS_OFFSET, (short)0);
        if (LibC.poll(pollFdsAddress + POLLFD_LENGTH, 1, 0) > 0 &&
            (pollFds.getShort(POLLFD_LENGTH + REVENTS_OFFSET) & HANGUP) != 0)
        {
            hungUp = true;
        }
        return hungUp;
    }

    /**
     * Polling side: sleeps until the broker writes a record, makes room it waited for, hangs up, or
     * {@link #wakeup()} is called; at most {@code timeoutMs}. Says it sleeps first and looks once more, so a record
     * committed meanwhile is never slept through (the broker signals only a reader that said so).
     */
    void awaitReadable(final long timeoutMs) throws IOException
    {
        toClient.readerWillSleep();
        try
        {
            if (!reader.isEmpty())
            {
                return;
            }
            pollFds.putShort(REVENTS_OFFSET, (short)0);
            pollFds.putShort(POLLFD_LENGTH + REVENTS_OFFSET, (short)0);
            if (LibC.poll(pollFdsAddress, 2, (int)timeoutMs) > 0 &&
                (pollFds.getShort(POLLFD_LENGTH + REVENTS_OFFSET) & HANGUP) != 0)
            {
                hungUp = true;
            }
        }
        finally
        {
            toClient.readerAwake();
            clientWake.drain();
        }
    }

    /** Any thread: ends the polling side's sleep, or makes its next one return at once. */
    void wakeup()
    {
        clientWake.signal();
    }

    /**
     * Under lock: room for a record of this body length now, else says it waits (the broker signals client_wake
     * once it made room) and looks once more. Said at every attempt, not once per wait: the broker takes the flag
     * when it signals, and the room it made may still be too little; a flag not raised again is never signalled.
     */
    boolean hasRoom(final int bodyLength) throws IOException
    {
        if (writer.hasRoom(bodyLength))
        {
            return true;
        }
        fromClient.writerWillWait();
        writerWaiting = true;
        return writer.hasRoom(bodyLength);
    }

    /**
     * Under lock: one datagram as one record, committed, and the broker woken when it sleeps. A full ring is a full
     * socket: false, nothing written, and the broker will signal client_wake once it made room.
     *
     * @param withFds true for a record of type FRAMES_WITH_FDS, whose SHM_FDS was just sent.
     */
    boolean write(final ByteBuffer src, final boolean withFds) throws IOException
    {
        final int type = withFds ? RingWriter.FRAMES_WITH_FDS : RingWriter.FRAMES;
        if (!writer.write(src, type))
        {
            if (!hasRoom(src.remaining()) || !writer.write(src, type))
            {
                return false;
            }
        }
        if (writerWaiting)
        {
            writerWaiting = false;
            fromClient.writerAwake();
        }
        if (fromClient.takeReaderSleeping())
        {
            brokerWake.signal();
        }
        return true;
    }

    /**
     * Polling side, before it reads or sleeps: once per call, not per record.
     *
     * @return false when the link was retired meanwhile: do not touch it.
     */
    boolean enter()
    {
        if ((users.incrementAndGet() & RETIRED) != 0)
        {
            exit();
            return false;
        }
        return true;
    }

    /** Polling side, after {@link #enter()} returned true: unmaps a link retired meanwhile. */
    void exit()
    {
        if (users.decrementAndGet() == RETIRED)
        {
            unmapAndClose();
        }
    }

    /**
     * Under lock, once no longer the connection's: unmaps and closes the memfd's mapping and both eventfds now, or,
     * when the polling side is inside, as it leaves.
     */
    @Override
    public void close()
    {
        if (users.addAndGet(RETIRED) == RETIRED)
        {
            unmapAndClose();
        }
    }

    private void unmapAndClose()
    {
        if (closed.compareAndSet(false, true))
        {
            channel.close();
            clientWake.close();
            brokerWake.close();
        }
    }

    int socketFd()
    {
        return socketFd;
    }
}

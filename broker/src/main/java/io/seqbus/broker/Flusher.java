package io.seqbus.broker;

import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.Outbox;
import io.seqbus.broker.net.ClientConnection;

import java.io.IOException;
import java.util.ArrayList;

/**
 * The write path: once a duty cycle, sends what every touched outbox holds, one {@code send} per
 * datagram, and waits for epoll_wait to report room where the kernel's queue is full.
 */
final class Flusher
{
    private final FanOut fanOut;
    private final Connections connections;
    private final Outbox.WriteCounter writeCounter;

    Flusher(final FanOut fanOut, final Connections connections)
    {
        this.fanOut = fanOut;
        this.connections = connections;
        this.writeCounter = connections.writeCounter();
    }

    /**
     * @return outboxes looked at.
     */
    int flushAll()
    {
        final ArrayList<ClientConnection> toFlush = fanOut.toFlush();
        // Not a for-each: flushing can queue more (a GAP once there is room), appended here.
        int i = 0;
        for (; i < toFlush.size(); i++)
        {
            final ClientConnection c = toFlush.get(i);
            c.flushPending = false;
            c.outbox().settle();
            if (c.state() == ClientConnection.State.CLOSED || c.state() == ClientConnection.State.CLOSING ||
                c.writeBlocked)
            {
                continue;
            }
            flush(c);
        }
        toFlush.clear();
        return i;
    }

    private void flush(final ClientConnection c)
    {
        try
        {
            if (c.outbox().flush(c.io(), writeCounter) == Outbox.BLOCKED)
            {
                c.writeBlocked = true;
                connections.updateInterest(c);
            }
            c.outbox().settle();
            fanOut.onQueueShrunk(c);
        }
        catch (final IOException ex)
        {
            connections.close(c, "write failed: " + ex.getMessage());
        }
    }
}

package io.seqbus.broker.metrics;

import io.seqbus.broker.log.Log;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The metrics endpoint's one thread: a selector over the listening socket and at most
 * {@link #MAX_CONNECTIONS} connections, none of which can hold the thread, since every socket is
 * non-blocking and every connection has a deadline. A new connection over the cap closes the oldest
 * one, the nearest its deadline anyway, so a crowd of idle clients cannot lock out a probe for long.
 */
final class HttpLoop implements Runnable
{
    /** Connections open at once; a scraper and a few probes need far fewer. */
    static final int MAX_CONNECTIONS = 64;

    private static final long CLOSE_WAIT_MS = TimeUnit.SECONDS.toMillis(5);

    // After accept(2) fails (out of descriptors, say) the pending connection stays ready: without a pause
    // the loop would spin on it.
    private static final long ACCEPT_PAUSE_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ServerSocketChannel server;
    private final boolean ownsServer;
    private final Selector selector;
    private final Function<RequestHead.Request, HttpReply> routes;
    // In accept order: the first is the oldest, evicted first over the cap.
    private final Set<HttpConnection> open = new LinkedHashSet<>();
    private final Thread thread;
    private SelectionKey acceptKey;
    private boolean acceptPaused;
    private long acceptResumeNs;
    private volatile boolean closing;

    private HttpLoop(
        final ServerSocketChannel server, final boolean ownsServer, final Selector selector,
        final Function<RequestHead.Request, HttpReply> routes)
    {
        this.server = server;
        this.ownsServer = ownsServer;
        this.selector = selector;
        this.routes = routes;
        this.thread = new Thread(this, "seqbus-metrics");
        this.thread.setDaemon(true);
    }

    /**
     * Starts serving on a listening socket.
     *
     * @param server     a bound listening socket; the selector comes from its provider (the JDK's, or
     *                   junixsocket's for a socket systemd passed, see {@link InheritedPort}).
     * @param ownsServer true when the loop closes the socket as it stops. False for a socket systemd passed:
     *                   junixsocket's close shuts the socket down (shutdown(2)) for systemd's copy as well, and
     *                   the port would stop listening for the next broker; the descriptor goes with the process.
     * @param routes     what to answer to a request; runs on the loop's thread, so it must not block.
     * @return the running loop.
     * @throws IOException when no selector can be opened.
     */
    static HttpLoop start(
        final ServerSocketChannel server, final boolean ownsServer, final Function<RequestHead.Request, HttpReply> routes)
        throws IOException
    {
        final Selector selector = server.provider().openSelector();
        final HttpLoop loop = new HttpLoop(server, ownsServer, selector, routes);
        try
        {
            server.configureBlocking(false);
            loop.acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
        }
        catch (final IOException ex)
        {
            selector.close();
            throw ex;
        }
        loop.thread.start();
        return loop;
    }

    /**
     * Stops the thread and closes every socket, the listening one included if the loop owns it, before returning.
     */
    void close()
    {
        closing = true;
        selector.wakeup();
        try
        {
            thread.join(CLOSE_WAIT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
        {
            Log.warn("metrics: the endpoint's thread did not stop within " + CLOSE_WAIT_MS + " ms");
        }
    }

    @Override
    public void run()
    {
        try
        {
            while (!closing)
            {
                selector.select(timeoutMs(System.nanoTime()));
                final Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
                while (ready.hasNext())
                {
                    final SelectionKey key = ready.next();
                    ready.remove();
                    serve(key);
                }
                final long nowNs = System.nanoTime();
                closeExpired(nowNs);
                if (acceptPaused && nowNs - acceptResumeNs >= 0)
                {
                    acceptPaused = false;
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            Log.error("metrics: the endpoint stopped: " + ex);
        }
        finally
        {
            closeAll();
        }
    }

    private void serve(final SelectionKey key)
    {
        if (!key.isValid())
        {
            return; // closed earlier in this batch, evicted over the cap
        }
        if (key.isAcceptable())
        {
            accept();
            return;
        }
        final HttpConnection connection = (HttpConnection)key.attachment();
        boolean keep;
        try
        {
            keep = connection.advance(routes, System.nanoTime());
        }
        catch (final IOException ex)
        {
            Log.debug("metrics: connection failed: " + ex);
            keep = false;
        }
        catch (final RuntimeException ex)
        {
            Log.warn("metrics: request failed: " + ex);
            keep = false;
        }
        if (keep)
        {
            key.interestOps(connection.interestOps());
        }
        else
        {
            close(connection);
        }
    }

    private void accept()
    {
        // At most a cap's worth per wake-up: a flood of connects cannot keep the thread from the others.
        for (int i = 0; i < MAX_CONNECTIONS; i++)
        {
            final SocketChannel channel;
            try
            {
                channel = server.accept();
            }
            catch (final IOException ex)
            {
                Log.warn("metrics: cannot accept a connection (" + ex.getMessage() + "); trying again in 100 ms");
                acceptPaused = true;
                acceptResumeNs = System.nanoTime() + ACCEPT_PAUSE_NS;
                acceptKey.interestOps(0);
                return;
            }
            if (channel == null)
            {
                return;
            }
            if (open.size() >= MAX_CONNECTIONS)
            {
                Log.debug("metrics: over " + MAX_CONNECTIONS + " connections; closing the oldest");
                close(open.iterator().next());
            }
            final HttpConnection connection = new HttpConnection(channel, System.nanoTime());
            try
            {
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, connection);
            }
            catch (final IOException ex)
            {
                connection.close();
                continue;
            }
            open.add(connection);
        }
    }

    private long timeoutMs(final long nowNs)
    {
        if (open.isEmpty() && !acceptPaused)
        {
            return 0; // no deadline to keep: wait for a connection
        }
        long earliest = acceptPaused ? acceptResumeNs - nowNs : Long.MAX_VALUE;
        for (final HttpConnection connection : open)
        {
            earliest = Math.min(earliest, connection.deadlineNs() - nowNs);
        }
        // select(0) would wait forever; round up so a wake-up never comes just before the deadline
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(earliest) + 1);
    }

    private void closeExpired(final long nowNs)
    {
        final Iterator<HttpConnection> it = open.iterator();
        while (it.hasNext())
        {
            final HttpConnection connection = it.next();
            if (connection.expired(nowNs))
            {
                it.remove();
                connection.close();
            }
        }
    }

    private void close(final HttpConnection connection)
    {
        open.remove(connection);
        connection.close();
    }

    private void closeAll()
    {
        open.forEach(HttpConnection::close);
        open.clear();
        if (ownsServer)
        {
            try
            {
                server.close();
            }
            catch (final IOException ex)
            {
                Log.debug("metrics: closing the listening socket: " + ex);
            }
        }
        try
        {
            selector.close(); // also deregisters a socket left open
        }
        catch (final IOException ex)
        {
            Log.debug("metrics: closing the selector: " + ex);
        }
    }
}

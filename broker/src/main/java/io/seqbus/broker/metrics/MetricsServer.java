package io.seqbus.broker.metrics;

import io.seqbus.broker.log.Log;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text format) and {@code /health} over HTTP, on one daemon thread of
 * its own: a scrape never touches the broker agent.
 *
 * <p>Any local user can connect (the default address is loopback), so no client may stall the
 * endpoint or exhaust it. The JDK's {@code com.sun.net.httpserver} was dropped for a server of our own
 * ({@link HttpLoop}) because, on Java 17, its limits are not ours to set: {@code sun.net.httpserver.maxReqTime}
 * and {@code maxRspTime} are JVM-wide system properties read once when its classes load (an embedding
 * application's own servers would change too, and a property set after that is silently ignored), it has
 * no cap on open connections, and its handlers block, so a bounded pool is held by as many clients that
 * stop reading as it has threads. Here every resource has a bound: {@link HttpLoop#MAX_CONNECTIONS}
 * connections, a {@link RequestHead#MAX_BYTES}-byte head each, a deadline per connection
 * ({@link HttpConnection}), non-blocking sockets throughout, one request per connection.
 */
public final class MetricsServer implements AutoCloseable
{
    private static final int BACKLOG = HttpLoop.MAX_CONNECTIONS;

    private final HttpLoop loop;
    private final InetSocketAddress address;

    private MetricsServer(final HttpLoop loop, final InetSocketAddress address)
    {
        this.loop = loop;
        this.address = address;
    }

    /**
     * Binds and starts serving.
     *
     * @param address where to listen; port 0 picks a free port.
     * @param metrics what {@code /metrics} shows.
     * @param health  what {@code /health} shows: healthy or not, and a small JSON body.
     * @return the running server.
     * @throws IOException when the address cannot be bound.
     */
    public static MetricsServer start(
        final InetSocketAddress address, final BrokerMetrics metrics, final Supplier<Health> health) throws IOException
    {
        final InetSocketAddress resolved = address.isUnresolved() ?
            new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (resolved.isUnresolved())
        {
            throw new IOException("metrics: cannot resolve host " + address.getHostString());
        }
        final ServerSocketChannel server = ServerSocketChannel.open();
        try
        {
            server.bind(resolved, BACKLOG);
        }
        catch (final IOException ex)
        {
            server.close();
            throw new IOException("metrics: cannot listen on " + address.getHostString() + ":" + address.getPort() +
                ": " + ex.getMessage() + " (set metrics = \"HOST:PORT\" or \"off\")", ex);
        }
        try
        {
            final InetSocketAddress bound = (InetSocketAddress)server.getLocalAddress();
            return new MetricsServer(HttpLoop.start(server, true, (request) -> route(request, metrics, health)), bound);
        }
        catch (final IOException | RuntimeException ex)
        {
            server.close();
            throw ex;
        }
    }

    /**
     * Serves on the listening TCP socket systemd passed ({@code FileDescriptorName=metrics}): a scrape that
     * started the broker is answered on it, and the port stays systemd's when the broker stops.
     *
     * @param fd      the inherited descriptor.
     * @param metrics what {@code /metrics} shows.
     * @param health  what {@code /health} shows.
     * @return the running server.
     * @throws IOException when the descriptor is not a listening IPv4 or IPv6 stream socket.
     */
    public static MetricsServer inherit(final int fd, final BrokerMetrics metrics, final Supplier<Health> health)
        throws IOException
    {
        final ServerSocketChannel server = InheritedPort.channel(fd);
        final InetSocketAddress bound = InheritedPort.address(server.getLocalAddress(), fd);
        return new MetricsServer(HttpLoop.start(server, false, (request) -> route(request, metrics, health)), bound);
    }

    private static HttpReply route(
        final RequestHead.Request request, final BrokerMetrics metrics, final Supplier<Health> health)
    {
        try
        {
            switch (request.path())
            {
                case "/metrics":
                    return new HttpReply(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                case "/health":
                    final Health h = health.get();
                    return new HttpReply(h.healthy() ? 200 : 503, "application/json", h.json());
                default:
                    return HttpReply.text(404, "seqbus: /metrics or /health\n");
            }
        }
        catch (final RuntimeException ex)
        {
            Log.warn("metrics: " + request.path() + ": " + ex);
            return HttpReply.text(500, "seqbus: " + request.path() + " failed; see the broker's log\n");
        }
    }

    /**
     * @return the bound address; its port is the real one when 0 was asked for.
     */
    public InetSocketAddress address()
    {
        return address;
    }

    /**
     * Stops serving; a port this server bound is free when this returns, one systemd passed stays systemd's.
     */
    @Override
    public void close()
    {
        loop.close();
    }

    /**
     * What {@code /health} answers.
     *
     * @param healthy 200 when true, else 503.
     * @param json    the body.
     */
    public record Health(boolean healthy, String json)
    {
    }
}

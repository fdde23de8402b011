package io.seqbus.broker.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.seqbus.broker.Log;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text format) and {@code /health} over HTTP, served by the JDK's
 * own server on one daemon thread: a scrape never touches the broker agent.
 */
public final class MetricsServer implements AutoCloseable
{
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(final HttpServer server, final ExecutorService executor)
    {
        this.server = server;
        this.executor = executor;
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
        final HttpServer server;
        try
        {
            server = HttpServer.create(resolved, 16);
        }
        catch (final IOException ex)
        {
            throw new IOException("metrics: cannot listen on " + address.getHostString() + ":" + address.getPort() +
                ": " + ex.getMessage() + " (set metrics = \"HOST:PORT\" or \"off\")", ex);
        }
        final ExecutorService executor = Executors.newSingleThreadExecutor((r) ->
        {
            final Thread t = new Thread(r, "seqbus-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", (exchange) ->
            reply(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        server.createContext("/health", (exchange) ->
        {
            final Health h = health.get();
            reply(exchange, h.healthy() ? 200 : 503, "application/json", h.json());
        });
        server.createContext("/", (exchange) ->
            reply(exchange, 404, "text/plain; charset=utf-8", "seqbus: /metrics or /health\n"));
        server.start();
        return new MetricsServer(server, executor);
    }

    private static void reply(final HttpExchange exchange, final int status, final String type, final String body)
        throws IOException
    {
        try (exchange)
        {
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            if ("HEAD".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(bytes);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            Log.debug("metrics: " + exchange.getRequestURI() + ": " + ex);
            throw ex;
        }
    }

    /**
     * @return the bound address; its port is the real one when 0 was asked for.
     */
    public InetSocketAddress address()
    {
        return server.getAddress();
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
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

package io.seqbus.broker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.metrics.MetricsServer;
import io.seqbus.broker.net.Listener;
import org.agrona.concurrent.AgentRunner;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Whether a broker is alive, as /health and the metrics' up gauge tell it: the agent finished a
 * duty cycle within {@link Configuration#HEALTH_MAX_CYCLE_AGE_MS} (it wakes at least every
 * {@link Configuration#IDLE_BLOCK_MS} even when idle) and the socket still accepts: the listener
 * is open and, for a path, the socket file is still there (the one bound, or the one systemd passed). Safe from any thread.
 */
final class BrokerHealth
{
    private static final JsonFactory JSON = new JsonFactory();

    private final BrokerCounters counters;
    private final Listener listener;
    private final AgentRunner runner;

    BrokerHealth(final BrokerCounters counters, final Listener listener, final AgentRunner runner)
    {
        this.counters = counters;
        this.listener = listener;
        this.runner = runner;
    }

    /**
     * @return true when healthy.
     */
    boolean isHealthy()
    {
        return cycleAgeMs() <= Configuration.HEALTH_MAX_CYCLE_AGE_MS && socketAccepts();
    }

    /**
     * @return the verdict and the JSON document /health serves.
     */
    MetricsServer.Health report()
    {
        final long age = cycleAgeMs();
        final boolean accepts = socketAccepts();
        final boolean healthy = age <= Configuration.HEALTH_MAX_CYCLE_AGE_MS && accepts;
        final StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out))
        {
            json.writeStartObject();
            json.writeStringField("status", healthy ? "up" : "down");
            json.writeNumberField("agent_last_cycle_ms", age == Long.MAX_VALUE ? -1 : age);
            json.writeBooleanField("socket_accepting", accepts);
            json.writeNumberField("clients", counters.get(BrokerCounters.CONNECTIONS_OPEN));
            json.writeNumberField("subscriptions", counters.get(BrokerCounters.SUBSCRIPTIONS));
            json.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex); // a StringWriter does not fail
        }
        return new MetricsServer.Health(healthy, out + "\n");
    }

    private long cycleAgeMs()
    {
        final long last = counters.get(BrokerCounters.AGENT_LAST_CYCLE_NANOTIME);
        return last == 0 ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - last);
    }

    private boolean socketAccepts()
    {
        if (!listener.channel().isOpen() || runner.isClosed())
        {
            return false;
        }
        // The socket the broker listens on, not the configured one: a socket systemd passed is
        // wherever its unit put it, whatever --socket or the default say.
        final Path file = listener.file();
        return file == null || Files.exists(file);
    }
}

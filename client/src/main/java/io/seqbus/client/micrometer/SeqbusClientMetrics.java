package io.seqbus.client.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientStats;

import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Exposes a {@link BusClient}'s counters ({@link BusClient#stats()}) to Micrometer:
 * <pre>{@code
 * new SeqbusClientMetrics(client, Tags.of("bus", "orders")).bindTo(registry);
 * }</pre>
 * Counters, read when the registry is scraped:
 * <ul>
 *   <li>{@code seqbus.client.publishes} with tag {@code result}: {@code accepted}, {@code denied} (refused at
 *   the call), {@code refused} (refused by the broker);</li>
 *   <li>{@code seqbus.client.errors}: ERROR frames from the broker;</li>
 *   <li>{@code seqbus.client.reconnects};</li>
 *   <li>{@code seqbus.client.datagrams} and {@code seqbus.client.bytes} with tag {@code direction}: {@code in},
 *   {@code out};</li>
 *   <li>{@code seqbus.client.delivered}, {@code seqbus.client.handler.errors}, {@code seqbus.client.gaps},
 *   {@code seqbus.client.lost} (the gaps' counts summed), {@code seqbus.client.dropped} (lost to the broker's
 *   slow-consumer policy): totals over every subscription of the client;</li>
 *   <li>{@code seqbus.client.handler.drops} (dropped in the client from full handler queues) and
 *   {@code seqbus.client.handler.unhandled} (left queued at a close), for subscriptions whose handlers run on an
 *   executor or that are pulled ({@code SubscriptionOptions.executor}, {@code pull}): totals;</li>
 * </ul>
 * and gauges {@code seqbus.client.connected} (1 or 0), {@code seqbus.client.subscriptions}, and
 * {@code seqbus.client.transport} with tag {@code transport}: {@code shm} or {@code socket}, 1 for the one the current
 * (or last) connection uses ({@link ClientStats#transport()}), 0 for the other. Per
 * subscription counters are in {@link io.seqbus.client.Subscription#stats()}; they are not meters here because
 * subscriptions come and go while meters stay.
 *
 * <p>Micrometer is an optional dependency of the client jar: a service that uses this class depends on
 * {@code io.micrometer:micrometer-core} itself.
 */
public final class SeqbusClientMetrics implements MeterBinder
{
    private final BusClient client;
    private final Tags tags;

    /**
     * @param client whose counters to expose.
     */
    public SeqbusClientMetrics(final BusClient client)
    {
        this(client, Tags.empty());
    }

    /**
     * @param client whose counters to expose.
     * @param tags   added to every meter, e.g. to tell several clients apart.
     */
    public SeqbusClientMetrics(final BusClient client, final Iterable<Tag> tags)
    {
        this.client = Objects.requireNonNull(client, "client");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        counter(registry, "seqbus.client.publishes", "publishes accepted, denied at the call, or refused by the broker",
            Tags.of("result", "accepted"), ClientStats::published, null);
        counter(registry, "seqbus.client.publishes", "publishes accepted, denied at the call, or refused by the broker",
            Tags.of("result", "denied"), ClientStats::publishesDenied, null);
        counter(registry, "seqbus.client.publishes", "publishes accepted, denied at the call, or refused by the broker",
            Tags.of("result", "refused"), ClientStats::publishesRefused, null);
        counter(registry, "seqbus.client.errors", "ERROR frames from the broker", Tags.empty(),
            ClientStats::errors, null);
        counter(registry, "seqbus.client.reconnects", "connections after the first", Tags.empty(),
            ClientStats::reconnects, null);
        counter(registry, "seqbus.client.datagrams", "datagrams to and from the broker", Tags.of("direction", "out"),
            ClientStats::datagramsOut, null);
        counter(registry, "seqbus.client.datagrams", "datagrams to and from the broker", Tags.of("direction", "in"),
            ClientStats::datagramsIn, null);
        counter(registry, "seqbus.client.bytes", "bytes to and from the broker", Tags.of("direction", "out"),
            ClientStats::bytesOut, "bytes");
        counter(registry, "seqbus.client.bytes", "bytes to and from the broker", Tags.of("direction", "in"),
            ClientStats::bytesIn, "bytes");
        counter(registry, "seqbus.client.delivered", "messages passed to handlers", Tags.empty(),
            ClientStats::delivered, "messages");
        counter(registry, "seqbus.client.handler.errors", "message or gap handlers that threw", Tags.empty(),
            ClientStats::handlerErrors, null);
        counter(registry, "seqbus.client.gaps", "gaps reported to gap handlers", Tags.empty(),
            ClientStats::gaps, null);
        counter(registry, "seqbus.client.lost", "messages the gaps say were lost", Tags.empty(),
            ClientStats::lost, "messages");
        counter(registry, "seqbus.client.dropped", "messages the broker dropped under a slow-consumer policy",
            Tags.empty(), ClientStats::dropped, "messages");
        counter(registry, "seqbus.client.handler.drops", "messages dropped in the client from full handler queues " +
            "(subscriptions with an executor or in pull mode)", Tags.empty(), ClientStats::handlerDrops, "messages");
        counter(registry, "seqbus.client.handler.unhandled", "messages left in handler queues at a close",
            Tags.empty(), ClientStats::unhandled, "messages");
        Gauge.builder("seqbus.client.connected", client, c -> c.isConnected() ? 1 : 0)
            .description("1 while connected to the broker").tags(tags).register(registry);
        Gauge.builder("seqbus.client.subscriptions", client, c -> c.subscriptions().size())
            .description("subscriptions in force").tags(tags).register(registry);
        for (final String transport : new String[] {ClientStats.SHARED_MEMORY, ClientStats.SOCKET})
        {
            Gauge.builder("seqbus.client.transport", client, c -> transport.equals(c.stats().transport()) ? 1 : 0)
                .description("1 for the transport the connection uses: shared memory or the socket alone")
                .tags(tags.and("transport", transport)).register(registry);
        }
    }

    private void counter(
        final MeterRegistry registry, final String name, final String description, final Tags extra,
        final ToLongStat stat, final String baseUnit)
    {
        final ToDoubleFunction<BusClient> read = c -> stat.of(c.stats());
        FunctionCounter.builder(name, client, read).description(description).tags(tags.and(extra))
            .baseUnit(baseUnit).register(registry);
    }

    /** One counter of a snapshot. */
    @FunctionalInterface
    private interface ToLongStat
    {
        long of(ClientStats stats);
    }
}

package io.seqbus.broker.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.seqbus.broker.config.BuildInfo;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.counters.GroupCounters;
import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.wire.ErrorCode;

import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;

/**
 * The broker's meters: every one a {@link FunctionCounter} or {@link Gauge} that reads
 * {@link BrokerCounters} when scraped, so the agent pays nothing for being watched. Micrometer
 * names are dotted; the Prometheus registry turns {@code seqbus.messages.published} into
 * {@code seqbus_messages_published_total} and appends base units ({@code _bytes},
 * {@code _seconds}).
 *
 * <p>Every name passes {@code promtool check metrics} ({@code PromtoolTest} scrapes a live broker):
 * two of Micrometer's own do not, so they are renamed or replaced here (see {@link #PROMTOOL_CLEAN}).
 */
public final class BrokerMetrics implements AutoCloseable
{
    /**
     * Micrometer's names that promtool refuses: {@code system.cpu.count} becomes {@code system_cpu_count}, and a
     * gauge may not end in {@code _count} (that suffix belongs to summaries and histograms), so it is exposed as
     * {@code system_cpus}; {@code process.cpu.time} counts nanoseconds ({@code process_cpu_time_ns_total}), and
     * Prometheus wants base units, so it is left out for {@link #processCpuSeconds()}.
     */
    private static final MeterFilter PROMTOOL_CLEAN = new MeterFilter()
    {
        @Override
        public Meter.Id map(final Meter.Id id)
        {
            return "system.cpu.count".equals(id.getName()) ? id.withName("system.cpus") : id;
        }

        @Override
        public MeterFilterReply accept(final Meter.Id id)
        {
            return "process.cpu.time".equals(id.getName()) ? MeterFilterReply.DENY :
                MeterFilterReply.NEUTRAL;
        }
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Issue 19: seqbus_group_discarded_total{group}, a meter per labelled slot of GroupCounters (at most
    // GroupCounters.LABELLED names plus "*" for the rest), registered at the scrape after its group first discarded.
    private GroupCounters groups;
    private final boolean[] groupMeters = new boolean[GroupCounters.LABELLED + 1];
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();

    /**
     * @param counters the broker's counters.
     * @param healthy  whether /health would answer 200 now.
     */
    public BrokerMetrics(final BrokerCounters counters, final BooleanSupplier healthy)
    {
        registry.config().meterFilter(PROMTOOL_CLEAN);
        counter(counters, "seqbus.messages.published", null, BrokerCounters.MESSAGES_PUBLISHED,
            "PUBLISH frames accepted");
        counter(counters, "seqbus.published", "bytes", BrokerCounters.BYTES_PUBLISHED,
            "Payload bytes of accepted PUBLISH frames");
        counter(counters, "seqbus.messages.delivered", null, BrokerCounters.MESSAGES_DELIVERED,
            "DELIVER frames queued for subscribers");
        counter(counters, "seqbus.delivered", "bytes", BrokerCounters.BYTES_DELIVERED,
            "Payload bytes delivered, a memfd payload by its size (seqbus_descriptor_bytes_passed_total: those alone)");
        counter(counters, "seqbus.datagrams.read", null, BrokerCounters.DATAGRAMS_READ, "Datagrams read from clients");
        counter(counters, "seqbus.datagrams.written", null, BrokerCounters.DATAGRAMS_WRITTEN,
            "Datagrams written to clients");
        counter(counters, "seqbus.written", "bytes", BrokerCounters.BYTES_WRITTEN,
            "Bytes of datagrams written to clients, to sockets and shared-memory rings");
        counter(counters, "seqbus.read", "bytes", BrokerCounters.BYTES_READ,
            "Bytes of datagrams read from clients, from sockets and shared-memory rings (memfd payloads are " +
            "passed, never read)");
        counter(counters, "seqbus.descriptors.received", null, BrokerCounters.DESCRIPTORS_RECEIVED,
            "Descriptors received with accepted PUBLISH_FDS frames");
        counter(counters, "seqbus.descriptors.passed", null, BrokerCounters.DESCRIPTORS_PASSED,
            "Descriptors sent to subscribers, one per subscriber copy");
        counter(counters, "seqbus.descriptor.bytes.passed", null, BrokerCounters.DESCRIPTOR_BYTES_PASSED,
            "Memfd payload bytes sent to subscribers by reference (not copied), per subscriber copy");
        gauge(counters, "seqbus.descriptors.held", null, BrokerCounters.DESCRIPTORS_HELD,
            "Messages with descriptors the broker holds (max_descriptor_messages_held)");
        gauge(counters, "seqbus.descriptors.in.flight", null, BrokerCounters.DESCRIPTORS_IN_FLIGHT,
            "Descriptors sent to subscribers and not known read (max_descriptors_in_flight)");
        for (final Object[] reason : new Object[][]{
            {"truncated", BrokerCounters.DESCRIPTOR_REFUSALS_TRUNCATED},
            {"mismatch", BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH},
            {"not_memfd", BrokerCounters.DESCRIPTOR_REFUSALS_NOT_MEMFD},
            {"not_sealed", BrokerCounters.DESCRIPTOR_REFUSALS_NOT_SEALED},
            {"size", BrokerCounters.DESCRIPTOR_REFUSALS_SIZE},
            {"too_large", BrokerCounters.DESCRIPTOR_REFUSALS_TOO_LARGE},
            {"denied", BrokerCounters.DESCRIPTOR_REFUSALS_DENIED},
            {"lan", BrokerCounters.DESCRIPTOR_REFUSALS_LAN},
            {"too_many", BrokerCounters.DESCRIPTOR_REFUSALS_TOO_MANY},
            {"etoomanyrefs", BrokerCounters.DESCRIPTOR_REFUSALS_ETOOMANYREFS}})
        {
            tagged(counters, "seqbus.descriptor.refusals", "reason", (String)reason[0], (Integer)reason[1],
                "Descriptors or messages with descriptors refused, by reason (etoomanyrefs: sends the kernel " +
                "refused, retried)");
        }
        counter(counters, "seqbus.connections.accepted", null, BrokerCounters.CONNECTIONS_ACCEPTED,
            "Connections accepted");
        counter(counters, "seqbus.connections.closed", null, BrokerCounters.CONNECTIONS_CLOSED,
            "Connections closed, for any reason");
        counter(counters, "seqbus.connections.refused", null, BrokerCounters.CONNECTIONS_REFUSED,
            "Connections refused at max_connections");
        counter(counters, "seqbus.publisher.stalls", null, BrokerCounters.PUBLISHER_STALLS,
            "Times publishers were held back because a subscriber's queue was full");
        counter(counters, "seqbus.stat.requests", null, BrokerCounters.STAT_REQUESTS, "STAT_REQUEST frames answered");
        FunctionCounter.builder("seqbus.evictions", counters, (c) -> c.get(BrokerCounters.SLOW_CONSUMER_EVICTIONS))
            .tag("reason", "stall_timeout")
            .description("Subscribers disconnected by the broker, by reason")
            .register(registry);
        FunctionCounter.builder("seqbus.evictions", counters, (c) -> c.get(BrokerCounters.DISCONNECT_EVICTIONS))
            .tag("reason", "disconnect_policy")
            .description("Subscribers disconnected by the broker, by reason")
            .register(registry);
        FunctionCounter.builder("seqbus.evictions", counters, (c) -> c.get(BrokerCounters.TOTAL_QUEUED_EVICTIONS))
            .tag("reason", "total_queued")
            .description("Subscribers disconnected by the broker, by reason")
            .register(registry);
        for (final Object[] reason : new Object[][]{
            {"replies_unread", BrokerCounters.REPLY_EVICTIONS}, {"memory_bound", BrokerCounters.MEMORY_EVICTIONS},
            {"handshake_timeout", BrokerCounters.HANDSHAKE_TIMEOUTS}})
        {
            final int index = (Integer)reason[1];
            FunctionCounter.builder("seqbus.evictions", counters, (c) -> c.get(index))
                .tag("reason", (String)reason[0])
                .description("Subscribers disconnected by the broker, by reason")
                .register(registry);
        }
        tagged(counters, "seqbus.access.denied", "op", "publish", BrokerCounters.ACCESS_DENIED_PUBLISH,
            "Operations refused by the access rules (ACCESS_DENIED), by operation; revoke: subscriptions removed " +
            "by a reload");
        tagged(counters, "seqbus.access.denied", "op", "subscribe", BrokerCounters.ACCESS_DENIED_SUBSCRIBE,
            "Operations refused by the access rules (ACCESS_DENIED), by operation; revoke: subscriptions removed " +
            "by a reload");
        tagged(counters, "seqbus.access.denied", "op", "revoke", BrokerCounters.ACCESS_REVOKED,
            "Operations refused by the access rules (ACCESS_DENIED), by operation; revoke: subscriptions removed " +
            "by a reload");
        final String limitHelp = "Times a limit was hit, by limit (max_connections: seqbus_connections_refused, " +
            "max_payload and max_subscriptions_per_connection: seqbus_frames_rejected by code)";
        tagged(counters, "seqbus.limit.hits", "limit", "max_connections_per_uid",
            BrokerCounters.LIMIT_CONNECTIONS_PER_UID, limitHelp);
        tagged(counters, "seqbus.limit.hits", "limit", "max_topic_length", BrokerCounters.LIMIT_TOPIC_LENGTH,
            limitHelp);
        tagged(counters, "seqbus.limit.hits", "limit", "max_total_queued_bytes", BrokerCounters.LIMIT_TOTAL_QUEUED,
            limitHelp);
        tagged(counters, "seqbus.limit.hits", "limit", "max_frames_per_second", BrokerCounters.LIMIT_FRAME_RATE,
            limitHelp);
        tagged(counters, "seqbus.limit.hits", "limit", "max_subscription_bytes",
            BrokerCounters.LIMIT_SUBSCRIPTION_BYTES, limitHelp);
        tagged(counters, "seqbus.limit.hits", "limit", "max_queued_bytes_per_uid",
            BrokerCounters.LIMIT_QUEUED_PER_UID, limitHelp);
        tagged(counters, "seqbus.limit.hits", "limit", "max_pending_requests_per_uid",
            BrokerCounters.LIMIT_PENDING_REQUESTS_PER_UID, limitHelp);
        gauge(counters, "seqbus.closed.sessions", null, BrokerCounters.CLOSED_SESSIONS,
            "Session publishers whose connection closed, remembered to check their resume (max_closed_sessions)");
        counter(counters, "seqbus.closed.sessions.forgotten", null, BrokerCounters.CLOSED_SESSIONS_FORGOTTEN,
            "Closed sessions forgotten to keep max_closed_sessions and max_closed_sessions_per_uid: their resume " +
            "cannot be checked");
        counter(counters, "seqbus.sessions.resumed.with.loss", null, BrokerCounters.SESSIONS_RESUMED_WITH_LOSS,
            "Session publishers that came back past sequences the broker never read (PUBLISHER_RESUMED)");
        counter(counters, "seqbus.publishers.parked", null, BrokerCounters.PUBLISHERS_PARKED,
            "Times a publishing connection was left unread while publishers were held back (others were served)");
        counter(counters, "seqbus.agent.allocated.bytes", null, BrokerCounters.AGENT_ALLOCATED_BYTES,
            "Bytes the broker's agent thread allocated (sampled); flat in steady state");
        FunctionCounter.builder("seqbus.messages.dropped", counters, (c) -> c.get(BrokerCounters.DROPPED_OLDEST))
            .tag("reason", "drop_oldest")
            .description("Messages a subscriber lost to its slow-consumer policy, by reason")
            .register(registry);
        FunctionCounter.builder("seqbus.messages.dropped", counters, (c) -> c.get(BrokerCounters.DROPPED_NEWEST))
            .tag("reason", "drop_newest")
            .description("Messages a subscriber lost to its slow-consumer policy, by reason")
            .register(registry);
        counter(counters, "seqbus.group.deliveries", null, BrokerCounters.GROUP_DELIVERIES,
            "Messages queued for one member of a queue group, one per group per message");
        this.groups = counters.groups();
        registerGroupDiscards();
        for (int code = 1; code <= ErrorCode.maxCode(); code++)
        {
            final int c = code;
            FunctionCounter.builder("seqbus.frames.rejected", counters, (x) -> x.rejected(c))
                .tag("code", ErrorCode.name(code))
                .description("Frames refused with an ERROR, by error code")
                .register(registry);
        }
        counter(counters, "seqbus.agent.duty.cycles", null, BrokerCounters.DUTY_CYCLES, "Duty cycles of the agent");
        FunctionCounter.builder("seqbus.agent.busy", counters, (c) -> c.get(BrokerCounters.AGENT_BUSY_NS) / 1e9)
            .baseUnit("seconds")
            .description("Time the agent spent working rather than waiting in poll")
            .register(registry);

        // Issue 15: per transport. A client offered shared memory counts as shm from its WELCOME on.
        Gauge.builder("seqbus.clients", counters,
                (c) -> c.get(BrokerCounters.CONNECTIONS_OPEN) - c.get(BrokerCounters.SHM_CLIENTS))
            .tag("transport", "socket")
            .description("Client connections open, by transport")
            .register(registry);
        Gauge.builder("seqbus.clients", counters, (c) -> c.get(BrokerCounters.SHM_CLIENTS))
            .tag("transport", "shm")
            .description("Client connections open, by transport")
            .register(registry);
        transport(counters, "shm", BrokerCounters.SHM_MESSAGES_IN, BrokerCounters.SHM_BYTES_IN,
            BrokerCounters.SHM_MESSAGES_OUT, BrokerCounters.SHM_BYTES_OUT);
        transport(counters, "socket", BrokerCounters.SOCKET_MESSAGES_IN, BrokerCounters.SOCKET_BYTES_IN,
            BrokerCounters.SOCKET_MESSAGES_OUT, BrokerCounters.SOCKET_BYTES_OUT);
        tagged(counters, "seqbus.shm.declined", "reason", "bound", BrokerCounters.SHM_REFUSED_BOUND,
            "HELLOs that asked for shared memory and stayed on the socket: max_shm_bytes_per_uid or _total");
        tagged(counters, "seqbus.shm.declined", "reason", "unavailable", BrokerCounters.SHM_NOT_OFFERED,
            "HELLOs that asked for shared memory and stayed on the socket: shm off, or the kernel refused");
        counter(counters, "seqbus.shm.corrupt", null, BrokerCounters.SHM_CORRUPT,
            "Shared-memory clients closed with PROTOCOL_VIOLATION for a corrupt ring or SHM_FDS sequence");
        requests(counters);
        gauge(counters, "seqbus.subscribers", null, BrokerCounters.SUBSCRIBERS,
            "Connections holding at least one subscription");
        gauge(counters, "seqbus.subscriptions", null, BrokerCounters.SUBSCRIPTIONS, "Subscriptions live");
        gauge(counters, "seqbus.queued", "bytes", BrokerCounters.QUEUED_BYTES_TOTAL,
            "Bytes queued at the broker for all clients");
        gauge(counters, "seqbus.queue.max", "bytes", BrokerCounters.QUEUED_BYTES_MAX,
            "Bytes queued for the fullest client");
        gauge(counters, "seqbus.queued.memory", "bytes", BrokerCounters.QUEUED_MEMORY,
            "Direct memory of the buffers holding queued frames (what max_total_queued_bytes bounds)");
        gauge(counters, "seqbus.subscription.memory", "bytes", BrokerCounters.SUBSCRIPTION_BYTES,
            "Heap charged for all subscriptions (what max_total_subscription_bytes bounds)");
        Gauge.builder("seqbus.agent.cycle.max", counters, (c) -> c.get(BrokerCounters.AGENT_CYCLE_MAX_NS) / 1e9)
            .baseUnit("seconds")
            .description("Longest duty cycle of the last sample interval")
            .register(registry);
        Gauge.builder("seqbus.agent.last.cycle.age", counters,
                (c) -> (System.nanoTime() - c.get(BrokerCounters.AGENT_LAST_CYCLE_NANOTIME)) / 1e9)
            .baseUnit("seconds")
            .description("Time since the agent last finished a duty cycle")
            .register(registry);
        Gauge.builder("seqbus.healthy", healthy, (h) -> h.getAsBoolean() ? 1 : 0)
            .description("1 when /health answers 200: agent cycling and socket accepting")
            // Micrometer holds gauge state weakly; nothing else holds this lambda.
            .strongReference(true)
            .register(registry);

        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        processCpuSeconds();
        new UptimeMetrics().bindTo(registry);
    }

    /**
     * Adds {@code seqbus_build_info}.
     *
     * @param build the broker's version and revision.
     */
    public void bindBuild(final BuildInfo build)
    {
        // The info-metric idiom: value 1, the facts in labels, so a query can join on it.
        Gauge.builder("seqbus.build.info", () -> 1)
            .tags("version", build.version(), "revision", build.revision())
            .description("The broker's build: version and git revision in labels, value 1")
            .register(registry);
    }

    /**
     * The process's CPU time in seconds, {@code process_cpu_seconds_total}: the name every Prometheus client
     * library gives it, so the usual {@code rate(process_cpu_seconds_total[5m])} works unchanged. Left out on a
     * JVM without {@code com.sun.management} (it has no process CPU time to give).
     */
    private void processCpuSeconds()
    {
        final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean unix && unix.getProcessCpuTime() >= 0)
        {
            FunctionCounter.builder("process.cpu", unix, (b) -> b.getProcessCpuTime() / 1e9)
                .baseUnit("seconds")
                .description("CPU time (user and system) the broker's process used")
                .register(registry);
        }
    }

    /**
     * Adds the LAN bridge's meters: traffic, loss and gaps from the bridge, NAKs and retransmits
     * from Aeron's own counters.
     *
     * @param bridge the bridge's counters, readable from any thread.
     */
    public void bindBridge(final BridgeCounters bridge)
    {
        lan(bridge, "seqbus.lan.messages.out", null, BridgeCounters.MESSAGES_OUT, "Messages sent to the LAN");
        lan(bridge, "seqbus.lan.out", "bytes", BridgeCounters.BYTES_OUT, "Payload bytes sent to the LAN");
        lan(bridge, "seqbus.lan.messages.in", null, BridgeCounters.MESSAGES_IN, "Messages from the LAN delivered here");
        lan(bridge, "seqbus.lan.in", "bytes", BridgeCounters.BYTES_IN, "Payload bytes from the LAN delivered here");
        lan(bridge, "seqbus.lan.messages.lost", null, BridgeCounters.MESSAGES_LOST,
            "Messages known lost on the LAN (bridge sequence jumps)");
        lan(bridge, "seqbus.lan.gaps", null, BridgeCounters.GAPS, "GAP events raised by the bridge");
        lan(bridge, "seqbus.lan.nodes.lost", null, BridgeCounters.NODES_LOST,
            "Nodes that went away or restarted without saying so");
        lan(bridge, "seqbus.lan.datagrams.invalid", null, BridgeCounters.INVALID_DATAGRAMS,
            "LAN datagrams dropped for failing validation");
        lan(bridge, "seqbus.lan.datagrams.unauthenticated", null, BridgeCounters.UNAUTHENTICATED_DATAGRAMS,
            "LAN datagrams dropped unread: no valid AUTH tag for this broker's key (or signed, and no key here)");
        lan(bridge, "seqbus.lan.duplicates", null, BridgeCounters.DUPLICATES, "LAN messages seen twice, dropped");
        lan(bridge, "seqbus.lan.payloads.out", null, BridgeCounters.PAYLOADS_OUT,
            "Memfd payloads sent to the LAN in fragments");
        lan(bridge, "seqbus.lan.payloads.in", null, BridgeCounters.PAYLOADS_IN,
            "Memfd payloads reassembled from the LAN and delivered here");
        lan(bridge, "seqbus.lan.payloads.lost", null, BridgeCounters.PAYLOADS_LOST,
            "Memfd payloads from the LAN begun and not finished, or over lan.max_payload (each one lost message)");
        lan(bridge, "seqbus.group.lan.uncertain", null, BridgeCounters.GROUP_LAN_UNCERTAIN,
            "Messages from the LAN given to a local queue group while a broker's group view was under 2 s old " +
            "(membership changing: another broker may have decided otherwise, a duplicate or a loss)");
        lan(bridge, "seqbus.group.lan.elsewhere", null, BridgeCounters.GROUP_LAN_ELSEWHERE,
            "Messages from the LAN a local queue group left to another broker (the origin or the rendezvous winner)");
        Gauge.builder("seqbus.lan.peers", bridge, (b) -> b.get(BridgeCounters.PEERS))
            .description("Other brokers heard on the LAN")
            .register(registry);
        aeron(bridge, "seqbus.lan.naks.sent", SystemCounterDescriptor.NAK_MESSAGES_SENT, "NAKs sent (Aeron)");
        aeron(bridge, "seqbus.lan.naks.received", SystemCounterDescriptor.NAK_MESSAGES_RECEIVED,
            "NAKs received (Aeron)");
        aeron(bridge, "seqbus.lan.retransmits.sent", SystemCounterDescriptor.RETRANSMITS_SENT,
            "Retransmits sent (Aeron)");
        aeron(bridge, "seqbus.lan.loss.gap.fills", SystemCounterDescriptor.LOSS_GAP_FILLS,
            "Gaps Aeron gave up on and filled (Aeron)");
    }

    private void lan(
        final BridgeCounters bridge, final String name, final String unit, final int counter, final String help)
    {
        FunctionCounter.builder(name, bridge, (b) -> b.get(counter)).baseUnit(unit).description(help).register(registry);
    }

    private void aeron(
        final BridgeCounters bridge, final String name, final SystemCounterDescriptor descriptor, final String help)
    {
        FunctionCounter.builder(name, bridge, (b) -> b.aeron(descriptor)).description(help).register(registry);
    }

    private void counter(
        final BrokerCounters counters, final String name, final String unit, final int counter, final String help)
    {
        FunctionCounter.builder(name, counters, (c) -> c.get(counter))
            .baseUnit(unit)
            .description(help)
            .register(registry);
    }

    /** Messages and payload bytes in (published) and out (queued for delivery) of one transport's clients. */
    private void transport(
        final BrokerCounters counters, final String transport, final int messagesIn, final int bytesIn,
        final int messagesOut, final int bytesOut)
    {
        final int[][] series = {{messagesIn, bytesIn}, {messagesOut, bytesOut}};
        final String[] directions = {"in", "out"};
        for (int i = 0; i < 2; i++)
        {
            final int messages = series[i][0];
            final int bytes = series[i][1];
            FunctionCounter.builder("seqbus.transport.messages", counters, (c) -> c.get(messages))
                .tags("transport", transport, "direction", directions[i])
                .description("Messages published by (in) or queued for (out) the clients of a transport")
                .register(registry);
            FunctionCounter.builder("seqbus.transport", counters, (c) -> c.get(bytes))
                .baseUnit("bytes")
                .tags("transport", transport, "direction", directions[i])
                .description("Payload bytes published by (in) or queued for (out) the clients of a transport")
                .register(registry);
        }
    }

    // Requests and replies (issue 19): outcomes by RESPONSE status (and "abandoned": the requester closed first), and
    // by role: origin (a requester of this broker) or proxy (a request from another broker delivered here).
    private void requests(final BrokerCounters counters)
    {
        final String[] outcomes = {"replied", "no_responders", "responders_gone", "timed_out", "denied",
            "too_many_requests", "abandoned"};
        for (int i = 0; i < outcomes.length; i++)
        {
            for (final String role : new String[]{"origin", "proxy"})
            {
                final int index = ("origin".equals(role) ? BrokerCounters.REQUESTS_OUTCOME :
                    BrokerCounters.PROXY_REQUESTS_OUTCOME) + i;
                FunctionCounter.builder("seqbus.requests", counters, (c) -> c.get(index))
                    .tag("outcome", outcomes[i])
                    .tag("role", role)
                    .description("Requests ended, by outcome (the RESPONSE status; abandoned: the requester closed " +
                        "first) and role (origin: asked here; proxy: from another broker, delivered here; its " +
                        "no_responders and responders_gone go back to that broker, its timed_out does not)")
                    .register(registry);
            }
        }
        gauge(counters, "seqbus.requests.pending", null, BrokerCounters.REQUESTS_PENDING,
            "Requests waiting for their RESPONSE");
        tagged(counters, "seqbus.replies.dropped", "reason", "late", BrokerCounters.REPLIES_DROPPED_LATE,
            "REPLY frames dropped: late (answered, expired or unknown token) or not_recipient (not delivered to it)");
        tagged(counters, "seqbus.replies.dropped", "reason", "not_recipient",
            BrokerCounters.REPLIES_DROPPED_NOT_RECIPIENT,
            "REPLY frames dropped: late (answered, expired or unknown token) or not_recipient (not delivered to it)");
    }

    private void tagged(
        final BrokerCounters counters, final String name, final String tag, final String value, final int counter,
        final String help)
    {
        FunctionCounter.builder(name, counters, (c) -> c.get(counter))
            .tag(tag, value)
            .description(help)
            .register(registry);
    }

    private void gauge(
        final BrokerCounters counters, final String name, final String unit, final int counter, final String help)
    {
        Gauge.builder(name, counters, (c) -> c.get(counter))
            .baseUnit(unit)
            .description(help)
            .register(registry);
    }

    private synchronized void registerGroupDiscards()
    {
        for (int i = 0; i < groups.slots(); i++)
        {
            final String name = groups.name(i);
            if (!groupMeters[i] && name != null)
            {
                final int slot = i;
                FunctionCounter.builder("seqbus.group.discarded", groups, (g) -> g.discarded(slot))
                    .tag("group", name)
                    .description("Messages discarded with a departed queue group member's queue, by group (the first " +
                        GroupCounters.LABELLED + " groups by name, the rest as group=\"*\")")
                    .register(registry);
                groupMeters[i] = true;
            }
        }
    }

    /**
     * @return the registry, for extra meters.
     */
    public MeterRegistry registry()
    {
        return registry;
    }

    /**
     * @return every meter in the Prometheus text format.
     */
    public String scrape()
    {
        registerGroupDiscards();
        return registry.scrape();
    }

    @Override
    public void close()
    {
        gcMetrics.close();
        registry.close();
    }
}

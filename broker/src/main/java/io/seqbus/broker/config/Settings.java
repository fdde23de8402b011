package io.seqbus.broker.config;

import io.seqbus.broker.Broker;
import io.seqbus.broker.Configuration;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.seqbus.broker.config.Setting.Reload.LIVE;
import static io.seqbus.broker.config.Setting.Reload.RESTART;
import static io.seqbus.broker.config.SettingType.choice;
import static io.seqbus.broker.config.SettingType.endpoint;
import static io.seqbus.broker.config.SettingType.integer;
import static io.seqbus.broker.config.SettingType.pattern;
import static io.seqbus.broker.config.SettingType.text;

/**
 * The table of every setting an operator can give the broker. The config file's keys, the
 * {@code SEQBUS_*} environment variables, the {@code seqbus broker} flags, their help and the
 * example config all come from here: a new setting is one line below (plus its field in
 * {@link Broker.Context}). Defaults come from {@link Configuration} through the context.
 */
public final class Settings
{
    private static final int MAX_INT = Integer.MAX_VALUE;

    /** Every setting, in the order the help and the example list them. */
    public static final List<Setting<?>> ALL = List.of(
        new Setting<>("socket", text(107), RESTART,
            "Socket path, or @name for an abstract socket (no file, no permissions: any local user may connect).",
            "$XDG_RUNTIME_DIR/seqbus/seqbus.sock, else /tmp/seqbus-$UID/seqbus.sock, in a folder that must be " +
            "the broker user's alone",
            Broker.Context::socket, Broker.Context::socket),
        new Setting<>("socket_mode", pattern("(0?[0-7]{3})?", "permission bits in octal, 000..0777"), RESTART,
            "Permission bits of the socket file, e.g. \"0660\" with socket_group (connecting needs write " +
            "permission); an abstract socket has no file: any local user may connect to it.",
            "0777 less the broker's umask", Broker.Context::socketMode, Broker.Context::socketMode),
        new Setting<>("socket_group", pattern("[^:\\s]{0,256}", "a group name or a gid"), RESTART,
            "Group of the socket file, a name or a number.", "the broker's own group",
            Broker.Context::socketGroup, Broker.Context::socketGroup),
        new Setting<>("node_name", text(Protocol.MAX_NAME_LENGTH), RESTART,
            "Name of this node as subscribers see it.", "the host name",
            Broker.Context::nodeName, Broker.Context::nodeName),
        new Setting<>("max_payload", integer(0, MAX_INT), RESTART,
            "Largest PUBLISH payload accepted, bytes (clients learn it at connect).", null,
            Broker.Context::maxPayload, Broker.Context::maxPayload),
        new Setting<>("max_datagram", integer(1024, 196_608), RESTART,
            "Largest datagram either side sends, bytes; also the size of every batch buffer.", null,
            Broker.Context::maxDatagram, Broker.Context::maxDatagram),
        new Setting<>("max_subscriptions_per_connection", integer(1, MAX_INT), LIVE,
            "Subscriptions one connection may hold.", null,
            Broker.Context::maxSubscriptionsPerConnection, Broker.Context::maxSubscriptionsPerConnection),
        new Setting<>("max_connections", integer(1, MAX_INT), LIVE,
            "Connections served at once; the next one gets LIMIT_EXCEEDED.", null,
            Broker.Context::maxConnections, Broker.Context::maxConnections),
        new Setting<>("max_connections_per_uid", integer(1, MAX_INT), LIVE,
            "Connections one uid (from the kernel) may hold at once; the next one gets LIMIT_EXCEEDED.", null,
            Broker.Context::maxConnectionsPerUid, Broker.Context::maxConnectionsPerUid),
        new Setting<>("max_topic_length", integer(1, Protocol.MAX_TOPIC_LENGTH), LIVE,
            "Longest topic (PUBLISH) or pattern (SUBSCRIBE) accepted, bytes; longer ones get INVALID_TOPIC or " +
            "INVALID_PATTERN.", null,
            Broker.Context::maxTopicLength, Broker.Context::maxTopicLength),
        new Setting<>("max_total_queued_bytes", integer(1024, MAX_INT), LIVE,
            "Bytes queued for all clients together (as buffer memory) before every publisher is held back until " +
            "they drain: the broker's memory bound; it must fit the JVM's direct memory, or the broker refuses to " +
            "start.", null,
            Broker.Context::maxTotalQueuedBytes, Broker.Context::maxTotalQueuedBytes),
        new Setting<>("max_frames_per_second", integer(0, MAX_INT), LIVE,
            "Frames one connection may send per second (bursts of one second allowed); a faster one is read more " +
            "slowly, never refused; 0 = no limit.", null,
            Broker.Context::maxFramesPerSecond, Broker.Context::maxFramesPerSecond),
        new Setting<>("idle_spin_cycles", integer(0, 1_000_000), RESTART,
            "Empty duty cycles the broker's thread spends looking for work before it sleeps in epoll_wait: more " +
            "keeps one-hop latency low under steady traffic and costs CPU; 0 sleeps at once.", null,
            Broker.Context::idleSpinCycles, Broker.Context::idleSpinCycles),
        new Setting<>("max_queue_bytes", integer(1024, MAX_INT), LIVE,
            "Bytes queued per subscriber before its policy applies, unless its SUBSCRIBE asks for another bound " +
            "(on reload: new subscriptions).", null,
            Broker.Context::maxQueueBytes, Broker.Context::maxQueueBytes),
        new Setting<>("max_queue_bytes_limit", integer(1024, MAX_INT), LIVE,
            "The most a subscription may ask for as its own queue bound; more gets INVALID_OPTION (less is honoured).",
            null, Broker.Context::maxQueueBytesLimit, Broker.Context::maxQueueBytesLimit),
        new Setting<>("max_queued_bytes_per_uid", integer(1024, MAX_INT), LIVE,
            "Bytes queued for all connections of one uid together before their subscriptions' policies apply, as " +
            "if each queue were full.", null,
            Broker.Context::maxQueuedBytesPerUid, Broker.Context::maxQueuedBytesPerUid),
        new Setting<>("max_subscription_bytes_per_connection", integer(4096, MAX_INT), LIVE,
            "Heap one connection's subscriptions may take as the broker charges them (256 bytes, the pattern, and " +
            "224 per token); past it SUBSCRIBE gets TOO_MANY_SUBSCRIPTIONS.", null,
            Broker.Context::maxSubscriptionBytesPerConnection, Broker.Context::maxSubscriptionBytesPerConnection),
        new Setting<>("max_subscription_bytes_per_uid", integer(4096, MAX_INT), LIVE,
            "Heap the subscriptions of all connections of one uid may take together, charged as above.", null,
            Broker.Context::maxSubscriptionBytesPerUid, Broker.Context::maxSubscriptionBytesPerUid),
        new Setting<>("max_total_subscription_bytes", integer(4096, MAX_INT), RESTART,
            "Heap all subscriptions may take together, charged as above; with max_connections it must fit the " +
            "JVM's heap (-Xmx), or the broker refuses to start.", null,
            Broker.Context::maxTotalSubscriptionBytes, Broker.Context::maxTotalSubscriptionBytes),
        new Setting<>("max_closed_sessions", integer(0, MAX_INT), LIVE,
            "Session publishers whose connection closed that the broker remembers (128 bytes of heap each, checked " +
            "against -Xmx at start), so that when one comes back past sequences it never read, subscribers get a " +
            "PUBLISHER_RESUMED gap; when full, the uid holding the most forgets its oldest.", null,
            Broker.Context::maxClosedSessions, Broker.Context::maxClosedSessions),
        new Setting<>("max_closed_sessions_per_uid", integer(0, MAX_INT), LIVE,
            "Closed session publishers of one uid remembered; past it that uid forgets its own oldest, never " +
            "another uid's.", null,
            Broker.Context::maxClosedSessionsPerUid, Broker.Context::maxClosedSessionsPerUid),
        new Setting<>("handshake_timeout_ms", integer(1, MAX_INT), LIVE,
            "How long a new connection may take to send HELLO before the broker closes it, ms.", null,
            Broker.Context::handshakeTimeoutMs, Broker.Context::handshakeTimeoutMs),
        new Setting<>("stall_timeout_ms", integer(1, MAX_INT), LIVE,
            "How long one full subscriber may hold publishers back before it is evicted, ms.", null,
            (c) -> (int)TimeUnit.NANOSECONDS.toMillis(c.stallTimeoutNs()),
            (c, v) -> c.stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(v))),
        new Setting<>("default_policy", choice("block", "drop-oldest", "drop-newest", "disconnect"), RESTART,
            "Slow-consumer policy of subscriptions that choose none: block holds publishers back, the drop " +
            "policies drop and send a GAP, disconnect evicts.", null,
            (c) -> c.defaultPolicy().label(), (c, v) -> c.defaultPolicy(SlowConsumerPolicy.fromLabel(v))),
        new Setting<>("drain_timeout_ms", integer(0, 60_000), RESTART,
            "How long a stopping broker keeps delivering what is queued before it closes connections, ms.", null,
            (c) -> (int)TimeUnit.NANOSECONDS.toMillis(c.drainTimeoutNs()),
            (c, v) -> c.drainTimeoutNs(TimeUnit.MILLISECONDS.toNanos(v))),
        new Setting<>("socket_activation", choice("true", "false"), RESTART,
            "Use a listening socket passed by systemd (LISTEN_FDS naming this process) instead of binding.", null,
            (c) -> Boolean.toString(c.socketActivation()), (c, v) -> c.socketActivation(Boolean.parseBoolean(v))),
        new Setting<>("listen_backlog", integer(1, 65_535), RESTART,
            "Connections the kernel queues before the broker accepts them.", null,
            Broker.Context::listenBacklog, Broker.Context::listenBacklog),
        new Setting<>("read_burst", integer(1, 65_535), LIVE,
            "Datagrams read from one connection per duty cycle, so one publisher cannot starve the rest.", null,
            Broker.Context::readBurst, Broker.Context::readBurst),
        new Setting<>("stat_top_topics", integer(0, 1000), LIVE,
            "Topics `seqbus stat` lists, busiest first; 0 turns per-topic rate tracking off.", null,
            Broker.Context::statTopTopics, Broker.Context::statTopTopics),
        new Setting<>("metrics", endpoint(), RESTART,
            "Where /metrics and /health are served over HTTP; if the default port is taken, none is served.", null,
            Broker.Context::metrics, Broker.Context::metrics, Configuration.METRICS_DEFAULT),
        new Setting<>("log_level", choice("debug", "info", "warn", "error"), LIVE,
            "Least severe log lines printed.", null,
            Broker.Context::logLevel, Broker.Context::logLevel),
        new Setting<>("acl.default", choice("allow", "deny"), LIVE,
            "What a peer no [[acl.rule]] names (by uid or primary gid) may publish and subscribe: everything or " +
            "nothing. The rules are at the end of this file.", null,
            Broker.Context::aclDefault, Broker.Context::aclDefault),
        new Setting<>("lan.channel", text(1024), RESTART,
            "Bridge shared topics to the other brokers of the LAN over this Aeron channel, e.g. " +
            "aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24 (an odd multicast group: Aeron uses the " +
            "next one for control); with lan.peers, this broker's own unicast endpoint.", "none, no bridge",
            Broker.Context::lanChannel, Broker.Context::lanChannel),
        new Setting<>("lan.stream", integer(1, MAX_INT), RESTART,
            "Aeron stream id of the bridge; the same on every broker of the LAN.", null,
            Broker.Context::lanStream, Broker.Context::lanStream),
        new Setting<>("lan.topics", text(4096), RESTART,
            "Comma-separated patterns of the topics shared with the LAN, both ways, e.g. 'orders.>,prices.*'.",
            "none, so nothing leaks by accident",
            Broker.Context::lanTopics, Broker.Context::lanTopics),
        new Setting<>("lan.peers", text(4096), RESTART,
            "Unicast fallback where the network has no multicast: every broker's HOST:PORT endpoint, comma-separated " +
            "(the same list on every host; a broker skips itself).", "none, multicast",
            Broker.Context::lanPeers, Broker.Context::lanPeers),
        new Setting<>("lan.flow_control", text(256), RESTART,
            "Aeron flow control of the bridge: min paces to the slowest live receiver (a lossy one is repaired, not " +
            "left behind), t: drops a silent one after that long; or tagged,g:TAG/MIN. Never max.", null,
            Broker.Context::lanFlowControl, Broker.Context::lanFlowControl),
        new Setting<>("lan.key_file", text(1024), RESTART,
            "File with the bridge's shared key in hex, at least 32 bytes (openssl rand -hex 32): every LAN datagram " +
            "then carries an HMAC-SHA256 tag and one without a valid tag is dropped; the same key on every broker. " +
            "The broker refuses to start if the key is plainly not random, or the file (a symbolic link, or open to " +
            "group or others) or a directory above it (another user's, or writable by others without the sticky bit) " +
            "lets anyone else read or replace it.", "none, datagrams not authenticated",
            Broker.Context::lanKeyFile, Broker.Context::lanKeyFile),
        new Setting<>("aeron.dir", text(1024), RESTART,
            "Aeron directory.", "/dev/shm/seqbus-aeron-NODE-PID with the embedded driver, removed on exit",
            Broker.Context::aeronDir, Broker.Context::aeronDir),
        new Setting<>("aeron.driver", choice("embedded", "external"), RESTART,
            "Run Aeron's media driver inside the broker on one shared thread, or use a running one at aeron.dir.", null,
            Broker.Context::aeronDriver, Broker.Context::aeronDriver));

    private Settings()
    {
    }

    /**
     * @param key a TOML key.
     * @return its setting, or null when there is none.
     */
    public static Setting<?> byKey(final String key)
    {
        for (final Setting<?> s : ALL)
        {
            if (s.key().equals(key))
            {
                return s;
            }
        }
        return null;
    }
}

package io.seqbus.broker;

import io.seqbus.wire.Protocol;

import java.util.concurrent.TimeUnit;

/**
 * Every broker setting: its name, its default and what it is for. {@link Broker.Context} reads
 * the defaults from here; system properties of the same name override them.
 */
public final class Configuration
{
    /** Socket path, or {@code @name} for an abstract socket. Default: {@link io.seqbus.wire.DefaultSocket}. */
    public static final String SOCKET_PROP_NAME = "seqbus.socket";
    /**
     * Permission bits of the socket file, in octal ({@code 0660}); connecting needs write permission. Default:
     * 0777 less the process umask, as bind(2) makes it. Not for an abstract socket, which has no file.
     */
    public static final String SOCKET_MODE_PROP_NAME = "seqbus.socket.mode";
    /** Group of the socket file, a name or a gid. Default: the broker's own. */
    public static final String SOCKET_GROUP_PROP_NAME = "seqbus.socket.group";

    /** Name of this broker's node as subscribers see it. Default: the host name. */
    public static final String NODE_NAME_PROP_NAME = "seqbus.node.name";

    /** Largest PUBLISH payload accepted, bytes. */
    public static final String MAX_PAYLOAD_PROP_NAME = "seqbus.max.payload";
    /** Default of {@link #MAX_PAYLOAD_PROP_NAME}. */
    public static final int MAX_PAYLOAD_DEFAULT = Protocol.DEFAULT_MAX_PAYLOAD;

    /** Largest datagram either side sends, bytes; also the size of every batch buffer. */
    public static final String MAX_DATAGRAM_PROP_NAME = "seqbus.max.datagram";
    /** Default of {@link #MAX_DATAGRAM_PROP_NAME}. */
    public static final int MAX_DATAGRAM_DEFAULT = Protocol.DEFAULT_MAX_DATAGRAM;

    /** Subscriptions one connection may hold. */
    public static final String MAX_SUBSCRIPTIONS_PROP_NAME = "seqbus.max.subscriptions.per.connection";
    /** Default of {@link #MAX_SUBSCRIPTIONS_PROP_NAME}. */
    public static final int MAX_SUBSCRIPTIONS_DEFAULT = 4096;

    /** Connections the broker accepts at once; the next one gets LIMIT_EXCEEDED. */
    public static final String MAX_CONNECTIONS_PROP_NAME = "seqbus.max.connections";
    /** Default of {@link #MAX_CONNECTIONS_PROP_NAME}. */
    public static final int MAX_CONNECTIONS_DEFAULT = 4096;

    /** Bytes queued for one subscriber before its slow-consumer policy applies. */
    public static final String MAX_QUEUE_BYTES_PROP_NAME = "seqbus.max.queue.bytes";
    /** Default of {@link #MAX_QUEUE_BYTES_PROP_NAME}: 4 MiB. */
    public static final int MAX_QUEUE_BYTES_DEFAULT = 4 * 1024 * 1024;

    /** Connections one uid may hold at once; the next one gets LIMIT_EXCEEDED. */
    public static final String MAX_CONNECTIONS_PER_UID_PROP_NAME = "seqbus.max.connections.per.uid";
    /** Default of {@link #MAX_CONNECTIONS_PER_UID_PROP_NAME}: a quarter of the total, so one service cannot take all. */
    public static final int MAX_CONNECTIONS_PER_UID_DEFAULT = 1024;

    /** Longest topic or subscription pattern accepted, bytes; at most the protocol's 255. */
    public static final String MAX_TOPIC_LENGTH_PROP_NAME = "seqbus.max.topic.length";
    /** Default of {@link #MAX_TOPIC_LENGTH_PROP_NAME}: the protocol's limit. */
    public static final int MAX_TOPIC_LENGTH_DEFAULT = Protocol.MAX_TOPIC_LENGTH;

    /**
     * Bytes queued at the broker for all clients together before every publisher is held back (as the block
     * policy does for one subscriber), so the broker's memory stays bounded whatever clients do.
     */
    public static final String MAX_TOTAL_QUEUED_BYTES_PROP_NAME = "seqbus.max.total.queued.bytes";
    /** Default of {@link #MAX_TOTAL_QUEUED_BYTES_PROP_NAME}: 256 MiB. */
    public static final int MAX_TOTAL_QUEUED_BYTES_DEFAULT = 256 * 1024 * 1024;

    /**
     * The most a SUBSCRIBE may ask for as its {@code max_queue_bytes}; more is refused with INVALID_OPTION.
     * Less than {@link #MAX_QUEUE_BYTES_PROP_NAME} is honoured.
     */
    public static final String MAX_QUEUE_BYTES_LIMIT_PROP_NAME = "seqbus.max.queue.bytes.limit";
    /** Default of {@link #MAX_QUEUE_BYTES_LIMIT_PROP_NAME}: 64 MiB. */
    public static final int MAX_QUEUE_BYTES_LIMIT_DEFAULT = 64 * 1024 * 1024;

    /** Bytes queued for all connections of one uid together before its subscriptions' policies apply. */
    public static final String MAX_QUEUED_BYTES_PER_UID_PROP_NAME = "seqbus.max.queued.bytes.per.uid";
    /**
     * Default of {@link #MAX_QUEUED_BYTES_PER_UID_PROP_NAME}: 128 MiB, half the total, so one uid cannot
     * take it all. A quarter (64 MiB) held back 16 full subscribers of one uid (16 x 4 MiB and their
     * open batches): 16-subscriber throughput fell from 9.8-13.0 M to 8.7-9.9 M msgs/s.
     */
    public static final int MAX_QUEUED_BYTES_PER_UID_DEFAULT = 128 * 1024 * 1024;

    /**
     * Heap one connection's subscriptions may take, bytes, as the broker charges them: a fixed part,
     * the pattern, and a topic-index node per token (each token can cost one node).
     */
    public static final String MAX_SUBSCRIPTION_BYTES_PER_CONNECTION_PROP_NAME =
        "seqbus.max.subscription.bytes.per.connection";
    /** Default of {@link #MAX_SUBSCRIPTION_BYTES_PER_CONNECTION_PROP_NAME}: 4 MiB, ~4,000 patterns of 3 tokens. */
    public static final int MAX_SUBSCRIPTION_BYTES_PER_CONNECTION_DEFAULT = 4 * 1024 * 1024;

    /** Heap the subscriptions of all connections of one uid may take together, bytes. */
    public static final String MAX_SUBSCRIPTION_BYTES_PER_UID_PROP_NAME = "seqbus.max.subscription.bytes.per.uid";
    /** Default of {@link #MAX_SUBSCRIPTION_BYTES_PER_UID_PROP_NAME}: 16 MiB. */
    public static final int MAX_SUBSCRIPTION_BYTES_PER_UID_DEFAULT = 16 * 1024 * 1024;

    /** Closed session publishers the broker remembers, to check their resume (SPEC.md, GAP PUBLISHER_RESUMED). */
    public static final String MAX_CLOSED_SESSIONS_PROP_NAME = "seqbus.max.closed.sessions";
    /** Default of {@link #MAX_CLOSED_SESSIONS_PROP_NAME}: 2 MiB of heap at 128 bytes each. */
    public static final int MAX_CLOSED_SESSIONS_DEFAULT = 16_384;

    /** Closed session publishers of one uid the broker remembers; past it the uid forgets its own oldest. */
    public static final String MAX_CLOSED_SESSIONS_PER_UID_PROP_NAME = "seqbus.max.closed.sessions.per.uid";
    /** Default of {@link #MAX_CLOSED_SESSIONS_PER_UID_PROP_NAME}: as many as it may hold connections. */
    public static final int MAX_CLOSED_SESSIONS_PER_UID_DEFAULT = 1024;

    /** Heap all subscriptions together may take, bytes; checked against the JVM's heap at start. */
    public static final String MAX_TOTAL_SUBSCRIPTION_BYTES_PROP_NAME = "seqbus.max.total.subscription.bytes";
    /** Default of {@link #MAX_TOTAL_SUBSCRIPTION_BYTES_PROP_NAME}: 64 MiB. */
    public static final int MAX_TOTAL_SUBSCRIPTION_BYTES_DEFAULT = 64 * 1024 * 1024;

    /**
     * Heap each connection is reckoned to hold whatever it does (socket, channel, maps, buffers), bytes:
     * with max_connections, part of the start-time check that the settings fit the heap.
     */
    public static final int CONNECTION_HEAP_COST = 16 * 1024;
    /** Heap kept aside for everything else (code, the topic cache, STAT documents, the LAN bridge), bytes. */
    public static final long HEAP_RESERVE = 96L * 1024 * 1024;
    /** Direct memory kept aside beyond the queues (read buffer, idle batch buffers, the JDK's own), bytes. */
    public static final long DIRECT_RESERVE = 24L * 1024 * 1024;

    /** How long a new connection may take to send HELLO before it is closed, ms. */
    public static final String HANDSHAKE_TIMEOUT_PROP_NAME = "seqbus.handshake.timeout.ms";
    /** Default of {@link #HANDSHAKE_TIMEOUT_PROP_NAME}: 10 s. */
    public static final int HANDSHAKE_TIMEOUT_DEFAULT_MS = 10_000;

    /**
     * Frames one connection may send per second (a token bucket holding one second's worth); a faster
     * connection is read more slowly, never refused. 0: no limit.
     */
    public static final String MAX_FRAMES_PER_SECOND_PROP_NAME = "seqbus.max.frames.per.second";
    /** Default of {@link #MAX_FRAMES_PER_SECOND_PROP_NAME}: no limit. */
    public static final int MAX_FRAMES_PER_SECOND_DEFAULT = 0;
    /** How far ahead of its allowed rate a connection may run (its burst) before it is no longer read, ns. */
    public static final long FRAME_RATE_BURST_NS = TimeUnit.SECONDS.toNanos(1);

    /** What peers no {@code [[acl.rule]]} names may do: {@code allow} everything or {@code deny} everything. */
    public static final String ACL_DEFAULT_PROP_NAME = "seqbus.acl.default";
    /** Default of {@link #ACL_DEFAULT_PROP_NAME}: allow, so a fresh install just works. */
    public static final String ACL_DEFAULT_DEFAULT = "allow";

    /** How long a subscriber may hold everyone back under the block policy before it is evicted, ms. */
    public static final String STALL_TIMEOUT_PROP_NAME = "seqbus.stall.timeout.ms";
    /** Default of {@link #STALL_TIMEOUT_PROP_NAME}: 10 s. */
    public static final long STALL_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(10);

    /** Slow-consumer policy of subscriptions that do not choose one: block, drop-oldest, drop-newest or disconnect. */
    public static final String DEFAULT_POLICY_PROP_NAME = "seqbus.default.policy";
    /** Default of {@link #DEFAULT_POLICY_PROP_NAME}: block, as a pipe does. */
    public static final String DEFAULT_POLICY_DEFAULT = "block";

    /** Listen backlog: connections the kernel queues before the broker accepts them. */
    public static final String LISTEN_BACKLOG_PROP_NAME = "seqbus.listen.backlog";
    /** Default of {@link #LISTEN_BACKLOG_PROP_NAME}. */
    public static final int LISTEN_BACKLOG_DEFAULT = 1024;

    /** Datagrams read from one connection per duty cycle, so one busy publisher cannot starve the rest. */
    public static final String READ_BURST_PROP_NAME = "seqbus.read.burst";
    /** Default of {@link #READ_BURST_PROP_NAME}. */
    public static final int READ_BURST_DEFAULT = 64;

    /** How long a connection closed for a fatal error waits for its ERROR frame to fit in the kernel's queue. */
    public static final long CLOSE_LINGER_NS = TimeUnit.SECONDS.toNanos(2);

    /**
     * Whether the broker uses a listening socket systemd passed it ({@code LISTEN_FDS} and
     * {@code LISTEN_PID} naming this process) instead of binding {@link #SOCKET_PROP_NAME}.
     */
    public static final String SOCKET_ACTIVATION_PROP_NAME = "seqbus.socket.activation";
    /** Default of {@link #SOCKET_ACTIVATION_PROP_NAME}. */
    public static final boolean SOCKET_ACTIVATION_DEFAULT = true;

    /** How long a stopping broker keeps delivering what is queued before it closes connections, ms. */
    public static final String DRAIN_TIMEOUT_PROP_NAME = "seqbus.drain.timeout.ms";
    /** Default of {@link #DRAIN_TIMEOUT_PROP_NAME}: 5 s, well inside systemd's 90 s stop timeout. */
    public static final long DRAIN_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(5);

    /** Datagrams a stopping broker reads and drops per connection, so closing it does not reset it. */
    public static final int SHUTDOWN_DISCARD_LIMIT = 1024;

    /** How often the {@code STATUS=} line sent to systemd is refreshed, ms. */
    public static final int NOTIFY_STATUS_INTERVAL_MS = 2000;

    /** Where /metrics and /health are served: HOST:PORT (port 0: any free port) or {@code off}. */
    public static final String METRICS_PROP_NAME = "seqbus.metrics";
    /**
     * Default of {@link #METRICS_PROP_NAME} for {@code seqbus broker}: loopback only. If this port is
     * taken the broker warns and runs without metrics; a port set explicitly must bind or the broker stops.
     */
    public static final String METRICS_DEFAULT = "127.0.0.1:9464";
    /** Default of {@link #METRICS_PROP_NAME} for a broker embedded with {@link Broker#launch}: off. */
    public static final String METRICS_EMBEDDED_DEFAULT = "off";

    /** Least severe log lines printed: debug, info, warn or error. */
    public static final String LOG_LEVEL_PROP_NAME = "seqbus.log.level";
    /** Default of {@link #LOG_LEVEL_PROP_NAME}. */
    public static final String LOG_LEVEL_DEFAULT = "info";

    /** Topics {@code seqbus stat} lists, busiest first; 0 turns per-topic rate tracking off. */
    public static final String STAT_TOP_TOPICS_PROP_NAME = "seqbus.stat.top.topics";
    /** Default of {@link #STAT_TOP_TOPICS_PROP_NAME}. */
    public static final int STAT_TOP_TOPICS_DEFAULT = 20;

    /** How often the agent samples queue depths and rolls topic rates, ms: off the hot path. */
    public static final int SAMPLE_INTERVAL_MS = 100;
    /** /health fails when the agent has not finished a duty cycle for this long, ms. */
    public static final int HEALTH_MAX_CYCLE_AGE_MS = 2000;

    /**
     * Aeron channel of the LAN bridge, e.g. {@code aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24}
     * (multicast; an odd group address, since Aeron sends control traffic to the address + 1). With
     * {@link #LAN_PEERS_PROP_NAME} it is this broker's own unicast endpoint instead. Default: none, no bridge.
     */
    public static final String LAN_CHANNEL_PROP_NAME = "seqbus.lan.channel";

    /** Aeron stream id of the LAN bridge; every broker of one LAN uses the same. */
    public static final String LAN_STREAM_PROP_NAME = "seqbus.lan.stream";
    /** Default of {@link #LAN_STREAM_PROP_NAME}. */
    public static final int LAN_STREAM_DEFAULT = 7301;

    /**
     * Comma-separated patterns of the topics shared with the LAN, both ways: local messages on them go out,
     * LAN messages on them come in. Default: none, so nothing leaks by accident.
     */
    public static final String LAN_TOPICS_PROP_NAME = "seqbus.lan.topics";

    /**
     * Unicast fallback (no IP multicast): comma-separated {@code host:port} of every broker's LAN endpoint. The
     * bridge then sends to each over Aeron multi-destination-cast and receives on {@link #LAN_CHANNEL_PROP_NAME}.
     * The same list may go to every host; a broker skips itself. Default: none, multicast.
     */
    public static final String LAN_PEERS_PROP_NAME = "seqbus.lan.peers";

    /**
     * Aeron flow control of the bridge's publication (the channel's {@code fc} value). {@code min} paces the sender
     * to the slowest live receiver, so a lossy receiver is repaired instead of being left behind (Aeron's
     * multicast default, {@code max}, leaves it behind silently); {@code t:} drops a receiver that sent no status
     * for that long (a dead host), so the others stall no longer than that.
     */
    public static final String LAN_FLOW_CONTROL_PROP_NAME = "seqbus.lan.flow.control";
    /** Default of {@link #LAN_FLOW_CONTROL_PROP_NAME}. */
    public static final String LAN_FLOW_CONTROL_DEFAULT = "min,t:500ms";

    /**
     * File holding the LAN bridge's shared key, in hex (at least 32 bytes): every datagram then ends in an AUTH
     * frame with an HMAC-SHA256 tag, and one without a valid tag is dropped and counted. The file must belong to
     * the broker's user (or root) and be closed to group and others. Default: none, datagrams not authenticated.
     */
    public static final String LAN_KEY_FILE_PROP_NAME = "seqbus.lan.key.file";

    /** Aeron directory; default: {@code /dev/shm/seqbus-aeron-<node>-<pid>} (embedded) or Aeron's default (external). */
    public static final String AERON_DIR_PROP_NAME = "seqbus.aeron.dir";

    /** {@code embedded} (a media driver inside the broker, one shared thread) or {@code external}. */
    public static final String AERON_DRIVER_PROP_NAME = "seqbus.aeron.driver";
    /** Default of {@link #AERON_DRIVER_PROP_NAME}. */
    public static final String AERON_DRIVER_DEFAULT = "embedded";

    /** How often a bridged broker announces itself on the LAN, ms. */
    public static final String LAN_ANNOUNCE_INTERVAL_PROP_NAME = "seqbus.lan.announce.interval.ms";
    /** Default of {@link #LAN_ANNOUNCE_INTERVAL_PROP_NAME}. */
    public static final int LAN_ANNOUNCE_INTERVAL_DEFAULT = 1000;

    /** Bytes waiting to go to the LAN before local publishers are held back (the LAN's back pressure). */
    public static final int LAN_BACKLOG_BYTES = 4 * 1024 * 1024;
    /** Term length of the bridge's publication unless the channel sets {@code term-length}. */
    public static final int LAN_TERM_LENGTH_DEFAULT = 4 * 1024 * 1024;
    /** UDP receive buffer of the bridge unless the channel sets {@code so-rcvbuf}; Aeron repairs overflow by NAK. */
    public static final int LAN_SO_RCVBUF_DEFAULT = 2 * 1024 * 1024;
    /** Longest the agent blocks in epoll_wait while idle with a bridge, ms: LAN messages arrive in shared memory. */
    public static final int LAN_IDLE_BLOCK_MS = 1;

    /**
     * Batch buffers (32 KiB of direct memory each) kept for reuse after a burst: enough for 16
     * subscribers with full default queues, or a thousand with a batch each. Fewer made the pool
     * drop buffers and allocate new ones at full load, and the JVM then ran System.gc() every
     * few seconds to free direct memory. Up to 64 MiB stays reserved after a burst.
     */
    public static final int DATAGRAM_POOL_MAX_IDLE = 2048;

    /** Duty cycles that read busy publishers directly before the agent polls every socket again. */
    public static final int HOT_CYCLES_PER_POLL = 4;
    /** How long a publisher is still read directly after its last datagram, ns. */
    public static final long HOT_LINGER_NS = 1_000_000;
    /** Publishers read directly while they linger; past this many, epoll_wait alone watches the quiet ones. */
    public static final int HOT_LINGER_MAX = 8;

    /** Empty duty cycles the agent spends before it sleeps in epoll_wait: latency against CPU. */
    public static final String IDLE_SPIN_CYCLES_PROP_NAME = "seqbus.idle.spin.cycles";
    /**
     * Default of {@link #IDLE_SPIN_CYCLES_PROP_NAME}. A trade-off measured with {@code seqbus bench} on
     * 2 cores, one subscriber, at 10k msgs/s: 40 gave one-hop p50 of 19-30 µs with the agent busy 53-60%
     * of a core; 0 gave 20-21 µs and a slightly higher p99 at 12-15% (with epoll a wake costs little more
     * than finding the message while spinning); at 1k msgs/s, 40 costs ~9%. Peak throughput is the same.
     */
    public static final int IDLE_SPIN_CYCLES_DEFAULT = 40;
    /** Longest the agent blocks in epoll_wait while idle, ms; bounds how late timers run. */
    public static final int IDLE_BLOCK_MS = 100;

    private Configuration()
    {
    }

    static String stringProperty(final String name, final String defaultValue)
    {
        final String value = System.getProperty(name);
        return value == null ? defaultValue : value;
    }

    static int intProperty(final String name, final int defaultValue)
    {
        final String value = System.getProperty(name);
        if (value == null)
        {
            return defaultValue;
        }
        try
        {
            return Integer.parseInt(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + "=" + value + " is not a whole number", ex);
        }
    }
}

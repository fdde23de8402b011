package io.seqbus.broker.config;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.seqbus.broker.config.Setting.Reload.LIVE;
import static io.seqbus.broker.config.Setting.Reload.RESTART;
import static io.seqbus.broker.config.SettingType.bytes;
import static io.seqbus.broker.config.SettingType.choice;
import static io.seqbus.broker.config.SettingType.endpoint;
import static io.seqbus.broker.config.SettingType.integer;
import static io.seqbus.broker.config.SettingType.pattern;
import static io.seqbus.broker.config.SettingType.text;

/**
 * The table of every setting of the broker, in the style of Aeron's {@code Configuration}: each
 * has its name, default, allowed values and one line of doc here, in one place. The config
 * file's keys, the {@code SEQBUS_*} environment variables, the {@code seqbus broker} flags and
 * their help, the {@code -Dseqbus.*} system properties, the example config, the defaults and
 * ranges of {@link BrokerContext} and the messages that refuse a value all come from here; a
 * test keeps them in agreement. A new setting is one entry below, listed in {@link #ALL}, plus
 * its field in {@link BrokerContext}. Fixed tuning constants, which no one sets, are in
 * {@link Configuration}.
 */
public final class Settings
{
    private static final int MAX_INT = Integer.MAX_VALUE;
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;
    /** The kernel's bound on descriptors in one sendmsg(2) (SCM_MAX_FD). */
    private static final int SCM_MAX_FD = 253;

    /** Bytes of a DELIVER frame besides its payload, with the longest topic: one must fit a datagram. */
    private static final int DELIVER_OVERHEAD = DeliverFrame.frameLength(Protocol.MAX_TOPIC_LENGTH, 0);

    /** Socket path or {@code @name}; the default follows {@link io.seqbus.wire.DefaultSocket}. */
    public static final Setting<String> SOCKET = new Setting<>("socket", text(107), null, RESTART,
        "Socket path, or @name for an abstract socket (no file, no permissions: any local user may connect).",
        "$XDG_RUNTIME_DIR/seqbus/seqbus.sock, else /tmp/seqbus-$UID/seqbus.sock, in a folder that must be " +
        "the broker user's alone",
        BrokerContext::socket, BrokerContext::socket);

    /** Permission bits of the socket file, as bind(2) makes them by default. */
    public static final Setting<String> SOCKET_MODE = new Setting<>("socket_mode",
        pattern("(0?[0-7]{3})?", "permission bits in octal, 000..0777, e.g. \"0660\" (owner and group may " +
            "connect), or empty for 0777 less the umask"), "", RESTART,
        "Permission bits of the socket file, e.g. \"0660\" with socket_group (connecting needs write " +
        "permission); an abstract socket has no file: any local user may connect to it.",
        "0777 less the broker's umask", BrokerContext::socketMode, BrokerContext::socketMode);

    /** Group of the socket file. */
    public static final Setting<String> SOCKET_GROUP = new Setting<>("socket_group",
        pattern("[^:\\s]{0,256}", "a group name or a gid"), "", RESTART,
        "Group of the socket file, a name or a number.", "the broker's own group",
        BrokerContext::socketGroup, BrokerContext::socketGroup);

    /** The node's name; its id is a hash of it ({@link NodeIdentity}). */
    public static final Setting<String> NODE_NAME = new Setting<>("node_name", text(Protocol.MAX_NAME_LENGTH), null,
        RESTART, "Name of this node as subscribers see it.", "the host name",
        BrokerContext::nodeName, BrokerContext::nodeName);

    /** Largest datagram; 192 KiB at most: one datagram must fit a socket's default send buffer. */
    public static final Setting<Integer> MAX_DATAGRAM = new Setting<>("max_datagram", integer(1024, 196_608),
        Protocol.DEFAULT_MAX_DATAGRAM, RESTART,
        "Largest datagram either side sends, bytes; also the size of every batch buffer.", null,
        BrokerContext::maxDatagram, BrokerContext::maxDatagram);

    /** Largest payload: a DELIVER with the longest topic must fit a datagram. */
    public static final Setting<Integer> MAX_PAYLOAD = new Setting<>("max_payload",
        integer(Bound.of(0), Bound.of(MAX_DATAGRAM, -DELIVER_OVERHEAD)), Protocol.DEFAULT_MAX_PAYLOAD, RESTART,
        "Largest PUBLISH payload accepted, bytes (clients learn it at connect); a DELIVER with the longest topic " +
        "must fit max_datagram.", null,
        BrokerContext::maxPayload, BrokerContext::maxPayload);

    /** Subscriptions per connection. */
    public static final Setting<Integer> MAX_SUBSCRIPTIONS_PER_CONNECTION = new Setting<>(
        "max_subscriptions_per_connection", integer(1, MAX_INT), 4096, LIVE,
        "Subscriptions one connection may hold.", null,
        BrokerContext::maxSubscriptionsPerConnection, BrokerContext::maxSubscriptionsPerConnection);

    /** Connections at once. */
    public static final Setting<Integer> MAX_CONNECTIONS = new Setting<>("max_connections", integer(1, MAX_INT),
        4096, LIVE, "Connections served at once; the next one gets LIMIT_EXCEEDED.", null,
        BrokerContext::maxConnections, BrokerContext::maxConnections);

    /** Connections of one uid; by default a quarter of the total, so one service cannot take all. */
    public static final Setting<Integer> MAX_CONNECTIONS_PER_UID = new Setting<>("max_connections_per_uid",
        integer(1, MAX_INT), 1024, LIVE,
        "Connections one uid (from the kernel) may hold at once; the next one gets LIMIT_EXCEEDED.", null,
        BrokerContext::maxConnectionsPerUid, BrokerContext::maxConnectionsPerUid);

    /** Longest topic or pattern; by default the protocol's limit. */
    public static final Setting<Integer> MAX_TOPIC_LENGTH = new Setting<>("max_topic_length",
        integer(1, Protocol.MAX_TOPIC_LENGTH), Protocol.MAX_TOPIC_LENGTH, LIVE,
        "Longest topic (PUBLISH) or pattern (SUBSCRIBE) accepted, bytes; longer ones get INVALID_TOPIC or " +
        "INVALID_PATTERN.", null,
        BrokerContext::maxTopicLength, BrokerContext::maxTopicLength);

    /** The broker's memory bound for queues: 256 MiB by default; at least one datagram. */
    public static final Setting<Integer> MAX_TOTAL_QUEUED_BYTES = new Setting<>("max_total_queued_bytes",
        integer(Bound.of(MAX_DATAGRAM, 0), Bound.of(MAX_INT)), 256 * 1024 * 1024, LIVE,
        "Bytes queued for all clients together (as buffer memory) before every publisher is held back until " +
        "they drain: the broker's memory bound; it must fit the JVM's direct memory, or the broker refuses to " +
        "start.", null,
        BrokerContext::maxTotalQueuedBytes, BrokerContext::maxTotalQueuedBytes);

    /** A token bucket holding one second's worth; a faster connection is read more slowly, never refused. */
    public static final Setting<Integer> MAX_FRAMES_PER_SECOND = new Setting<>("max_frames_per_second",
        integer(0, MAX_INT), 0, LIVE,
        "Frames one connection may send per second (bursts of one second allowed); a faster one is read more " +
        "slowly, never refused; 0 = no limit.", null,
        BrokerContext::maxFramesPerSecond, BrokerContext::maxFramesPerSecond);

    /**
     * Latency against CPU. Measured with {@code seqbus bench} on 2 cores, one subscriber, at 10k msgs/s: 40 gave
     * one-hop p50 of 19-30 µs with the agent busy 53-60% of a core; 0 gave 20-21 µs and a slightly higher p99 at
     * 12-15% (with epoll a wake costs little more than finding the message while spinning); at 1k msgs/s, 40
     * costs ~9%. Peak throughput is the same. The most it spins (issue 16): each idle stretch spins only when
     * that pays ({@code io.seqbus.sys.AdaptiveSpin}): not while the agent's thread waits for a CPU on a run queue
     * more than 10% of the time (the cores are oversubscribed, by clients spinning, say; it looks again 200 ms
     * later), and not while messages have not come within the spin lately.
     */
    public static final Setting<Integer> IDLE_SPIN_CYCLES = new Setting<>("idle_spin_cycles",
        integer(0, 1_000_000), 40, RESTART,
        "Empty duty cycles the broker's thread spends looking for work before it sleeps in epoll_wait, at most: " +
        "more keeps one-hop latency low under steady traffic and costs CPU; 0 sleeps at once. It spins only " +
        "while that pays: not while its thread waits for a CPU (the cores are oversubscribed), nor while " +
        "messages have not come within the spin lately.", null,
        BrokerContext::idleSpinCycles, BrokerContext::idleSpinCycles);

    /** Queue bound per subscriber: 4 MiB by default; at least one datagram. */
    public static final Setting<Integer> MAX_QUEUE_BYTES = new Setting<>("max_queue_bytes",
        integer(Bound.of(MAX_DATAGRAM, 0), Bound.of(MAX_INT)), 4 * 1024 * 1024, LIVE,
        "Bytes queued per subscriber before its policy applies, unless its SUBSCRIBE asks for another bound " +
        "(on reload: new subscriptions).", null,
        BrokerContext::maxQueueBytes, BrokerContext::maxQueueBytes);

    /** The most a SUBSCRIBE may ask for as its own bound: 64 MiB by default. */
    public static final Setting<Integer> MAX_QUEUE_BYTES_LIMIT = new Setting<>("max_queue_bytes_limit",
        integer(1024, MAX_INT), 64 * 1024 * 1024, LIVE,
        "The most a subscription may ask for as its own queue bound; more gets INVALID_OPTION (less is honoured).",
        null, BrokerContext::maxQueueBytesLimit, BrokerContext::maxQueueBytesLimit);

    /**
     * 128 MiB by default, half the total, so one uid cannot take it all. A quarter (64 MiB) held back 16 full
     * subscribers of one uid (16 x 4 MiB and their open batches): 16-subscriber throughput fell from 9.8-13.0 M
     * to 8.7-9.9 M msgs/s.
     */
    public static final Setting<Integer> MAX_QUEUED_BYTES_PER_UID = new Setting<>("max_queued_bytes_per_uid",
        integer(1024, MAX_INT), 128 * 1024 * 1024, LIVE,
        "Bytes queued for all connections of one uid together before their subscriptions' policies apply, as " +
        "if each queue were full.", null,
        BrokerContext::maxQueuedBytesPerUid, BrokerContext::maxQueuedBytesPerUid);

    /** 4 MiB by default, ~4,000 patterns of 3 tokens. */
    public static final Setting<Integer> MAX_SUBSCRIPTION_BYTES_PER_CONNECTION = new Setting<>(
        "max_subscription_bytes_per_connection", integer(4096, MAX_INT), 4 * 1024 * 1024, LIVE,
        "Heap one connection's subscriptions may take as the broker charges them (256 bytes, the pattern, and " +
        "224 per token); past it SUBSCRIBE gets TOO_MANY_SUBSCRIPTIONS.", null,
        BrokerContext::maxSubscriptionBytesPerConnection, BrokerContext::maxSubscriptionBytesPerConnection);

    /** 16 MiB by default; at least what one connection may take. */
    public static final Setting<Integer> MAX_SUBSCRIPTION_BYTES_PER_UID = new Setting<>(
        "max_subscription_bytes_per_uid",
        integer(Bound.of(MAX_SUBSCRIPTION_BYTES_PER_CONNECTION, 0), Bound.of(MAX_INT)), 16 * 1024 * 1024, LIVE,
        "Heap the subscriptions of all connections of one uid may take together, charged as above.", null,
        BrokerContext::maxSubscriptionBytesPerUid, BrokerContext::maxSubscriptionBytesPerUid);

    /** 64 MiB by default; at least what one uid may take. */
    public static final Setting<Integer> MAX_TOTAL_SUBSCRIPTION_BYTES = new Setting<>(
        "max_total_subscription_bytes",
        integer(Bound.of(MAX_SUBSCRIPTION_BYTES_PER_UID, 0), Bound.of(MAX_INT)), 64 * 1024 * 1024, RESTART,
        "Heap all subscriptions may take together, charged as above; with max_connections it must fit the " +
        "JVM's heap (-Xmx), or the broker refuses to start.", null,
        BrokerContext::maxTotalSubscriptionBytes, BrokerContext::maxTotalSubscriptionBytes);

    /** 2 MiB of heap by default, at 128 bytes each (SPEC.md, GAP PUBLISHER_RESUMED). */
    public static final Setting<Integer> MAX_CLOSED_SESSIONS = new Setting<>("max_closed_sessions",
        integer(0, MAX_INT), 16_384, LIVE,
        "Session publishers whose connection closed that the broker remembers (128 bytes of heap each, checked " +
        "against -Xmx at start), so that when one comes back past sequences it never read, subscribers get a " +
        "PUBLISHER_RESUMED gap; when full, the uid holding the most forgets its oldest.", null,
        BrokerContext::maxClosedSessions, BrokerContext::maxClosedSessions);

    /** By default as many as a uid may hold connections. */
    public static final Setting<Integer> MAX_CLOSED_SESSIONS_PER_UID = new Setting<>("max_closed_sessions_per_uid",
        integer(Bound.of(0), Bound.of(MAX_CLOSED_SESSIONS, 0)), 1024, LIVE,
        "Closed session publishers of one uid remembered; past it that uid forgets its own oldest, never " +
        "another uid's.", null,
        BrokerContext::maxClosedSessionsPerUid, BrokerContext::maxClosedSessionsPerUid);

    /** 10 s by default. */
    public static final Setting<Integer> HANDSHAKE_TIMEOUT_MS = new Setting<>("handshake_timeout_ms",
        integer(1, MAX_INT), 10_000, LIVE,
        "How long a new connection may take to send HELLO before the broker closes it, ms.", null,
        BrokerContext::handshakeTimeoutMs, BrokerContext::handshakeTimeoutMs);

    /** 10 s by default. */
    public static final Setting<Integer> STALL_TIMEOUT_MS = new Setting<>("stall_timeout_ms", integer(1, MAX_INT),
        10_000, LIVE, "How long one full subscriber may hold publishers back before it is evicted, ms.", null,
        (c) -> (int)TimeUnit.NANOSECONDS.toMillis(c.stallTimeoutNs()),
        (c, v) -> c.stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(v)));

    /** Block by default, as a pipe does. */
    public static final Setting<String> DEFAULT_POLICY = new Setting<>("default_policy",
        choice("block", "drop-oldest", "drop-newest", "disconnect"), "block", RESTART,
        "Slow-consumer policy of subscriptions that choose none: block holds publishers back, the drop " +
        "policies drop and send a GAP, disconnect evicts.", null,
        (c) -> c.defaultPolicy().label(), (c, v) -> c.defaultPolicy(SlowConsumerPolicy.fromLabel(v)));

    /** 5 s by default; at most 60 s: systemd stops waiting after TimeoutStopSec, 90 s by default. */
    public static final Setting<Integer> DRAIN_TIMEOUT_MS = new Setting<>("drain_timeout_ms", integer(0, 60_000),
        5000, RESTART,
        "How long a stopping broker keeps delivering what is queued before it closes connections, ms.", null,
        (c) -> (int)TimeUnit.NANOSECONDS.toMillis(c.drainTimeoutNs()),
        (c, v) -> c.drainTimeoutNs(TimeUnit.MILLISECONDS.toNanos(v)));

    /** Whether a socket systemd passed ({@code LISTEN_FDS} and {@code LISTEN_PID} naming this process) is used. */
    public static final Setting<String> SOCKET_ACTIVATION = new Setting<>("socket_activation",
        choice("true", "false"), "true", RESTART,
        "Use a listening socket passed by systemd (LISTEN_FDS naming this process) instead of binding.", null,
        (c) -> Boolean.toString(c.socketActivation()), (c, v) -> c.socketActivation(Boolean.parseBoolean(v)));

    /** The listen(2) backlog. */
    public static final Setting<Integer> LISTEN_BACKLOG = new Setting<>("listen_backlog", integer(1, 65_535), 1024,
        RESTART, "Connections the kernel queues before the broker accepts them.", null,
        BrokerContext::listenBacklog, BrokerContext::listenBacklog);

    /** Datagrams per connection per duty cycle. */
    public static final Setting<Integer> READ_BURST = new Setting<>("read_burst", integer(1, 65_535), 64, LIVE,
        "Datagrams read from one connection per duty cycle, so one publisher cannot starve the rest.", null,
        BrokerContext::readBurst, BrokerContext::readBurst);

    /** Topics {@code seqbus stat} lists. */
    public static final Setting<Integer> STAT_TOP_TOPICS = new Setting<>("stat_top_topics", integer(0, 1000), 20,
        LIVE, "Topics `seqbus stat` lists, busiest first; 0 turns per-topic rate tracking off.", null,
        BrokerContext::statTopTopics, BrokerContext::statTopTopics);

    /**
     * Off for a broker embedded with {@code Broker.launch}; loopback only for {@code seqbus broker}. If that
     * default port is taken the broker warns and runs without metrics; a port set explicitly must bind.
     */
    public static final Setting<String> METRICS = new Setting<>("metrics", endpoint(), "off", RESTART,
        "Where /metrics and /health are served over HTTP; if the default port is taken, none is served. " +
        "A port systemd hands over (seqbus-metrics.socket) is served instead.", null,
        BrokerContext::metrics, BrokerContext::metrics).daemonDefault("127.0.0.1:9464");

    /** Least severe log lines printed; {@code -Dseqbus.debug=true} makes the default debug. */
    public static final Setting<String> LOG_LEVEL = new Setting<>("log_level",
        choice("debug", "info", "warn", "error"), "info", LIVE, "Least severe log lines printed.", null,
        BrokerContext::logLevel, BrokerContext::logLevel);

    /** Allow by default, so a fresh install just works. */
    public static final Setting<String> ACL_DEFAULT = new Setting<>("acl.default", choice("allow", "deny"), "allow",
        LIVE,
        "What a peer no [[acl.rule]] names (by uid or primary gid) may publish and subscribe: everything or " +
        "nothing. The rules are at the end of this file.", null,
        BrokerContext::aclDefault, BrokerContext::aclDefault);

    /** Descriptors one PUBLISH_FDS may carry (the payload memfd included); the kernel's bound is 253. */
    public static final Setting<Integer> MAX_DESCRIPTORS_PER_MESSAGE = new Setting<>("max_descriptors_per_message",
        integer(1, SCM_MAX_FD), 8, RESTART,
        "Descriptors one message may carry, the payload memfd included (clients learn it at connect); more gets " +
        "TOO_MANY_DESCRIPTORS.", null,
        BrokerContext::maxDescriptorsPerMessage, BrokerContext::maxDescriptorsPerMessage);

    /** The control buffer the broker reads every datagram with is sized for exactly this many. */
    public static final Setting<Integer> MAX_DESCRIPTORS_PER_DATAGRAM = new Setting<>("max_descriptors_per_datagram",
        integer(Bound.of(MAX_DESCRIPTORS_PER_MESSAGE, 0), Bound.of(SCM_MAX_FD)), 64, RESTART,
        "Descriptors one datagram may carry, all its messages together; the broker's receive buffer holds this " +
        "many, and a datagram with more is refused DESCRIPTORS_TRUNCATED and the connection closed.", null,
        BrokerContext::maxDescriptorsPerDatagram, BrokerContext::maxDescriptorsPerDatagram);

    /** At most 2 GiB - 1: subscribers map a payload into one Java buffer. */
    public static final Setting<Long> MAX_MEMFD_SIZE = new Setting<>("max_memfd_size",
        bytes(0, 2 * GIB - 1), GIB, RESTART,
        "Largest sealed memfd payload accepted, bytes (clients learn it at connect); larger gets PAYLOAD_TOO_LARGE. " +
        "At most 2 GiB - 1, the most one Java buffer can map.", null,
        BrokerContext::maxMemfdSize, BrokerContext::maxMemfdSize);

    /** Issue 19: the header block is part of the payload, so max_payload bounds it too; this bounds its parsing. */
    public static final Setting<Integer> MAX_HEADER_BYTES = new Setting<>("max_header_bytes",
        integer(2, 65_535), 4096, RESTART,
        "Largest header block on a message, bytes, its length field included (clients learn it at connect); it is " +
        "part of the payload and counts against max_payload; larger gets INVALID_HEADERS.", null,
        BrokerContext::maxHeaderBytes, BrokerContext::maxHeaderBytes);

    /** NATS and HTTP/2 servers bound the count as well as the bytes: many tiny entries cost more to scan. */
    public static final Setting<Integer> MAX_HEADERS = new Setting<>("max_headers",
        integer(1, 1024), 32, RESTART,
        "Most key/value entries in one message's header block (clients learn it at connect); more gets " +
        "INVALID_HEADERS.", null,
        BrokerContext::maxHeaders, BrokerContext::maxHeaders);

    /** A pending request holds a table entry charged to its requester until it is answered or times out. */
    public static final Setting<Integer> MAX_REQUEST_TIMEOUT_MS = new Setting<>("max_request_timeout_ms",
        integer(1, 3_600_000), 60_000, RESTART,
        "Longest timeout a request may ask for, ms (clients learn it at connect); longer gets INVALID_REQUEST. The " +
        "broker answers TIMED_OUT and forgets the request when it passes.", null,
        BrokerContext::maxRequestTimeoutMs, BrokerContext::maxRequestTimeoutMs);

    /** Memfd bytes are the publisher's memory, not the broker's: bounded apart from max_queue_bytes' memory. */
    public static final Setting<Long> MAX_DESCRIPTOR_BYTES_PER_SUBSCRIBER = new Setting<>(
        "max_descriptor_bytes_per_subscriber", bytes(0, 1024 * GIB), 2 * GIB, RESTART,
        "Memfd payload bytes queued for one subscriber or sent and not yet read by it, together, before its " +
        "policy applies as for a full queue.", null,
        BrokerContext::maxDescriptorBytesPerSubscriber, BrokerContext::maxDescriptorBytesPerSubscriber);

    /** What all queued and unread memfd payloads may pin in memory (tmpfs pages, swap). */
    public static final Setting<Long> MAX_DESCRIPTOR_BYTES_TOTAL = new Setting<>("max_descriptor_bytes_total",
        bytes(0, 1024 * GIB), 16 * GIB, RESTART,
        "Memfd payload bytes queued or unread for all subscribers together before publishers of descriptors are " +
        "held back (the memory the broker keeps alive by holding descriptors).", null,
        BrokerContext::maxDescriptorBytesTotal, BrokerContext::maxDescriptorBytesTotal);

    /** The pool of held descriptor messages is allocated at start at this size. */
    public static final Setting<Integer> MAX_DESCRIPTOR_MESSAGES_HELD = new Setting<>("max_descriptor_messages_held",
        integer(Bound.of(MAX_DESCRIPTORS_PER_DATAGRAM, 0), Bound.of(1_048_576)), 4096, RESTART,
        "Messages with descriptors the broker holds at once (queued for some subscriber); with fewer than " +
        "max_descriptors_per_datagram free, publishers are held back until deliveries drain.", null,
        BrokerContext::maxDescriptorMessagesHeld, BrokerContext::maxDescriptorMessagesHeld);

    /**
     * Descriptors sitting unread in subscribers' sockets count against the broker's user (the kernel's
     * unix_inflight); past its RLIMIT_NOFILE sendmsg fails ETOOMANYREFS. Checked at start against that limit.
     */
    public static final Setting<Integer> MAX_DESCRIPTORS_IN_FLIGHT = new Setting<>("max_descriptors_in_flight",
        integer(1, MAX_INT), 8192, RESTART,
        "Descriptors sent to subscribers and not yet read by them, all together; with max_descriptor_messages_held " +
        "x max_descriptors_per_message and max_connections it must fit the broker's RLIMIT_NOFILE, or the broker " +
        "refuses to start.", null,
        BrokerContext::maxDescriptorsInFlight, BrokerContext::maxDescriptorsInFlight);

    /** Shared memory (issue 15, docs/design/shared-memory.md): offered to the clients that ask, by default. */
    public static final Setting<String> SHM = new Setting<>("shm", choice("true", "false"), "true", RESTART,
        "Offer shared-memory rings to local clients that ask for them (HELLO flag SHARED_MEMORY); the others, and " +
        "those the bounds below refuse, stay on the socket.", null,
        (c) -> Boolean.toString(c.shm()), (c, v) -> c.shm(Boolean.parseBoolean(v)));

    /**
     * One ring per direction per client; a power of two (the ring masks its positions), and room for at least four
     * of the largest datagrams, so a full-size record never waits for a ring that can never hold it.
     */
    public static final Setting<Integer> SHM_RING_BYTES = new Setting<>("shm_ring_bytes",
        SettingType.powerOfTwo(256 * 1024, 64 * 1024 * 1024, MAX_DATAGRAM, 4), 1024 * 1024, RESTART,
        "Bytes of each of a shared-memory client's two rings (to the client, from the client); its memfd is both " +
        "and a 4 KiB header. A full ring to a subscriber is a full queue: its slow-consumer policy applies.", null,
        BrokerContext::shmRingBytes, BrokerContext::shmRingBytes);

    /** Each shared-memory client's memfd is charged to its uid: one user cannot take the tmpfs of all. */
    public static final Setting<Long> MAX_SHM_BYTES_PER_UID = new Setting<>("max_shm_bytes_per_uid",
        bytes(0, 1024 * GIB), 64 * MIB, RESTART,
        "Shared-memory bytes (rings and header) the clients of one uid may hold together; past it a client that " +
        "asks stays on the socket.", null,
        BrokerContext::maxShmBytesPerUid, BrokerContext::maxShmBytesPerUid);

    /** All shared-memory clients together. */
    public static final Setting<Long> MAX_SHM_BYTES_TOTAL = new Setting<>("max_shm_bytes_total",
        bytes(0, 1024 * GIB), GIB, RESTART,
        "Shared-memory bytes all clients may hold together; past it a client that asks stays on the socket.", null,
        BrokerContext::maxShmBytesTotal, BrokerContext::maxShmBytesTotal);

    /** Requests one connection may have waiting for their RESPONSE (issue 19, "Requests and replies"). */
    public static final Setting<Integer> MAX_PENDING_REQUESTS_PER_CONNECTION = new Setting<>(
        "max_pending_requests_per_connection", integer(1, 1 << 20), 1024, LIVE,
        "Requests one connection may have pending; the next gets RESPONSE TOO_MANY_REQUESTS.", null,
        BrokerContext::maxPendingRequestsPerConnection, BrokerContext::maxPendingRequestsPerConnection);

    /** Requests pending over all connections: the size the request table may grow to. */
    public static final Setting<Integer> MAX_PENDING_REQUESTS_TOTAL = new Setting<>(
        "max_pending_requests_total", integer(1, 1 << 24), 65_536, LIVE,
        "Requests pending over all connections; the next gets RESPONSE TOO_MANY_REQUESTS.", null,
        BrokerContext::maxPendingRequestsTotal, BrokerContext::maxPendingRequestsTotal);

    /**
     * 8,192 by default: eight connections at max_pending_requests_per_connection, an eighth of the total, so one uid
     * opening many connections leaves the rest of the table to the other users (issue 19, hostile users).
     */
    public static final Setting<Integer> MAX_PENDING_REQUESTS_PER_UID = new Setting<>(
        "max_pending_requests_per_uid", integer(1, 1 << 24), 8192, LIVE,
        "Requests pending over all connections of one uid; the next gets RESPONSE TOO_MANY_REQUESTS.", null,
        BrokerContext::maxPendingRequestsPerUid, BrokerContext::maxPendingRequestsPerUid);

    /** The bridge's Aeron channel, an odd multicast group (Aeron uses the next one for control); none by default. */
    public static final Setting<String> LAN_CHANNEL = new Setting<>("lan.channel", text(1024), null, RESTART,
        "Bridge shared topics to the other brokers of the LAN over this Aeron channel, e.g. " +
        "aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24 (an odd multicast group: Aeron uses the " +
        "next one for control); with lan.peers, this broker's own unicast endpoint.", "none, no bridge",
        BrokerContext::lanChannel, BrokerContext::lanChannel);

    /** The bridge's Aeron stream id. */
    public static final Setting<Integer> LAN_STREAM = new Setting<>("lan.stream", integer(1, MAX_INT), 7301, RESTART,
        "Aeron stream id of the bridge; the same on every broker of the LAN.", null,
        BrokerContext::lanStream, BrokerContext::lanStream);

    /** Topics shared with the LAN, both ways: none by default, so nothing leaks by accident. */
    public static final Setting<String> LAN_TOPICS = new Setting<>("lan.topics", text(4096), "", RESTART,
        "Comma-separated patterns of the topics shared with the LAN, both ways, e.g. 'orders.>,prices.*'.",
        "none, so nothing leaks by accident",
        BrokerContext::lanTopics, BrokerContext::lanTopics);

    /** Unicast fallback without IP multicast: Aeron multi-destination-cast to every peer. */
    public static final Setting<String> LAN_PEERS = new Setting<>("lan.peers", text(4096), "", RESTART,
        "Unicast fallback where the network has no multicast: every broker's HOST:PORT endpoint, comma-separated " +
        "(the same list on every host; a broker skips itself).", "none, multicast",
        BrokerContext::lanPeers, BrokerContext::lanPeers);

    /**
     * The {@code fc} of the bridge's publication. Aeron's multicast default, {@code max}, leaves a lossy receiver
     * behind silently; {@code min} repairs it, and {@code t:} drops a dead host so the others stall no longer.
     */
    public static final Setting<String> LAN_FLOW_CONTROL = new Setting<>("lan.flow_control", text(256), "min,t:500ms",
        RESTART,
        "Aeron flow control of the bridge: min paces to the slowest live receiver (a lossy one is repaired, not " +
        "left behind), t: drops a silent one after that long; or tagged,g:TAG/MIN. Never max.", null,
        BrokerContext::lanFlowControl, BrokerContext::lanFlowControl);

    /** The bridge's shared key ({@link LanKey}); none by default, datagrams not authenticated. */
    public static final Setting<String> LAN_KEY_FILE = new Setting<>("lan.key_file", text(1024), "", RESTART,
        "File with the bridge's shared key in hex, at least 32 bytes (openssl rand -hex 32): every LAN datagram " +
        "then carries an HMAC-SHA256 tag and one without a valid tag is dropped; the same key on every broker. " +
        "The broker refuses to start if the key is plainly not random, or the file (a symbolic link, or open to " +
        "group or others) or a directory above it (another user's, or writable by others without the sticky bit) " +
        "lets anyone else read or replace it.", "none, datagrams not authenticated",
        BrokerContext::lanKeyFile, BrokerContext::lanKeyFile);

    /** How often a bridged broker announces itself on the LAN. */
    public static final Setting<Integer> LAN_ANNOUNCE_INTERVAL_MS = new Setting<>("lan.announce_interval_ms",
        integer(10, 60_000), 1000, RESTART,
        "How often the bridge announces this broker to the others of the LAN, ms.", null,
        BrokerContext::lanAnnounceIntervalMs, BrokerContext::lanAnnounceIntervalMs);

    /** Memfd payloads on shared topics cross the LAN in chunks of 1 MiB; above this they are refused. */
    public static final Setting<Long> LAN_MAX_PAYLOAD = new Setting<>("lan.max_payload", bytes(0, GIB),
        8 * MIB, RESTART,
        "Largest memfd payload published on a shared topic, bytes; it crosses the LAN in chunks of 1 MiB and is a " +
        "new sealed memfd on the other brokers. Larger ones get NOT_ON_LAN.", null,
        BrokerContext::lanMaxPayload, BrokerContext::lanMaxPayload);

    /** Aeron's directory. */
    public static final Setting<String> AERON_DIR = new Setting<>("aeron.dir", text(1024), null, RESTART,
        "Aeron directory.", "/dev/shm/seqbus-aeron-NODE-PID with the embedded driver, removed on exit",
        BrokerContext::aeronDir, BrokerContext::aeronDir);

    /** A media driver inside the broker (run by the agent) by default, or a running one. */
    public static final Setting<String> AERON_DRIVER = new Setting<>("aeron.driver", choice("embedded", "external"),
        "embedded", RESTART,
        "Run Aeron's media driver inside the broker, on the broker's own thread, or use a running one at " +
        "aeron.dir.", null,
        BrokerContext::aeronDriver, BrokerContext::aeronDriver);

    /** Every setting, in the order the help and the example list them. */
    public static final List<Setting<?>> ALL = List.of(
        SOCKET, SOCKET_MODE, SOCKET_GROUP, NODE_NAME, MAX_PAYLOAD, MAX_DATAGRAM, MAX_SUBSCRIPTIONS_PER_CONNECTION,
        MAX_CONNECTIONS, MAX_CONNECTIONS_PER_UID, MAX_TOPIC_LENGTH, MAX_TOTAL_QUEUED_BYTES, MAX_FRAMES_PER_SECOND,
        IDLE_SPIN_CYCLES, MAX_QUEUE_BYTES, MAX_QUEUE_BYTES_LIMIT, MAX_QUEUED_BYTES_PER_UID,
        MAX_SUBSCRIPTION_BYTES_PER_CONNECTION, MAX_SUBSCRIPTION_BYTES_PER_UID, MAX_TOTAL_SUBSCRIPTION_BYTES,
        MAX_CLOSED_SESSIONS, MAX_CLOSED_SESSIONS_PER_UID, HANDSHAKE_TIMEOUT_MS, STALL_TIMEOUT_MS, DEFAULT_POLICY,
        DRAIN_TIMEOUT_MS, SOCKET_ACTIVATION, LISTEN_BACKLOG, READ_BURST, STAT_TOP_TOPICS, METRICS, LOG_LEVEL,
        MAX_DESCRIPTORS_PER_MESSAGE, MAX_DESCRIPTORS_PER_DATAGRAM, MAX_MEMFD_SIZE, MAX_DESCRIPTOR_BYTES_PER_SUBSCRIBER,
        MAX_DESCRIPTOR_BYTES_TOTAL, MAX_DESCRIPTOR_MESSAGES_HELD, MAX_DESCRIPTORS_IN_FLIGHT,
        MAX_HEADER_BYTES, MAX_HEADERS, MAX_REQUEST_TIMEOUT_MS,
        SHM, SHM_RING_BYTES, MAX_SHM_BYTES_PER_UID, MAX_SHM_BYTES_TOTAL,
        MAX_PENDING_REQUESTS_PER_CONNECTION, MAX_PENDING_REQUESTS_TOTAL, MAX_PENDING_REQUESTS_PER_UID,
        ACL_DEFAULT, LAN_CHANNEL, LAN_STREAM, LAN_TOPICS, LAN_PEERS, LAN_FLOW_CONTROL, LAN_KEY_FILE,
        LAN_ANNOUNCE_INTERVAL_MS, LAN_MAX_PAYLOAD, AERON_DIR, AERON_DRIVER);

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

package io.seqbus.broker.counters;

import io.seqbus.wire.ErrorCode;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The broker's counters: written by the agent thread alone with ordered stores (no lock, no
 * contended atomic), read from any thread (metrics, stat, tests).
 */
public final class BrokerCounters
{
    /** Connections accepted since start. */
    public static final int CONNECTIONS_ACCEPTED = 0;
    /** Connections closed since start, for any reason. */
    public static final int CONNECTIONS_CLOSED = 1;
    /** Connections open now. */
    public static final int CONNECTIONS_OPEN = 2;
    /** Subscriptions live now. */
    public static final int SUBSCRIPTIONS = 3;
    /** PUBLISH frames accepted. */
    public static final int MESSAGES_PUBLISHED = 4;
    /** Payload bytes of accepted PUBLISH frames. */
    public static final int BYTES_PUBLISHED = 5;
    /** DELIVER frames queued for subscribers. */
    public static final int MESSAGES_DELIVERED = 6;
    /** Payload bytes delivered; a memfd payload counts its size (DESCRIPTOR_BYTES_PASSED counts those alone). */
    public static final int BYTES_DELIVERED = 7;
    /** Datagrams read from clients. */
    public static final int DATAGRAMS_READ = 8;
    /** Datagrams written to clients. */
    public static final int DATAGRAMS_WRITTEN = 9;
    /** Bytes written to clients. */
    public static final int BYTES_WRITTEN = 10;
    /** Subscribers evicted by the block policy's stall timeout. */
    public static final int SLOW_CONSUMER_EVICTIONS = 11;
    /** Times publishers were held back because a subscriber's queue was full. */
    public static final int PUBLISHER_STALLS = 12;
    /** Duty cycles of the agent. */
    public static final int DUTY_CYCLES = 13;
    /** Connections refused at the connection limit. */
    public static final int CONNECTIONS_REFUSED = 14;
    /** Nanoseconds the agent spent working (not blocked in poll) since start. */
    public static final int AGENT_BUSY_NS = 15;
    /** Longest duty cycle of the last sample interval, ns. */
    public static final int AGENT_CYCLE_MAX_NS = 16;
    /** {@link System#nanoTime()} at the end of the agent's last duty cycle. */
    public static final int AGENT_LAST_CYCLE_NANOTIME = 17;
    /** Bytes queued at the broker for all clients, sampled every {@link Configuration#SAMPLE_INTERVAL_MS}. */
    public static final int QUEUED_BYTES_TOTAL = 18;
    /** Bytes queued for the fullest client, sampled every {@link Configuration#SAMPLE_INTERVAL_MS}. */
    public static final int QUEUED_BYTES_MAX = 19;
    /** Connections with at least one subscription, sampled every {@link Configuration#SAMPLE_INTERVAL_MS}. */
    public static final int SUBSCRIBERS = 20;
    /** Messages dropped for drop-oldest subscribers (each reported to them by a GAP). */
    public static final int DROPPED_OLDEST = 21;
    /** Messages dropped for drop-newest subscribers (each reported to them by a GAP). */
    public static final int DROPPED_NEWEST = 22;
    /** STAT_REQUEST frames answered. */
    public static final int STAT_REQUESTS = 23;
    /** Subscribers disconnected at once by the disconnect policy. */
    public static final int DISCONNECT_EVICTIONS = 24;
    /** Bytes the agent thread has allocated since start, sampled every {@link Configuration#SAMPLE_INTERVAL_MS}. */
    public static final int AGENT_ALLOCATED_BYTES = 25;
    /** PUBLISH frames refused by the access rules. */
    public static final int ACCESS_DENIED_PUBLISH = 26;
    /** SUBSCRIBE frames refused by the access rules. */
    public static final int ACCESS_DENIED_SUBSCRIBE = 27;
    /** Subscriptions removed because reloaded access rules no longer allow them. */
    public static final int ACCESS_REVOKED = 28;
    /** Connections refused at max_connections_per_uid. */
    public static final int LIMIT_CONNECTIONS_PER_UID = 29;
    /** Topics and patterns refused for being longer than max_topic_length (and valid otherwise). */
    public static final int LIMIT_TOPIC_LENGTH = 30;
    /** Times every publisher was held back because all queues together reached max_total_queued_bytes. */
    public static final int LIMIT_TOTAL_QUEUED = 31;
    /** Times a connection was paused for sending faster than max_frames_per_second. */
    public static final int LIMIT_FRAME_RATE = 32;
    /** Connections evicted because all queues together stayed full for the stall timeout. */
    public static final int TOTAL_QUEUED_EVICTIONS = 33;
    /** SUBSCRIBEs refused because a subscription-memory bound (connection, uid or total) was reached. */
    public static final int LIMIT_SUBSCRIPTION_BYTES = 34;
    /** Deliveries that found the uid's queues at max_queued_bytes_per_uid (its policies then applied). */
    public static final int LIMIT_QUEUED_PER_UID = 35;
    /** Connections evicted because the replies they asked for (PONG, STAT, ERROR) outgrew their queue. */
    public static final int REPLY_EVICTIONS = 36;
    /** Connections closed for sending no HELLO within handshake_timeout_ms. */
    public static final int HANDSHAKE_TIMEOUTS = 37;
    /** Block subscribers evicted because a delivery would have taken the queues past their hard bound. */
    public static final int MEMORY_EVICTIONS = 38;
    /** Connections not read for a while because they would publish while publishers were held back. */
    public static final int PUBLISHERS_PARKED = 39;
    /** Direct memory of the buffers holding queued frames, bytes (sampled). */
    public static final int QUEUED_MEMORY = 40;
    /** Heap charged for all subscriptions, bytes (sampled). */
    public static final int SUBSCRIPTION_BYTES = 41;
    /** Session publishers whose connection closed, remembered so a resume can be checked (SPEC.md, GAP). */
    public static final int CLOSED_SESSIONS = 42;
    /** Closed sessions forgotten to keep max_closed_sessions and max_closed_sessions_per_uid. */
    public static final int CLOSED_SESSIONS_FORGOTTEN = 43;
    /** Session publishers that resumed past sequences the broker never numbered (PUBLISHER_RESUMED). */
    public static final int SESSIONS_RESUMED_WITH_LOSS = 44;
    /** PUBLISHER_RESUMED GAP frames sent, one per subscriber connection per such resume. */
    public static final int RESUMED_LOSS_GAPS = 45;
    /** Bytes read from clients (socket bytes: a memfd payload's bytes are never read). */
    public static final int BYTES_READ = 46;
    /** Descriptors received with accepted PUBLISH_FDS frames. */
    public static final int DESCRIPTORS_RECEIVED = 47;
    /** Descriptors sent to subscribers, one per subscriber copy. */
    public static final int DESCRIPTORS_PASSED = 48;
    /** Memfd payload bytes sent to subscribers by reference, per subscriber copy. */
    public static final int DESCRIPTOR_BYTES_PASSED = 49;
    /** Messages with descriptors the broker holds now (sampled). */
    public static final int DESCRIPTORS_HELD = 50;
    /** Descriptors sent to subscribers and not known read (sampled). */
    public static final int DESCRIPTORS_IN_FLIGHT = 51;
    /** Datagrams refused DESCRIPTORS_TRUNCATED (MSG_CTRUNC). */
    public static final int DESCRIPTOR_REFUSALS_TRUNCATED = 52;
    /** Datagrams refused DESCRIPTOR_MISMATCH. */
    public static final int DESCRIPTOR_REFUSALS_MISMATCH = 53;
    /** Payload descriptors refused for not being a readable memfd. */
    public static final int DESCRIPTOR_REFUSALS_NOT_MEMFD = 54;
    /** Payload memfds refused for lacking one of the four seals. */
    public static final int DESCRIPTOR_REFUSALS_NOT_SEALED = 55;
    /** Payload memfds refused for a size other than the frame's payload_size. */
    public static final int DESCRIPTOR_REFUSALS_SIZE = 56;
    /** Payload memfds refused for being over max_memfd_size. */
    public static final int DESCRIPTOR_REFUSALS_TOO_LARGE = 57;
    /** Messages refused DESCRIPTORS_DENIED (no pass_fds). */
    public static final int DESCRIPTOR_REFUSALS_DENIED = 58;
    /** Messages refused NOT_ON_LAN. */
    public static final int DESCRIPTOR_REFUSALS_LAN = 59;
    /** Messages refused TOO_MANY_DESCRIPTORS. */
    public static final int DESCRIPTOR_REFUSALS_TOO_MANY = 60;
    /** Sends to subscribers the kernel refused with ETOOMANYREFS (retried later). */
    public static final int DESCRIPTOR_REFUSALS_ETOOMANYREFS = 61;
    /** Connections open on shared memory (issue 15): offered at the handshake, attached or not yet. */
    public static final int SHM_CLIENTS = 62;
    /** HELLOs that asked for shared memory and stayed on the socket: max_shm_bytes_per_uid or _total reached. */
    public static final int SHM_REFUSED_BOUND = 63;
    /** HELLOs that asked for shared memory and stayed on the socket: shm off, or the kernel refused a part. */
    public static final int SHM_NOT_OFFERED = 64;
    /** Shared-memory clients closed with PROTOCOL_VIOLATION for a corrupt ring or a bad SHM_FDS sequence. */
    public static final int SHM_CORRUPT = 65;
    /** Messages published by shared-memory clients (sampled: open connections and those closed). */
    public static final int SHM_MESSAGES_IN = 66;
    /** Payload bytes of those messages (sampled). */
    public static final int SHM_BYTES_IN = 67;
    /** Messages queued for shared-memory clients (sampled). */
    public static final int SHM_MESSAGES_OUT = 68;
    /** Payload bytes of those messages (sampled). */
    public static final int SHM_BYTES_OUT = 69;
    /** Messages published by socket clients (sampled). */
    public static final int SOCKET_MESSAGES_IN = 70;
    /** Payload bytes of those messages (sampled). */
    public static final int SOCKET_BYTES_IN = 71;
    /** Messages queued for socket clients (sampled). */
    public static final int SOCKET_MESSAGES_OUT = 72;
    /** Payload bytes of those messages (sampled). */
    public static final int SOCKET_BYTES_OUT = 73;
    /** Messages queued for one member of a queue group (issue 19), one per group per message. */
    public static final int GROUP_DELIVERIES = 74;
    /** Messages discarded from departed group members' queues, all groups ({@link #groups()} by group). */
    public static final int GROUP_DISCARDED = 75;
    /** First of the per-code counters of refused frames: index {@code FRAMES_REJECTED + code}. */
    public static final int FRAMES_REJECTED = 76;

    // Requests and replies (issue 19), after the per-code counters.
    /** First of the per-outcome counters of requests: index {@code REQUESTS_OUTCOME + status} (RESPONSE's). */
    public static final int REQUESTS_OUTCOME = FRAMES_REJECTED + ErrorCode.maxCode() + 1;
    /** Outcomes: the six RESPONSE statuses, then requests forgotten because their requester closed. */
    public static final int REQUEST_OUTCOMES = 7;
    /** Requests waiting for their RESPONSE now. */
    public static final int REQUESTS_PENDING = REQUESTS_OUTCOME + REQUEST_OUTCOMES;
    /** REPLY frames dropped because their request had been answered, had expired or never existed. */
    public static final int REPLIES_DROPPED_LATE = REQUESTS_PENDING + 1;
    /** REPLY frames dropped because the request was not delivered to their sender. */
    public static final int REPLIES_DROPPED_NOT_RECIPIENT = REPLIES_DROPPED_LATE + 1;

    /** REQUESTs answered TOO_MANY_REQUESTS because their uid was at max_pending_requests_per_uid. */
    public static final int LIMIT_PENDING_REQUESTS_PER_UID = REPLIES_DROPPED_NOT_RECIPIENT + 1;

    /**
     * First of the per-outcome counters of proxy slots (requests from another broker delivered here): index
     * {@code PROXY_REQUESTS_OUTCOME + status}, as {@link #REQUESTS_OUTCOME}.
     */
    public static final int PROXY_REQUESTS_OUTCOME = LIMIT_PENDING_REQUESTS_PER_UID + 1;

    private static final int LENGTH = PROXY_REQUESTS_OUTCOME + REQUEST_OUTCOMES;

    private final AtomicLongArray values = new AtomicLongArray(LENGTH);
    private final GroupCounters groups = new GroupCounters();

    /** @return the discards per queue group, with bounded labels. */
    public GroupCounters groups()
    {
        return groups;
    }

    /**
     * Agent thread only: messages of a queue group discarded with a departed member's queue.
     *
     * @param group    the group's name.
     * @param messages discarded.
     */
    public void groupDiscarded(final String group, final long messages)
    {
        add(GROUP_DISCARDED, messages);
        groups.discarded(group, messages);
    }

    /**
     * @param counter one of the constants.
     * @return its value now.
     */
    public long get(final int counter)
    {
        return values.get(counter);
    }

    /**
     * @param code an error code.
     * @return frames refused with that code.
     */
    public long rejected(final int code)
    {
        return values.get(FRAMES_REJECTED + code);
    }

    /** Agent thread only. @param counter one of the constants. @param delta to add. */
    public void add(final int counter, final long delta)
    {
        values.lazySet(counter, values.get(counter) + delta);
    }

    /** Agent thread only. @param counter one of the constants. */
    public void increment(final int counter)
    {
        values.lazySet(counter, values.get(counter) + 1);
    }

    /** Agent thread only. @param counter one of the constants. @param value the new value. */
    public void set(final int counter, final long value)
    {
        values.lazySet(counter, value);
    }
}

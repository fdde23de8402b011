package io.seqbus.broker.config;

import java.util.concurrent.TimeUnit;

/**
 * The broker's fixed tuning constants: what no one sets, each with why it has its value.
 * Every setting an operator can give is in {@link Settings}.
 */
public final class Configuration
{
    /**
     * Heap each connection is reckoned to hold whatever it does (socket, channel, maps, buffers), bytes:
     * with max_connections, part of the start-time check that the settings fit the heap.
     */
    public static final int CONNECTION_HEAP_COST = 16 * 1024;

    /** Heap kept aside for everything else (code, the topic cache, STAT documents, the LAN bridge), bytes. */
    public static final long HEAP_RESERVE = 96L * 1024 * 1024;

    /** Direct memory kept aside beyond the queues (read buffer, idle batch buffers, the JDK's own), bytes. */
    public static final long DIRECT_RESERVE = 24L * 1024 * 1024;

    /** How far ahead of its allowed rate a connection may run (its burst) before it is no longer read, ns. */
    public static final long FRAME_RATE_BURST_NS = TimeUnit.SECONDS.toNanos(1);

    /** How long a connection closed for a fatal error waits for its ERROR frame to fit in the kernel's queue. */
    public static final long CLOSE_LINGER_NS = TimeUnit.SECONDS.toNanos(2);

    /** Datagrams a stopping broker reads and drops per connection, so closing it does not reset it. */
    public static final int SHUTDOWN_DISCARD_LIMIT = 1024;

    /** How often the {@code STATUS=} line sent to systemd is refreshed, ms. */
    public static final int NOTIFY_STATUS_INTERVAL_MS = 2000;

    /** How often the agent samples queue depths and rolls topic rates, ms: off the hot path. */
    public static final int SAMPLE_INTERVAL_MS = 100;

    /** /health fails when the agent has not finished a duty cycle for this long, ms. */
    public static final int HEALTH_MAX_CYCLE_AGE_MS = 2000;

    /** Bytes waiting to go to the LAN before local publishers are held back (the LAN's back pressure). */
    public static final int LAN_BACKLOG_BYTES = 4 * 1024 * 1024;

    /** Term length of the bridge's publication unless the channel sets {@code term-length}. */
    public static final int LAN_TERM_LENGTH_DEFAULT = 4 * 1024 * 1024;

    /** Local publishers are held back while more than this many times lan.max_payload waits to go to the LAN. */
    public static final int LAN_PAYLOAD_BACKLOG_FACTOR = 4;

    /** ... or while more than this many memfd payloads (each a mapping) wait. */
    public static final int LAN_PAYLOADS_QUEUED = 1024;

    /** UDP receive buffer of the bridge unless the channel sets {@code so-rcvbuf}; Aeron repairs overflow by NAK. */
    public static final int LAN_SO_RCVBUF_DEFAULT = 2 * 1024 * 1024;

    /**
     * Longest the agent blocks in epoll_wait while idle with an external media driver, whose datagrams it cannot
     * watch, or while messages wait for room in the bridge's publication, ms: LAN messages arrive in shared memory.
     */
    public static final int LAN_IDLE_BLOCK_MS = 1;

    /**
     * Longest the agent blocks in epoll_wait while idle with the embedded media driver and no data moved lately, ms:
     * the driver's timers (status messages every 100 ms, heartbeats, liveness in seconds) run in the agent's duty
     * cycle. A datagram ends the block at once. System property {@code seqbus.lan.timer.block.ms} (tests only:
     * LanWakeUpIT lengthens it so that a datagram that did not wake the agent shows).
     */
    public static final int LAN_TIMER_BLOCK_MS = Integer.getInteger("seqbus.lan.timer.block.ms", 10);

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

    /**
     * Longest the agent blocks in epoll_wait while idle, ms; bounds how late timers run. System property
     * {@code seqbus.idle.block.ms} (tests only: ShmWakeUpIT lengthens it so that a lost wake-up cannot hide behind
     * it; /health wants a duty cycle every 2 s, so keep it under that).
     */
    public static final int IDLE_BLOCK_MS = Integer.getInteger("seqbus.idle.block.ms", 100);

    /**
     * Connect and disconnect lines logged a second at most: enough to follow a few clients by eye, few
     * enough that churn (thousands of connects a second) neither floods the journal nor slows the agent;
     * the rest are counted in one line a second.
     */
    public static final int CONNECTION_LOG_LINES_PER_SECOND = 20;

    private Configuration()
    {
    }
}

package io.seqbus.broker.bridge;

import io.aeron.driver.status.SystemCounterDescriptor;
import org.agrona.concurrent.status.CountersReader;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The bridge's counters: written by the agent thread alone with ordered stores, read from any thread
 * (metrics, {@code seqbus stat}, tests). Aeron's own counters (NAKs, retransmits, loss) are read live from
 * the media driver's counters file through {@link #aeron(SystemCounterDescriptor)}.
 */
public final class BridgeCounters
{
    /** Messages sent to the LAN. */
    public static final int MESSAGES_OUT = 0;
    /** Payload bytes of messages sent to the LAN. */
    public static final int BYTES_OUT = 1;
    /** Aeron messages (LAN datagrams) sent. */
    public static final int DATAGRAMS_OUT = 2;
    /** Messages taken in from the LAN and delivered locally. */
    public static final int MESSAGES_IN = 3;
    /** Payload bytes of those. */
    public static final int BYTES_IN = 4;
    /** LAN datagrams received from other nodes. */
    public static final int DATAGRAMS_IN = 5;
    /** LAN messages on topics this broker does not share, not delivered. */
    public static final int MESSAGES_FILTERED = 6;
    /** LAN datagrams dropped for failing validation. */
    public static final int INVALID_DATAGRAMS = 7;
    /** This broker's own datagrams looped back by the network, ignored. */
    public static final int LOOPED_BACK = 8;
    /** LAN messages seen twice (their bridge sequence was behind), dropped. */
    public static final int DUPLICATES = 9;
    /** GAP events the bridge raised (each reaches every shared subscription). */
    public static final int GAPS = 10;
    /** Messages known lost on the LAN (bridge sequence jumps). */
    public static final int MESSAGES_LOST = 11;
    /** Nodes that went away or restarted without saying they were leaving. */
    public static final int NODES_LOST = 12;
    /** Times two live brokers were seen with one node id. */
    public static final int NODE_ID_COLLISIONS = 13;
    /** Offers refused by Aeron for back pressure (flow control); retried. */
    public static final int BACK_PRESSURE = 14;
    /** Messages not sent because no receiver was connected. */
    public static final int MESSAGES_UNSENT = 15;
    /** Other brokers heard from and not gone, now. */
    public static final int PEERS = 16;
    /** Bytes waiting to go to the LAN, now. */
    public static final int BACKLOG_BYTES = 17;
    /** ANNOUNCE frames sent. */
    public static final int ANNOUNCES_OUT = 18;
    /**
     * LAN datagrams dropped before they were read: with a key, their AUTH tag was missing or wrong; without
     * one, they carried an AUTH frame.
     */
    public static final int UNAUTHENTICATED_DATAGRAMS = 19;
    /** Memfd payloads sent to the LAN whole (their messages count in MESSAGES_OUT too). */
    public static final int PAYLOADS_OUT = 20;
    /** Memfd payloads reassembled from the LAN and delivered here (their messages count in MESSAGES_IN too). */
    public static final int PAYLOADS_IN = 21;
    /** Memfd payloads from the LAN begun and not finished, or refused: each one lost message (MESSAGES_LOST). */
    public static final int PAYLOADS_LOST = 22;
    /** FRAGMENT frames that continued no payload in progress here, dropped. */
    public static final int FRAGMENTS_DROPPED = 23;
    /** Memfd payload bytes mapped and waiting to go to the LAN, now. */
    public static final int PAYLOAD_BACKLOG_BYTES = 24;

    /** Messages from the LAN given to a local queue group member while the view of a broker involved was < 2 s old. */
    public static final int GROUP_LAN_UNCERTAIN = 25;
    /** Messages from the LAN a local queue group did not get: another broker (or the origin) delivers them. */
    public static final int GROUP_LAN_ELSEWHERE = 26;

    private static final int LENGTH = 27;

    private final AtomicLongArray values = new AtomicLongArray(LENGTH);
    private volatile CountersReader aeronCounters;

    /**
     * @param counter one of the constants.
     * @return its value now.
     */
    public long get(final int counter)
    {
        return values.get(counter);
    }

    /**
     * An Aeron system counter of the media driver the bridge uses, e.g.
     * {@link SystemCounterDescriptor#NAK_MESSAGES_SENT}, {@link SystemCounterDescriptor#RETRANSMITS_SENT} or
     * {@link SystemCounterDescriptor#LOSS_GAP_FILLS}. With an external driver these count for all its clients.
     *
     * @param descriptor which counter.
     * @return its value now, or 0 before the bridge is up.
     */
    public long aeron(final SystemCounterDescriptor descriptor)
    {
        final CountersReader reader = aeronCounters;
        return reader == null ? 0 : reader.getCounterValue(descriptor.id());
    }

    void aeronCounters(final CountersReader reader)
    {
        this.aeronCounters = reader;
    }

    void add(final int counter, final long delta)
    {
        values.lazySet(counter, values.get(counter) + delta);
    }

    void increment(final int counter)
    {
        values.lazySet(counter, values.get(counter) + 1);
    }

    void set(final int counter, final long value)
    {
        values.lazySet(counter, value);
    }
}

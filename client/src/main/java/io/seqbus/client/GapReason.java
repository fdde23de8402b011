package io.seqbus.client;

/**
 * Why messages were lost: the codes {@link Gap#reason()} returns (SPEC.md, GAP). Plain int constants, the
 * protocol's own values, so that a code a newer broker adds still reaches the service (named by
 * {@link #name(int)} as {@code UNKNOWN(n)}).
 */
public final class GapReason
{
    /** This subscriber was slow; the broker dropped its oldest queued messages. */
    public static final int DROPPED_OLDEST = io.seqbus.wire.GapReason.DROPPED_OLDEST;
    /** This subscriber was slow; the broker dropped new messages. */
    public static final int DROPPED_NEWEST = io.seqbus.wire.GapReason.DROPPED_NEWEST;
    /** The LAN bridge lost messages it could not recover. */
    public static final int BRIDGE_LOSS = io.seqbus.wire.GapReason.BRIDGE_LOSS;
    /** A remote node went away or restarted. */
    public static final int NODE_LOST = io.seqbus.wire.GapReason.NODE_LOST;
    /** Made by the client: its connection was re-established; see SPEC.md, "What a subscriber can count". */
    public static final int RECONNECTED = io.seqbus.wire.GapReason.RECONNECTED;
    /**
     * A publisher whose connection the broker closed came back (same session) past the messages it had sent and
     * the broker never read: the exact count, told to subscriptions that had seen that publisher.
     */
    public static final int PUBLISHER_RESUMED = io.seqbus.wire.GapReason.PUBLISHER_RESUMED;
    /** A message with descriptors matched while this connection does not receive descriptors: exact count. */
    public static final int DESCRIPTORS_UNSUPPORTED = io.seqbus.wire.GapReason.DESCRIPTORS_UNSUPPORTED;
    /** Made by the client: its own receive lost descriptors (its RLIMIT_NOFILE), so those messages are lost. */
    public static final int DESCRIPTORS_LOST = io.seqbus.wire.GapReason.DESCRIPTORS_LOST;

    private GapReason()
    {
    }

    /**
     * @param reason a reason code.
     * @return its name in SPEC.md, such as {@code DROPPED_OLDEST}, or {@code UNKNOWN(n)}.
     */
    public static String name(final int reason)
    {
        return io.seqbus.wire.GapReason.name(reason);
    }
}

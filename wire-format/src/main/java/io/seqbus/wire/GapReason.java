package io.seqbus.wire;

/**
 * Why messages were lost, as GAP frames say.
 */
public final class GapReason
{
    /** The subscriber was slow; its oldest queued messages were dropped. */
    public static final int DROPPED_OLDEST = 1;
    /** The subscriber was slow; new messages were dropped. */
    public static final int DROPPED_NEWEST = 2;
    /** The LAN bridge lost messages it could not recover. */
    public static final int BRIDGE_LOSS = 3;
    /** A remote node went away or restarted. */
    public static final int NODE_LOST = 4;
    /** Made by a client library: the connection was re-established; messages may be missing. */
    public static final int RECONNECTED = 5;
    /**
     * A session publisher came back (its connection had closed, the broker stayed up) past sequences the broker
     * never numbered: publishes left unread in a connection the broker closed. Names the publisher, the first
     * sequence lost and the count; sent with subscription 0, and passed by a client library only to the
     * subscriptions that had seen that publisher.
     */
    public static final int PUBLISHER_RESUMED = 6;
    /**
     * A subscription matched a message that carries descriptors, on a connection whose HELLO lacked DESCRIPTORS: the
     * broker cannot deliver it there. Names the publisher, the sequence and the count exactly.
     */
    public static final int DESCRIPTORS_UNSUPPORTED = 7;
    /**
     * Made by a client library (never sent): its own receive lost descriptors (MSG_CTRUNC, its RLIMIT_NOFILE), so the
     * messages that owned them are lost.
     */
    public static final int DESCRIPTORS_LOST = 8;

    private GapReason()
    {
    }

    /**
     * @param reason code.
     * @return its name in SPEC.md.
     */
    public static String name(final int reason)
    {
        switch (reason)
        {
            case DROPPED_OLDEST: return "DROPPED_OLDEST";
            case DROPPED_NEWEST: return "DROPPED_NEWEST";
            case BRIDGE_LOSS: return "BRIDGE_LOSS";
            case NODE_LOST: return "NODE_LOST";
            case RECONNECTED: return "RECONNECTED";
            case PUBLISHER_RESUMED: return "PUBLISHER_RESUMED";
            case DESCRIPTORS_UNSUPPORTED: return "DESCRIPTORS_UNSUPPORTED";
            case DESCRIPTORS_LOST: return "DESCRIPTORS_LOST";
            default: return "UNKNOWN(" + reason + ")";
        }
    }
}

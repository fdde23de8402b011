package io.seqbus.wire;

/**
 * What the broker does when a subscriber's queue is full, chosen per subscription.
 */
public enum SlowConsumerPolicy
{
    /** Use the broker's configured default. */
    DEFAULT(0, "default"),
    /** Stop reading publishers until the subscriber drains; evict it after a stall timeout. */
    BLOCK(1, "block"),
    /** Drop the oldest queued messages and tell the subscriber with a GAP. */
    DROP_OLDEST(2, "drop-oldest"),
    /** Drop new messages and tell the subscriber with a GAP. */
    DROP_NEWEST(3, "drop-newest"),
    /** Disconnect the subscriber with a SLOW_CONSUMER error. */
    DISCONNECT(4, "disconnect");

    private static final SlowConsumerPolicy[] BY_CODE = values();

    private final int code;
    private final String label;

    SlowConsumerPolicy(final int code, final String label)
    {
        this.code = code;
        this.label = label;
    }

    /**
     * @return the code on the wire.
     */
    public int code()
    {
        return code;
    }

    /**
     * @return the name used in configuration and on the command line.
     */
    public String label()
    {
        return label;
    }

    /**
     * @param code on the wire.
     * @return the policy, or null when the code is unknown.
     */
    public static SlowConsumerPolicy fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * @param label such as {@code drop-oldest}.
     * @return the policy.
     * @throws IllegalArgumentException naming the allowed labels.
     */
    public static SlowConsumerPolicy fromLabel(final String label)
    {
        for (final SlowConsumerPolicy p : BY_CODE)
        {
            if (p.label.equals(label))
            {
                return p;
            }
        }
        throw new IllegalArgumentException(
            "unknown slow-consumer policy '" + label + "'; allowed: block, drop-oldest, drop-newest, disconnect");
    }
}

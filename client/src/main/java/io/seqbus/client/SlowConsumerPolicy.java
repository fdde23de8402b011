package io.seqbus.client;

/**
 * What the broker does when this subscription's queue is full (SPEC.md, SUBSCRIBE). The codes are the
 * protocol's; the client's own type, so that a service's code needs nothing but {@code io.seqbus.client}.
 */
public enum SlowConsumerPolicy
{
    /** Use the broker's configured default. */
    DEFAULT(io.seqbus.wire.SlowConsumerPolicy.DEFAULT),
    /** The broker stops reading publishers until this subscriber drains; it is evicted after a stall timeout. */
    BLOCK(io.seqbus.wire.SlowConsumerPolicy.BLOCK),
    /** The broker drops the oldest queued messages and says so with a {@link GapReason#DROPPED_OLDEST} gap. */
    DROP_OLDEST(io.seqbus.wire.SlowConsumerPolicy.DROP_OLDEST),
    /** The broker drops new messages and says so with a {@link GapReason#DROPPED_NEWEST} gap. */
    DROP_NEWEST(io.seqbus.wire.SlowConsumerPolicy.DROP_NEWEST),
    /** The broker disconnects the subscriber with {@link ErrorCode#SLOW_CONSUMER}; the client reconnects. */
    DISCONNECT(io.seqbus.wire.SlowConsumerPolicy.DISCONNECT);

    private final io.seqbus.wire.SlowConsumerPolicy wire;

    SlowConsumerPolicy(final io.seqbus.wire.SlowConsumerPolicy wire)
    {
        this.wire = wire;
    }

    /**
     * @return the name used in the broker's configuration and on the command line, such as {@code drop-oldest}.
     */
    public String label()
    {
        return wire.label();
    }

    /**
     * @param label such as {@code drop-oldest}.
     * @return the policy.
     * @throws IllegalArgumentException naming the allowed labels.
     */
    public static SlowConsumerPolicy fromLabel(final String label)
    {
        return valueOf(io.seqbus.wire.SlowConsumerPolicy.fromLabel(label).name());
    }

    /** The code SUBSCRIBE carries. */
    int code()
    {
        return wire.code();
    }
}

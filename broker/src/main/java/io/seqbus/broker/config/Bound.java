package io.seqbus.broker.config;

/**
 * One end of an integer setting's range: a number, or another setting's value (plus an offset),
 * as in "max_queue_bytes is at least max_datagram". The help, the example config and the check
 * all describe a range through its bounds, so they cannot disagree.
 */
public final class Bound
{
    private final long fixed;
    private final Setting<Integer> setting;
    private final int offset;

    private Bound(final long fixed, final Setting<Integer> setting, final int offset)
    {
        this.fixed = fixed;
        this.setting = setting;
        this.offset = offset;
    }

    /**
     * @param value the bound.
     * @return a bound that is a number.
     */
    public static Bound of(final long value)
    {
        return new Bound(value, null, 0);
    }

    /**
     * @param setting another integer setting, declared before this one.
     * @param offset  added to its value.
     * @return a bound that is that setting's value plus {@code offset}.
     */
    public static Bound of(final Setting<Integer> setting, final int offset)
    {
        return new Bound(0, setting, offset);
    }

    /** @return true for a number, false for another setting's value. */
    boolean isFixed()
    {
        return setting == null;
    }

    /**
     * @param context the settings, or null for the defaults.
     * @return the bound's value.
     */
    long value(final BrokerContext context)
    {
        if (setting == null)
        {
            return fixed;
        }
        final Integer other = context == null ? setting.daemonDefaultValue() : setting.get(context);
        return (long)other + offset;
    }

    /**
     * @param context the settings, or null for the defaults.
     * @return the bound in words: a number, or e.g. {@code max_datagram - 291 (65245)}.
     */
    String describe(final BrokerContext context)
    {
        if (setting == null)
        {
            return Long.toString(fixed);
        }
        return setting.key() + (offset < 0 ? " - " + -offset : offset > 0 ? " + " + offset : "") +
            " (" + (context == null ? "by default " : "") + value(context) + ")";
    }
}

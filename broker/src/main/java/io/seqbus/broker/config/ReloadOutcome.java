package io.seqbus.broker.config;

/**
 * How the latest reload (SIGHUP) of a running broker ended, as the STAT document shows it: what lets
 * {@code seqbus reload}, and so {@code systemctl reload}, fail when the broker refused a reload.
 *
 * @param generation  reloads tried since the broker started: 0 before the first; each one, applied or
 *                    refused, counts one more.
 * @param status      {@link #NONE}, {@link #APPLIED} or {@link #REFUSED}.
 * @param message     one line: what changed, or why nothing did.
 * @param epochMillis when it ended, 0 before the first.
 */
public record ReloadOutcome(long generation, String status, String message, long epochMillis)
{
    /** No reload yet. */
    public static final String NONE = "none";
    /** The new settings were valid; every live change was handed to the running broker. */
    public static final String APPLIED = "applied";
    /** The new settings were invalid: nothing changed. */
    public static final String REFUSED = "refused";

    /** The outcome before any reload. */
    public static final ReloadOutcome BEFORE_FIRST = new ReloadOutcome(0, NONE, "no reload since the start", 0);
}

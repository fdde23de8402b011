package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.ConfigException;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.log.Log;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The broker's reloads, numbered: each one's outcome (applied, with what changed, or refused, with why) is
 * logged and kept as the latest, which the STAT document shows and {@code seqbus reload} waits for, so that
 * {@code systemctl reload} can fail when a reload is refused. One reload at a time; the latest is safe to
 * read from any thread.
 */
final class Reloads
{
    private final AtomicReference<ReloadOutcome> last = new AtomicReference<>(ReloadOutcome.BEFORE_FIRST);

    /**
     * @param freshSettings loads and concludes the settings; throws {@link IllegalArgumentException} (a
     *                      {@link ConfigException} names each problem) when they are invalid.
     * @param apply         applies valid settings to the running broker.
     * @return the outcome, as recorded.
     */
    synchronized ReloadOutcome reload(
        final Supplier<BrokerContext> freshSettings, final Function<BrokerContext, ReloadResult> apply)
    {
        final long generation = last.get().generation() + 1;
        Log.info("reload " + generation + " requested");
        String refusal = null;
        String summary = null;
        try
        {
            final BrokerContext fresh = freshSettings.get();
            MemoryBudget.check(fresh);
            summary = summary(apply.apply(fresh));
        }
        catch (final ConfigException ex)
        {
            ex.problems().forEach((p) -> Log.error("reload refused: " + p));
            refusal = String.join("; ", ex.problems());
        }
        catch (final RuntimeException ex)
        {
            Log.error("reload refused: " + ex.getMessage());
            refusal = String.valueOf(ex.getMessage());
        }
        final ReloadOutcome outcome = refusal == null ?
            new ReloadOutcome(generation, ReloadOutcome.APPLIED, summary, System.currentTimeMillis()) :
            new ReloadOutcome(generation, ReloadOutcome.REFUSED, refusal + "; nothing changed", System.currentTimeMillis());
        last.set(outcome);
        Log.info("reload " + generation + " " + outcome.status() + ": " + outcome.message());
        return outcome;
    }

    private static String summary(final ReloadResult result)
    {
        final StringBuilder out = new StringBuilder();
        out.append(result.applied().isEmpty() ? "no change to apply" : result.applied().size() + " applied (" +
            keys(result.applied()) + ")");
        if (!result.needRestart().isEmpty())
        {
            out.append("; ").append(result.needRestart().size()).append(" need a restart (")
                .append(keys(result.needRestart())).append(")");
        }
        return out.toString();
    }

    /** The keys of {@code key: old -> new} changes: the values (access rules, say) can be long. */
    private static String keys(final List<String> changes)
    {
        final StringBuilder out = new StringBuilder();
        for (final String change : changes)
        {
            out.append(out.length() == 0 ? "" : ", ").append(change, 0, Math.max(0, change.indexOf(':')));
        }
        return out.toString();
    }

    /**
     * @return how the latest reload ended.
     */
    ReloadOutcome last()
    {
        return last.get();
    }
}

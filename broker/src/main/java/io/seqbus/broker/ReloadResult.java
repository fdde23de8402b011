package io.seqbus.broker;

import java.util.List;

/**
 * What a reload changed.
 *
 * @param applied     changes handed to the running broker, as {@code key: old -> new}.
 * @param needRestart changes left alone until a restart, as {@code key: old -> new}.
 */
public record ReloadResult(List<String> applied, List<String> needRestart)
{
}

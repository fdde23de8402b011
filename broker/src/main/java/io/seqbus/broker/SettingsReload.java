package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Setting;
import io.seqbus.broker.config.Settings;
import io.seqbus.broker.log.Log;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A reload (SIGHUP) of a running broker: the difference between the settings it runs with and
 * freshly loaded ones. Every changed setting that can change live, and the access rules, are
 * handed to the agent thread and applied at the start of its next duty cycle; every changed
 * setting that needs a restart is logged, one line each, and left as it was.
 */
final class SettingsReload
{
    private SettingsReload()
    {
    }

    /**
     * @param running the settings the broker runs with; changed on the agent's thread.
     * @param fresh   the new settings, already concluded (validated).
     * @param agent   the broker's agent.
     * @return what changed, applied or not.
     */
    static ReloadResult apply(final BrokerContext running, final BrokerContext fresh, final BrokerAgent agent)
    {
        final List<String> applied = new ArrayList<>();
        final List<String> needRestart = new ArrayList<>();
        final List<Setting<?>> live = new ArrayList<>();
        for (final Setting<?> setting : Settings.ALL)
        {
            final Object before = setting.get(running);
            final Object after = setting.get(fresh);
            if (Objects.equals(before, after))
            {
                continue;
            }
            final String change = setting.key() + ": " + before + " -> " + after;
            if (setting.reload() == Setting.Reload.LIVE)
            {
                applied.add(change);
                live.add(setting);
            }
            else
            {
                needRestart.add(change);
                Log.warn("reload: " + change + " needs a restart; still " + before);
            }
        }
        final boolean aclChanged = !fresh.accessControl().equals(running.accessControl());
        if (aclChanged)
        {
            applied.add("acl: " + running.accessControl() + " -> " + fresh.accessControl());
        }
        if (!live.isEmpty() || aclChanged)
        {
            final Runnable apply = () ->
            {
                for (final Setting<?> setting : live)
                {
                    setting.copy(fresh, running);
                }
                Log.level(Log.Level.of(running.logLevel()));
                if (aclChanged)
                {
                    running.accessControlFrom(fresh);
                    agent.applyAccessControl(fresh.accessControl());
                }
            };
            while (!agent.submit(apply))
            {
                Thread.onSpinWait();
            }
            for (final String change : applied)
            {
                Log.info("reload: " + change);
            }
        }
        return new ReloadResult(applied, needRestart);
    }
}

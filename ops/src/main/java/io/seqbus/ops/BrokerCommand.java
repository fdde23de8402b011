package io.seqbus.ops;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.Broker;
import io.seqbus.broker.config.BrokerConfig;
import io.seqbus.broker.config.ConfigException;
import io.seqbus.broker.config.Setting;
import io.seqbus.broker.config.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import sun.misc.Signal;

/**
 * {@code seqbus broker}: the daemon, in the foreground. Its setting flags are not declared here
 * but made from {@link Settings}, one per setting, so flags, environment variables and config
 * keys cannot drift apart.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    modelTransformer = BrokerCommand.SettingOptions.class,
    sortOptions = false,
    description = {"Run the broker in the foreground. SIGTERM or Ctrl-C stops it cleanly: no new connections, "
        + "queued deliveries go out (up to drain_timeout_ms), exit 0. SIGHUP reloads what can change while running.",
        "Under systemd it uses the socket passed by socket activation (LISTEN_FDS) and reports "
        + "READY, STATUS, WATCHDOG and STOPPING through NOTIFY_SOCKET."},
    footer = {"", "Every setting can also come from the config file (the key after the flag's dashes, with " +
        "underscores) or from its environment variable (SEQBUS_ and the key in capitals). A flag beats the " +
        "environment, which beats the file, which beats the default. Exit code 2: invalid configuration; " +
        "70: the broker's thread stopped on an error (out of memory, say) and the process with it."})
final class BrokerCommand implements Callable<Integer>
{
    /** Exit status when the broker's thread stopped on an Error: EX_SOFTWARE of sysexits.h. */
    static final int EXIT_AGENT_FAILED = 70;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
        description = "Read settings from this TOML file (e.g. /etc/seqbus/seqbus.conf; default: $SEQBUS_CONFIG, " +
            "else none).")
    Path config;

    @Option(names = "--check-config", paramLabel = "FILE",
        description = "Check this config file (with the environment and flags given) and exit: 0 valid, 2 invalid.")
    Path checkConfig;

    /**
     * Adds one option per setting to the broker command whenever picocli builds its model, so
     * every reader of the model (the parser, help, and the man pages and bash completion made
     * from {@link Main} at build time) sees them.
     */
    static final class SettingOptions implements CommandLine.IModelTransformer
    {
        @Override
        public CommandSpec transform(final CommandSpec broker)
        {
            for (final Setting<?> setting : Settings.ALL)
            {
                broker.addOption(OptionSpec.builder(setting.flag())
                    .paramLabel(setting.key().toUpperCase(java.util.Locale.ROOT).replace('.', '_'))
                    .type(String.class)
                    .description(setting.help())
                    .build());
            }
            return broker;
        }
    }

    @Override
    public Integer call() throws Exception
    {
        final Map<String, String> flags = new LinkedHashMap<>();
        for (final Setting<?> setting : Settings.ALL)
        {
            final OptionSpec option = spec.findOption(setting.flag());
            final String value = option == null ? null : option.getValue();
            if (value != null)
            {
                flags.put(setting.key(), value);
            }
        }
        final Path file = checkConfig != null ? checkConfig : config != null ? config :
            System.getenv("SEQBUS_CONFIG") == null ? null : Path.of(System.getenv("SEQBUS_CONFIG"));
        final BrokerConfig brokerConfig = new BrokerConfig(file, System.getenv(), flags);
        final BrokerContext context;
        try
        {
            context = brokerConfig.load();
        }
        catch (final ConfigException ex)
        {
            final CommandLine cli = spec.commandLine();
            for (final String problem : ex.problems())
            {
                cli.getErr().println("seqbus: " + problem);
            }
            cli.getErr().println("seqbus: invalid configuration; nothing started");
            return 2;
        }
        try
        {
            Broker.checkFits(context);
        }
        catch (final IllegalArgumentException ex)
        {
            spec.commandLine().getErr().println("seqbus: " + ex.getMessage());
            spec.commandLine().getErr().println("seqbus: invalid configuration; nothing started");
            return 2;
        }
        if (checkConfig != null)
        {
            spec.commandLine().getErr().println("seqbus: " + checkConfig + ": configuration is valid");
            return 0;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM and Ctrl-C mean "stop cleanly": close, then exit 0 (not 143), as systemd expects.
        // Handled from before the launch, so a stop that comes while it starts is clean too.
        for (final String name : new String[]{"TERM", "INT"})
        {
            Signal.handle(new Signal(name), (signal) -> stop.countDown());
        }
        // An Error that stops the broker's thread (out of memory, say) stops the process too, with
        // EX_SOFTWARE: a broker that delivers nothing must not look alive to its supervisor.
        // Out of memory it exits at once, allocating nothing on the way: a clean stop could thrash
        // the collector for as long as systemd waits, serving nobody.
        FailureExit.prepare();
        context.agentFailureHandler((ex) ->
        {
            if (ex instanceof VirtualMachineError)
            {
                FailureExit.halt(EXIT_AGENT_FAILED);
            }
            stop.countDown();
        });
        // SIGHUP is systemd's ExecReload: reload what can change while running. The handler runs on
        // the JVM's signal thread; a bad new config changes nothing, and the broker records why for
        // `seqbus reload` to report. Handled from before the launch (the JVM's own SIGHUP action would
        // stop the process), and a reload asked for while the broker starts (systemd may ask once
        // READY=1 is out) runs as soon as it is up: whichever thread takes the pending flag runs it.
        final AtomicReference<Broker> running = new AtomicReference<>();
        final AtomicBoolean reloadPending = new AtomicBoolean();
        // Started with SIGHUP ignored (nohup), the JVM would silently install nothing: take it back first.
        Signals.unignore(Signals.SIGHUP);
        Signal.handle(new Signal("HUP"), (signal) ->
        {
            reloadPending.set(true);
            final Broker b = running.get();
            if (b != null && reloadPending.getAndSet(false))
            {
                b.reload(brokerConfig::load);
            }
        });
        final Broker broker = Broker.launch(context);
        running.set(broker);
        if (reloadPending.getAndSet(false))
        {
            broker.reload(brokerConfig::load);
        }
        stop.await();
        broker.close();
        return broker.agentFailure() == null ? 0 : EXIT_AGENT_FAILED;
    }
}

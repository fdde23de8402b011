package io.seqbus.ops;

import io.seqbus.broker.config.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code seqbus} command.
 */
@Command(
    name = "seqbus",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A multicast publish/subscribe bus over AF_UNIX SOCK_SEQPACKET.",
    subcommands = {BrokerCommand.class, PubCommand.class, SubCommand.class, StatCommand.class, TopCommand.class,
        ReloadCommand.class, BenchCommand.class, RequestCommand.class, ReplyCommand.class,
        DemoCommand.class, SoakCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "The socket defaults to $SEQBUS_SOCKET, else $XDG_RUNTIME_DIR/seqbus/seqbus.sock, " +
        "else /tmp/seqbus-$UID/seqbus.sock; that folder must be a directory of yours that group and others cannot " +
        "write to, or every command refuses it."})
public final class Main implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /**
     * Runs a command without exiting, for tests.
     *
     * @param args command line.
     * @return the exit code.
     */
    public static int run(final String... args)
    {
        final CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
        {
            // Users get one line, not a stack trace; SEQBUS_DEBUG=1 shows the trace.
            commandLine.getErr().println("seqbus: " + ex.getMessage());
            if (System.getenv("SEQBUS_DEBUG") != null)
            {
                ex.printStackTrace(commandLine.getErr());
            }
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: broker, pub, sub, stat, top, reload, bench or demo");
    }

    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            // The ops jar's manifest: what was built, not what the sources say now.
            return new String[]{"seqbus " + BuildInfo.of(Main.class).describe()};
        }
    }
}

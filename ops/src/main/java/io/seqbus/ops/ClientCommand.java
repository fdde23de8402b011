package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.function.Consumer;

/**
 * What the client commands share: where the broker is, and how to connect to it.
 */
abstract class ClientCommand
{
    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    // Longer than the client jar's 5 s: the first command after boot or install starts a socket-activated
    // broker, a JVM, and on a busy host that took more than 5 s in CI. A broker that is not there at all still
    // fails at once; this bounds only the wait for a broker that took the connection.
    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "30s",
        description = "How long to wait for the broker's WELCOME once connected, as 500ms, 5s or 2m: a " +
        "socket-activated broker may still be starting (default: ${DEFAULT-VALUE}).")
    String connectTimeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Connects on the calling thread ({@link ThreadMode#POLL}): the command's loop polls, so its handlers run
     * on the one thread that also writes the output.
     *
     * @param name     the client name the broker shows in {@code seqbus stat}.
     * @param settings the command's own options (handlers, reconnecting, timeouts).
     * @return a connected client.
     */
    BusClient connect(final String name, final Consumer<ClientOptions> settings)
    {
        final ClientOptions options = new ClientOptions()
            .clientName(name)
            .threadMode(ThreadMode.POLL)
            .reconnect(false)
            .connectTimeout(RequestCommand.duration(spec, "--connect-timeout", connectTimeout));
        if (socket != null)
        {
            options.socket(socket);
        }
        settings.accept(options);
        return BusClient.connect(options);
    }
}

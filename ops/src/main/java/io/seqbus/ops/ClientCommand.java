package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
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
            .reconnect(false);
        if (socket != null)
        {
            options.socket(socket);
        }
        settings.accept(options);
        return BusClient.connect(options);
    }
}

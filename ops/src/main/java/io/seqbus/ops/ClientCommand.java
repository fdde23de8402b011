package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import picocli.CommandLine.Option;

/**
 * What the client commands share: where the broker is, and how to connect to it.
 */
abstract class ClientCommand
{
    @Option(names = "--socket", paramLabel = "PATH",
        description = "Broker socket path, or @name (default: $SEQBUS_SOCKET, else the per-user default).")
    String socket;

    BusClient connect(final String name)
    {
        final ClientOptions options = new ClientOptions()
            .clientName(name)
            .threadMode(ThreadMode.POLL)
            .reconnect(false);
        if (socket != null)
        {
            options.socket(socket);
        }
        return BusClient.connect(options);
    }
}

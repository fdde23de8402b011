package io.seqbus.client;

import java.time.Duration;

/**
 * Run by {@link NativeCallsLoadedOnlyWithDescriptorsTest} in a class loader of its own: connects, publishes and
 * closes, with descriptors as asked.
 */
public final class NoNativeCallsProbe
{
    private NoNativeCallsProbe()
    {
    }

    public static void run(final String socket, final boolean descriptors)
    {
        final ClientOptions options = new ClientOptions().socket(socket).connectTimeout(Duration.ofSeconds(10));
        if (!descriptors)
        {
            options.descriptors(false);
        }
        try (BusClient client = BusClient.connect(options))
        {
            client.publish("a.b", "plain");
            client.flush();
        }
    }
}

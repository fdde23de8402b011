package io.seqbus.client;

/**
 * For {@link NoMicrometerTest}: a service run with Micrometer absent from its class path.
 */
public final class NoMicrometerService
{
    private NoMicrometerService()
    {
    }

    public static void main(final String[] args)
    {
        try
        {
            Class.forName("io.micrometer.core.instrument.MeterBinder");
            System.out.println("micrometer present: the test's class path is wrong");
            System.exit(2);
        }
        catch (final ClassNotFoundException expected)
        {
            System.out.println("micrometer absent");
        }
        try (BusClient client = BusClient.connect(new ClientOptions().socket(args[0])))
        {
            client.publish("orders.eu.created", "{}");
            client.flush();
            // Reading the counters touches no Micrometer class either.
            System.out.println("published " + client.stats().published());
        }
    }
}

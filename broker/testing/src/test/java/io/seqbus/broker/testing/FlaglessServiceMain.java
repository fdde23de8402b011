package io.seqbus.broker.testing;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A service's test, reduced to a main, for a JVM started with no flags at all (FlaglessBrokerTest): the extension
 * must start its broker, serve the client and stop. With "hang" it waits after printing the broker's pid, to be
 * killed.
 */
public final class FlaglessServiceMain
{
    private FlaglessServiceMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final SeqbusBroker broker = new SeqbusBroker();
        final long startNs = System.nanoTime();
        broker.beforeAll(null);
        System.out.println("started in " + (System.nanoTime() - startNs) / 1_000_000 + " ms");
        System.out.println("child " + broker.runsInChildJvm() + " pid " + broker.childPid());
        final BlockingQueue<String> got = new ArrayBlockingQueue<>(1);
        try (BusClient bus = BusClient.connect(new ClientOptions().socket(broker.socket())
            .threadMode(ThreadMode.DEDICATED)))
        {
            bus.subscribe("orders.>", (m) -> got.add(m.payloadAsString()));
            bus.sync(Duration.ofSeconds(5));
            bus.publish("orders.eu.created", "hello");
            System.out.println("delivered " + got.poll(10, TimeUnit.SECONDS));
        }
        if (args.length > 0 && args[0].equals("hang"))
        {
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
        broker.afterAll(null);
        System.out.println("stopped, running " + broker.isRunning());
    }
}

package io.seqbus.ops;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.Broker;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code seqbus demo}: a broker, a subscriber and a publisher, over a real socket, in one go.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Start a broker on a private socket, subscribe to 'demo.>', publish a few messages " +
        "and print what the subscriber receives.")
final class DemoCommand implements Callable<Integer>
{
    @Option(names = "--count", paramLabel = "N", description = "Messages to publish (default: 5).")
    int count = 5;

    @Override
    public Integer call() throws Exception
    {
        final Path dir = Files.createTempDirectory("seqbus-demo");
        final String socket = dir.resolve("seqbus.sock").toString();
        final CountDownLatch all = new CountDownLatch(count);
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).metrics("off"));
            BusClient sub = BusClient.connect(new ClientOptions().socket(socket).clientName("demo-sub")
                .threadMode(ThreadMode.DEDICATED));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket).clientName("demo-pub")
                .threadMode(ThreadMode.POLL)))
        {
            sub.subscribe("demo.>", (m) ->
            {
                System.out.printf("subscriber got  %-12s seq=%d from pid %d: %s%n",
                    m.topic(), m.sequence(), m.publisherPid(), m.payloadAsString());
                all.countDown();
            });
            sub.sync(Duration.ofSeconds(5));
            for (int i = 1; i <= count; i++)
            {
                final String text = "hello #" + i;
                System.out.println("publisher sends demo.greeting: " + text);
                pub.publish("demo.greeting", text.getBytes(StandardCharsets.UTF_8));
            }
            pub.sync(Duration.ofSeconds(5));
            if (!all.await(10, TimeUnit.SECONDS))
            {
                System.err.println("seqbus: the subscriber did not receive every message");
                return 1;
            }
            System.out.println("ok: " + count + " published, " + count + " delivered, in order, over " + socket);
        }
        finally
        {
            Files.deleteIfExists(dir);
        }
        return 0;
    }
}

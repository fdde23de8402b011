package io.seqbus.ops;

import io.seqbus.client.BusClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code seqbus pub}: publish one message, or one per line of standard input.
 */
@Command(
    name = "pub",
    mixinStandardHelpOptions = true,
    description = "Publish MESSAGE to TOPIC, or, without MESSAGE, each line of standard input as one message.")
final class PubCommand extends ClientCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic, such as orders.eu.created.")
    String topic;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MESSAGE", description = "The message (UTF-8).")
    String message;

    @Override
    public Integer call() throws Exception
    {
        try (BusClient client = connect("seqbus-pub"))
        {
            if (message != null)
            {
                client.publish(topic, message.getBytes(StandardCharsets.UTF_8));
            }
            else
            {
                final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null)
                {
                    client.publish(topic, line.getBytes(StandardCharsets.UTF_8));
                }
            }
            // The broker answers PING in order, so once PONG is back every message was routed.
            client.sync(Duration.ofSeconds(30));
            // A refused topic was reported once on stderr by the error handler; the exit status says so too.
            return client.refusal(topic) != null ? 1 : 0;
        }
    }
}

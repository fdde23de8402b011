package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.Message;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code seqbus sub}: print every message matching a pattern, one line each.
 */
@Command(
    name = "sub",
    mixinStandardHelpOptions = true,
    description = "Print the payload of every message matching PATTERN as one line of standard output.")
final class SubCommand extends ClientCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "PATTERN",
        description = "Pattern: '*' matches one token, '>' one or more trailing tokens (quote it in the shell).")
    String pattern;

    @Option(names = "--count", paramLabel = "N", description = "Exit 0 after N messages (default: run until stopped).")
    long count = -1;

    private final OutputStream out = new FileOutputStream(FileDescriptor.out);
    private long received;

    @Override
    public Integer call() throws Exception
    {
        if (count == 0)
        {
            return 0;
        }
        try (BusClient client = connect("seqbus-sub"))
        {
            client.subscribe(pattern, this::print);
            client.sync(Duration.ofSeconds(30));
            System.err.println("seqbus: subscribed to " + pattern);
            final IdleStrategy idle = new BackoffIdleStrategy();
            while (count < 0 || received < count)
            {
                idle.idle(client.poll());
            }
        }
        return 0;
    }

    private void print(final Message message)
    {
        if (count >= 0 && received >= count)
        {
            return;
        }
        try
        {
            out.write(message.payloadAsBytes());
            out.write('\n');
            out.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        received++;
    }
}

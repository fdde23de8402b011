package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.BusException;
import io.seqbus.client.Headers;
import io.seqbus.client.Message;
import io.seqbus.client.Subscription;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code seqbus reply}: answer the requests on the topics a pattern matches, with their own payload or with a
 * command's output, one at a time, until killed or {@code --count} requests were answered.
 */
@Command(
    name = "reply",
    mixinStandardHelpOptions = true,
    description = {"Answer each request on a topic PATTERN matches: with its own payload (--echo), or with what " +
        "CMD prints on standard output when run with the request's payload on standard input (--exec). A CMD " +
        "that exits non-zero sends no reply (said on standard error); the requester then gets another " +
        "replier's answer, or times out.",
        "Requests are answered one at a time, in the order they came; plain messages on the pattern are ignored."},
    footer = {"", "Examples:", "  seqbus reply 'svc.echo' --echo", "  seqbus reply 'svc.time' --exec date",
        "  seqbus reply 'svc.upper' --exec 'tr a-z A-Z'", "  seqbus reply 'svc.echo' --echo --header served-by=echo",
        "", "Exit status:", "  0  --count requests answered", "  1  no broker, or it went away",
        "  2  bad usage: an option or the pattern", "  3  access denied by the broker's rules (subscribe)",
        "  4  evicted as a slow consumer", "  5  the broker is shutting down", "  7  any other refusal by the broker"})
final class ReplyCommand extends ClientCommand implements Callable<Integer>
{
    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);

    @Parameters(index = "0", paramLabel = "PATTERN", description = "Pattern of the topics to answer, e.g. svc.>.")
    String pattern;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "-1",
        description = "Exit after answering N requests (default: until killed).")
    long count;

    @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE", description = "A header on every reply " +
        "(repeatable; a key may repeat): KEY is 1 to 64 of a-z 0-9 - _ . and VALUE text (UTF-8).")
    List<String> headerArguments = new ArrayList<>();

    private Headers headers = Headers.EMPTY;

    /** What the reply is: exactly one of these. */
    static final class Mode
    {
        @Option(names = "--echo", required = true, description = "Reply with the request's own payload.")
        boolean echo;

        @Option(names = "--exec", required = true, paramLabel = "CMD",
            description = "Run CMD with sh -c, the request's payload on its standard input; its standard output " +
                "is the reply. The environment has SEQBUS_TOPIC, SEQBUS_REQUESTER_UID and SEQBUS_REQUESTER_PID.")
        String exec;
    }

    private long answered;
    private long failed;

    @Override
    public Integer call()
    {
        headers = HeaderArguments.parse(spec, headerArguments);
        final BusClient client = connect("seqbus-reply", (options) -> { });
        try
        {
            final Subscription subscription = client.subscribe(pattern, (Message m) -> answer(client, m));
            client.sync(Duration.ofSeconds(30));
            final BusError refused = subscription.error();
            if (refused != null)
            {
                System.err.println("seqbus: the broker refused the subscription to " + pattern + ": " +
                    refused.name() + ": " + refused.reason());
                return ExitStatus.of(refused.code());
            }
            System.err.println("seqbus: answering requests on " + pattern);
            while (count < 0 || answered < count)
            {
                if (client.isClosed())
                {
                    final BusException cause = client.closedCause();
                    System.err.println("seqbus: " + (cause == null ? "the client was closed" : cause.getMessage()));
                    return cause == null ? ExitStatus.BROKER_GONE : ExitStatus.of(cause);
                }
                if (client.poll() == 0)
                {
                    client.poll(IDLE_WAIT);
                }
            }
            client.flush();
            return ExitStatus.OK;
        }
        catch (final BusException ex)
        {
            System.err.println("seqbus: " + ex.getMessage());
            return ExitStatus.of(ex);
        }
        finally
        {
            client.close();
        }
    }

    private void answer(final BusClient client, final Message m)
    {
        if (!m.isRequest())
        {
            return;
        }
        if (mode.echo)
        {
            m.reply(m.payloadAsBytes(), headers);
            answered++;
            return;
        }
        final byte[] reply = run(m);
        if (reply != null)
        {
            m.reply(reply, headers);
            answered++;
        }
    }

    /** @return CMD's standard output, or null (said on stderr) when it failed. */
    private byte[] run(final Message m)
    {
        final ProcessBuilder builder = new ProcessBuilder(List.of("sh", "-c", mode.exec))
            .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("SEQBUS_TOPIC", m.topic());
        builder.environment().put("SEQBUS_REQUESTER_UID", Integer.toUnsignedString(m.publisherUid()));
        builder.environment().put("SEQBUS_REQUESTER_PID", Integer.toString(m.publisherPid()));
        try
        {
            final Process process = builder.start();
            final byte[] request = m.payloadAsBytes();
            // The output is read on its own thread: a CMD that prints much before reading all its input would
            // otherwise block on a full pipe while we block writing its input.
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final Thread reader = new Thread(() -> copy(process.getInputStream(), output), "seqbus-reply-exec");
            reader.start();
            try (OutputStream in = process.getOutputStream())
            {
                in.write(request);
            }
            catch (final IOException ex)
            {
                // CMD did not read all of its input (e.g. `date`): its output still counts.
            }
            final int status = process.waitFor();
            reader.join();
            if (status != 0)
            {
                failed++;
                System.err.println("seqbus: '" + mode.exec + "' exited with status " + status + " for a request on " +
                    m.topic() + ": no reply (" + failed + " so far)");
                return null;
            }
            return output.toByteArray();
        }
        catch (final IOException ex)
        {
            failed++;
            System.err.println("seqbus: cannot run '" + mode.exec + "': " + ex.getMessage() + ": no reply");
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void copy(final InputStream from, final ByteArrayOutputStream to)
    {
        try
        {
            from.transferTo(to);
        }
        catch (final IOException ignore)
        {
            // the process ended; what was read is the output
        }
    }
}

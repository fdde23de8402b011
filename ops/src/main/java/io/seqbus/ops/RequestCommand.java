package io.seqbus.ops;

import io.seqbus.client.AccessDeniedException;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusException;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.Headers;
import io.seqbus.client.Message;
import io.seqbus.client.NoRespondersException;
import io.seqbus.client.RespondersGoneException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code seqbus request}: send one request, print the reply's payload, and say with the exit status how it ended.
 */
@Command(
    name = "request",
    mixinStandardHelpOptions = true,
    description = {"Send PAYLOAD as a request on TOPIC and print the reply's payload, bytes as they are, to " +
        "standard output. Only this client can receive the reply: the broker routes it by connection, not by topic.",
        "A request nothing subscribes to fails at once (no responders), not after the timeout."},
    footer = {"", "Examples:", "  seqbus request svc.time now", "  seqbus request --timeout 500ms svc.price '{\"sku\":7}'",
        "  seqbus request --header traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 --json " +
        "svc.price '{\"sku\":7}'",
        "", "Exit status:", "  0  replied: the reply's payload is on standard output",
        "  1  no broker, or it went away before the reply", "  2  bad usage: an option, the topic, the payload's size",
        "  3  access denied by the broker's rules (request)", "  6  no reply within --timeout",
        "  7  any other refusal by the broker (too many requests pending)",
        "  9  no responders: nothing subscribes to TOPIC",
        "  10 responders gone: every subscriber it went to went away before replying"})
final class RequestCommand extends ClientCommand implements java.util.concurrent.Callable<Integer>
{
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)?");

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic, such as svc.price.")
    String topic;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PAYLOAD", defaultValue = "",
        description = "The request, as text (UTF-8); empty by default.")
    String payload;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
        description = "How long to wait for the reply: 500ms, 5s, 2m, or seconds (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE", description = "A header on the request " +
        "(repeatable; a key may repeat): KEY is 1 to 64 of a-z 0-9 - _ . and VALUE text (UTF-8).")
    List<String> headerArguments = new ArrayList<>();

    @Option(names = "--json", description = "Print the reply as one JSON object and a newline: topic, replier " +
        "node, uid and pid, time, the payload (as text when it is UTF-8, else base64, as \"encoding\" says) and " +
        "\"headers\" when it has any, as seqbus sub --json shows a message.")
    boolean json;

    @Override
    public Integer call() throws IOException
    {
        final Duration wait = duration(spec, "--timeout", timeout);
        final Headers headers = HeaderArguments.parse(spec, headerArguments);
        final BusClient client = connect("seqbus-request", (options) -> options
            .connectionListener(new ConnectionListener()
            {
            }));
        try
        {
            final CompletableFuture<Message> reply =
                client.request(topic, payload.getBytes(StandardCharsets.UTF_8), headers, wait);
            // POLL mode: this thread reads the RESPONSE; the client's own timer ends the wait.
            while (!reply.isDone())
            {
                if (client.isClosed())
                {
                    System.err.println("seqbus: the connection to the broker at " + client.socket() +
                        " ended before the reply");
                    return ExitStatus.BROKER_GONE;
                }
                client.poll(Duration.ofMillis(50));
            }
            return print(reply);
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

    private int print(final CompletableFuture<Message> reply) throws IOException
    {
        try
        {
            final Message m = reply.get();
            final OutputStream out = System.out;
            if (json)
            {
                out.write(new JsonMessage().encodeReply(m));
                out.write('\n');
            }
            else
            {
                out.write(m.payloadAsBytes());
            }
            out.flush();
            return ExitStatus.OK;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return ExitStatus.BROKER_GONE;
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            System.err.println("seqbus: " + cause.getMessage());
            if (cause instanceof NoRespondersException)
            {
                return ExitStatus.NO_RESPONDERS;
            }
            if (cause instanceof RespondersGoneException)
            {
                return ExitStatus.RESPONDERS_GONE;
            }
            if (cause instanceof TimeoutException)
            {
                return ExitStatus.TIMED_OUT;
            }
            if (cause instanceof AccessDeniedException)
            {
                return ExitStatus.ACCESS_DENIED;
            }
            return cause instanceof BusException bus ? ExitStatus.of(bus) : ExitStatus.REFUSED;
        }
    }

    /**
     * @return {@code 500ms}, {@code 5s}, {@code 2m} or a number of seconds, as a positive Duration.
     */
    static Duration duration(final CommandLine.Model.CommandSpec spec, final String option, final String text)
    {
        final Matcher m = DURATION.matcher(text.trim());
        if (m.matches())
        {
            final double value = Double.parseDouble(m.group(1));
            final String unit = m.group(2) == null ? "s" : m.group(2);
            final long nanos = (long)(value * ("ms".equals(unit) ? 1e6 : "m".equals(unit) ? 60e9 : 1e9));
            if (nanos > 0)
            {
                return Duration.ofNanos(nanos);
            }
        }
        throw new CommandLine.ParameterException(spec.commandLine(), option + " " + text +
            ": not a positive duration such as 500ms, 5s or 2m");
    }
}

package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.BusException;
import io.seqbus.client.Message;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.Subscription;
import io.seqbus.client.SubscriptionOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code seqbus sub}: print every message matching a pattern, as a line, a template, JSON or raw bytes; say on
 * stderr whatever may have been missed; reconnect, or exit with a status that names the reason.
 */
@Command(
    name = "sub",
    mixinStandardHelpOptions = true,
    description = {"Print every message matching PATTERN on standard output: its payload and a newline, or as " +
        "-v, --format, --json or --raw say.",
        "Stderr says when the connection is lost (with the broker's reason), when it is back, and every gap " +
            "(messages lost, with the reason and count). After an eviction (SLOW_CONSUMER) or a broker " +
            "restart (SHUTTING_DOWN, or a crash) it reconnects and says what was missed; with --no-reconnect " +
            "it exits instead. A refused subscription (ACCESS_DENIED, a limit) exits at once."},
    footer = {"", "Formats (--format): " + PrintfFormat.ESCAPES_HELP,
        "", "Examples:", "  seqbus sub -v 'orders.>'", "  seqbus sub --format '%%I %%t seq=%%s %%p\\n' 'orders.>'",
        "  seqbus sub --json --count 1 orders.eu.created", "  seqbus sub --raw --count 1 files.blob > blob.bin",
        "  seqbus sub --save-dir /var/tmp/frames 'camera.>'", "  seqbus sub --group workers --json 'jobs.>'",
        "", "Exit status:", "  0  --count messages printed (or standard output was closed)",
        "  1  no broker, or the connection ended without a reason (--no-reconnect)",
        "  2  bad usage: an option, the pattern, a --save-dir that is no writable directory", "  3  access denied by the broker's rules",
        "  4  evicted as a slow consumer (--no-reconnect)", "  5  the broker is shutting down (--no-reconnect)",
        "  7  any other refusal by the broker (a limit, an option out of range)",
        "  8  a payload could not be written to --save-dir (the disk is full, the name too long)"})
final class SubCommand extends ClientCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "PATTERN",
        description = "Pattern: '*' matches one token, '>' one or more trailing tokens (quote it in the shell).")
    String pattern;

    @Option(names = {"-v", "--verbose"}, description = "Print the topic, a space, then the payload (as mosquitto_sub -v).")
    boolean verbose;

    @Option(names = {"-F", "--format"}, paramLabel = "TEMPLATE",
        description = "Print each message by this printf-like template (escapes below), as mosquitto_sub -F.")
    String format;

    @Option(names = "--json", description = "Print one JSON object per line: topic, node, publisher, sequence, " +
        "uid, pid, time_ns, time, encoding (utf-8 or base64) and payload (as text if valid UTF-8, else base64); " +
        "group with --group.")
    boolean json;

    @Option(names = "--raw", description = "Print the payload bytes only, with nothing between messages " +
        "(binary-safe; with --count 1, one message to a file).")
    boolean raw;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "Exit 0 after N messages (default: run until stopped).")
    long count = -1;

    @Option(names = "--policy", paramLabel = "POLICY", description = "When this subscriber falls behind: block, " +
        "drop-oldest, drop-newest or disconnect (default: the broker's default_policy).")
    String policy;

    @Option(names = "--max-queue-bytes", paramLabel = "BYTES", description = "Bound of this subscriber's queue " +
        "at the broker (default: the broker's; at most its max_queue_bytes_limit).")
    long maxQueueBytes;

    @Option(names = "--group", paramLabel = "NAME", description = "Join queue group NAME: each message goes to " +
        "one member of the group (those with room first, round robin); ordinary subscribers still get every one. " +
        "NAME: 1 to 64 bytes of one topic token.")
    String group;

    @Option(names = "--save-dir", paramLabel = "DIR", description = "Write each payload that came as a memfd " +
        "(a large one) to DIR/TOPIC.PUBLISHER.SEQUENCE (a '/' in the topic as %%2F) and print that path as its " +
        "line; other payloads print as usual.")
    Path saveDir;

    @Option(names = "--no-reconnect", description = "Exit when the connection is lost (status 1, 4 or 5) " +
        "instead of reconnecting.")
    boolean noReconnect;

    // The longest one wait for messages lasts: everything that ends the loop (a message, the broker's ERROR or
    // hang-up, a close) ends the wait at once, so this only bounds the wake-ups of an idle sub (1 a second).
    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);

    private final OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
    private PrintfFormat template;
    private PayloadSaver saver;
    private int saveFailed;
    private long received;
    private boolean outputClosed;

    @Override
    public Integer call() throws Exception
    {
        template = PrintfFormat.compile(template());
        if (saveDir != null)
        {
            final String unusable = PayloadSaver.unusable(saveDir);
            if (unusable != null)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), unusable);
            }
            saver = new PayloadSaver(saveDir);
        }
        final SubscriptionOptions subscriptionOptions = subscriptionOptions();
        if (count == 0)
        {
            return ExitStatus.OK;
        }
        final SubEvents events = new SubEvents(System.err);
        final BusClient client = connect("seqbus-sub", (options) -> options
            .reconnect(!noReconnect)
            .connectionListener(events)
            .gapHandler(events)
            .errorHandler(events));
        try
        {
            final Subscription subscription = client.subscribe(pattern, this::print, subscriptionOptions);
            client.sync(Duration.ofSeconds(30));
            if (refused(subscription))
            {
                return ExitStatus.of(subscription.error().code());
            }
            System.err.println("seqbus: subscribed to " + pattern);
            return run(client, subscription, events);
        }
        catch (final BusException ex)
        {
            return closed(ex, events);
        }
        finally
        {
            flushQuietly();
            client.close();
        }
    }

    private int run(final BusClient client, final Subscription subscription, final SubEvents events)
    {
        while (count < 0 || received < count)
        {
            if (saveFailed != ExitStatus.OK)
            {
                return saveFailed;
            }
            if (outputClosed)
            {
                return ExitStatus.OK;
            }
            if (client.isClosed())
            {
                return closed(client.closedCause(), events);
            }
            if (refused(subscription))
            {
                // Refused when it was sent again after a reconnect (the rules changed on a reload).
                return ExitStatus.of(subscription.error().code());
            }
            if (client.poll() == 0)
            {
                // Nothing more to read now: what was printed reaches the reader before we wait, asleep in poll(2)
                // (no CPU while idle) until the broker sends something, hangs up, or the wait ends.
                flushQuietly();
                client.poll(IDLE_WAIT);
            }
        }
        return ExitStatus.OK;
    }

    private boolean refused(final Subscription subscription)
    {
        final BusError error = subscription.error();
        if (error == null)
        {
            return false;
        }
        System.err.println("seqbus: the broker refused the subscription to " + pattern + ": " + error.name() +
            ": " + error.reason());
        return true;
    }

    private int closed(final BusException cause, final SubEvents events)
    {
        if (cause == null)
        {
            System.err.println("seqbus: the client was closed");
            return ExitStatus.BROKER_GONE;
        }
        if (!events.lossReported())
        {
            System.err.println("seqbus: " + cause.getMessage());
        }
        return ExitStatus.of(cause);
    }

    private String template()
    {
        final int chosen = (verbose ? 1 : 0) + (format != null ? 1 : 0) + (json ? 1 : 0) + (raw ? 1 : 0);
        if (chosen > 1)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "choose one of -v, --format, --json and --raw");
        }
        if (format != null)
        {
            return format;
        }
        return json ? "%j\\n" : raw ? "%p" : verbose ? "%t %p\\n" : "%p\\n";
    }

    private SubscriptionOptions subscriptionOptions()
    {
        final SubscriptionOptions options = new SubscriptionOptions();
        try
        {
            if (policy != null)
            {
                options.policy(SlowConsumerPolicy.fromLabel(policy));
            }
            options.maxQueueBytes(maxQueueBytes);
            options.group(group);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
        }
        return options;
    }

    private void print(final Message message)
    {
        if (outputClosed || saveFailed != ExitStatus.OK || (count >= 0 && received >= count))
        {
            return;
        }
        try
        {
            if (saver != null && message.isMemfdPayload())
            {
                if (!saveAndPrint(message))
                {
                    return;
                }
            }
            else
            {
                template.write(message, out);
            }
            received++;
            if (count >= 0 && received == count)
            {
                out.flush();
            }
        }
        catch (final IOException ex)
        {
            // The reader went away (head -n 1, a closed pipe): it has what it wanted.
            outputClosed = true;
        }
    }

    private boolean saveAndPrint(final Message message) throws IOException
    {
        final Path saved;
        try
        {
            saved = saver.save(message);
        }
        catch (final IOException ex)
        {
            System.err.println("seqbus: cannot save the payload of " + message.topic() + " sequence " +
                Long.toUnsignedString(message.sequence()) + " (" + message.payloadLength() + " bytes) in " + saveDir +
                ": " + ex);
            saveFailed = ExitStatus.SAVE_FAILED;
            return false;
        }
        out.write((saved + "\n").getBytes(StandardCharsets.UTF_8));
        return true;
    }

    private void flushQuietly()
    {
        try
        {
            out.flush();
        }
        catch (final IOException ex)
        {
            outputClosed = true;
        }
    }
}

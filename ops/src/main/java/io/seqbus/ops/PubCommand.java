package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.BusException;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.ErrorCode;
import io.seqbus.client.ErrorHandler;
import io.seqbus.client.Loan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import io.seqbus.client.Headers;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code seqbus pub}: publish one message, a message repeated, or a stream of them, byte for byte; exit non-zero,
 * with the broker's reason, on every refusal.
 */
@Command(
    name = "pub",
    mixinStandardHelpOptions = true,
    description = {"Publish MESSAGE to TOPIC; without MESSAGE, each line of standard input as one message " +
        "(bytes as they are, the newline removed), or as --file, --raw or --null-separated say.",
        "A --file larger than the broker's max_payload (or any, with --memfd) goes as one sealed memfd: read " +
            "once into memory the subscribers map, which the broker never copies (up to its max_memfd_size).",
        "It exits once the broker has routed every message, or with a non-zero status and the reason on the " +
            "first refusal."},
    footer = {"", "Examples:", "  seqbus pub orders.eu.created '{\"id\":1}'",
        "  seqbus pub --header traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 orders.eu.created '{}'",
        "  seq 1 1000 | seqbus pub demo.numbers",
        "  seqbus pub --file blob.bin files.blob", "  seqbus pub --file frame.raw camera.frames",
        "  find . -print0 | seqbus pub -0 files.found",
        "  seqbus pub --count 10000 --rate 1000 load.test 'message {{Count}}'",
        "", "Exit status:", "  0  every message published and routed",
        "  1  no broker, or it went away (crashed, killed)",
        "  2  bad usage: an option, the topic, an unreadable file, a message over the broker's max_payload " +
            "(a file: over its max_memfd_size, or over max_payload when the broker passes no descriptors)",
        "  3  access denied by the broker's rules", "  5  the broker is shutting down",
        "  6  the broker held this publisher back longer than --timeout",
        "  7  any other refusal by the broker"})
final class PubCommand extends ClientCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic, such as orders.eu.created.")
    String topic;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MESSAGE",
        description = "The message, as text (UTF-8); " + PubInput.COUNT_PLACEHOLDER + " in it becomes the " +
            "message's number. For any bytes use --file or --raw.")
    String message;

    @Option(names = {"-f", "--file"}, paramLabel = "PATH", description = "Publish the file's bytes as one message, " +
        "of any size: over the broker's max_payload as a sealed memfd.")
    Path file;

    @Option(names = "--memfd", description = "Publish the --file as a sealed memfd whatever its size.")
    boolean memfd;

    @Option(names = "--raw", description = "Publish all of standard input, bytes as they are, as one message.")
    boolean raw;

    @Option(names = {"-0", "--null-separated"},
        description = "Standard input holds messages each ended by a NUL byte (as find -print0 writes).")
    boolean nullSeparated;

    @Option(names = {"-c", "--count"}, paramLabel = "N",
        description = "Publish the one message (MESSAGE, --file or --raw) N times (default 1).")
    Long count;

    @Option(names = "--rate", paramLabel = "R", description = "At most R messages a second (default: as fast " +
        "as the broker takes them).")
    double rate;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long to wait while the broker holds " +
        "this publisher back (a subscriber with the block policy is full) before giving up with status 6; " +
        "0 waits as long as it takes. Default ${DEFAULT-VALUE}: longer than the broker's stall timeout " +
        "(10 s by default), after which the broker evicts the stalled subscriber and publishers go on.",
        defaultValue = "60")
    long timeoutSeconds;

    @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE", description = "A header on every message " +
        "(repeatable; a key may repeat): KEY is 1 to 64 of a-z 0-9 - _ . and VALUE text (UTF-8), e.g. " +
        "--header traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.")
    List<String> headerArguments = new ArrayList<>();

    private Headers headers = Headers.EMPTY;

    private BusError refusal;

    @Override
    public Integer call() throws Exception
    {
        checkOptions();
        headers = headers();
        final PubInput input = file != null ? null : input();
        // Opened before connecting: an unreadable file is bad usage whether or not a broker is there.
        final FileChannel channel = file != null ? openFile() : null;
        final Duration timeout = timeoutSeconds == 0 ? Duration.ofDays(365L * 100) : Duration.ofSeconds(timeoutSeconds);
        final BusClient client = connect("seqbus-pub", (options) -> options
            .publishTimeout(timeout)
            .errorHandler(this::refused)
            // The loss is said once, by the error handler (the broker's ERROR) or by the failed call.
            .connectionListener(new ConnectionListener()
            {
            }));
        try
        {
            // In ThreadMode.POLL a publish or flush that waits polls only on the thread that polls: this one, from
            // now on. So while it waits it reads the broker's ERRORs and the end of the connection.
            client.poll();
            final int status = channel != null ? publishFile(client, channel) : publishAll(client, input);
            if (status != ExitStatus.OK)
            {
                return status;
            }
            // The broker answers PING in order, so once PONG is back every message was routed or refused.
            client.sync(timeout);
            return refusal == null ? ExitStatus.OK : ExitStatus.of(refusal.code());
        }
        catch (final BusException ex)
        {
            return failed(client, ex);
        }
        finally
        {
            client.close();
            if (channel != null)
            {
                channel.close();
            }
        }
    }

    private int publishAll(final BusClient client, final PubInput input) throws IOException
    {
        final long intervalNs = rate > 0 ? (long)(TimeUnit.SECONDS.toNanos(1) / rate) : 0;
        final long start = System.nanoTime();
        long number = 0;
        boolean waited = false;
        byte[] payload;
        while ((payload = input.next()) != null && refusal == null)
        {
            number++;
            if (waited)
            {
                // Read what came while this waited for its input: a refusal, or the end of the connection.
                client.poll();
                waited = false;
            }
            if (payload.length + headers.encodedLength() > client.maxPayload())
            {
                System.err.println("seqbus: message " + number + " is " + payload.length + " bytes" +
                    (headers.isEmpty() ? "" : " and its headers " + headers.encodedLength()) + "; the broker at " +
                    client.socket() + " takes at most " + client.maxPayload() + " (its max_payload)");
                return ExitStatus.USAGE;
            }
            if (intervalNs > 0)
            {
                awaitTurn(client, start + (number - 1) * intervalNs);
            }
            if (headers.isEmpty())
            {
                client.publish(topic, payload);
            }
            else
            {
                client.publish(topic, payload, headers);
            }
            if (input.wouldWait())
            {
                // Standard input has nothing more yet: send what is batched before waiting for it.
                client.flush();
                waited = true;
            }
        }
        return refusal == null ? ExitStatus.OK : ExitStatus.of(refusal.code());
    }

    /** {@code --file}: inline up to max_payload as any message; above it (or with --memfd) through a loan. */
    private int publishFile(final BusClient client, final FileChannel channel) throws IOException
    {
        final long size = channel.size();
        if (!memfd && size <= client.maxPayload())
        {
            return publishAll(client, PubInput.repeated(readAll(channel, size), times()));
        }
        if (!headers.isEmpty() && memfd)
        {
            System.err.println("seqbus: --header and --memfd: a --file with headers goes as a memfd when it is over " +
                "the broker's max_payload, inline otherwise; leave out --memfd");
            return ExitStatus.USAGE;
        }
        if (!client.passesDescriptors())
        {
            System.err.println("seqbus: --file " + file + " is " + size + " bytes, over the broker's max_payload of " +
                client.maxPayload() + (memfd ? " or sent with --memfd" : "") + ", so it must go as a memfd, but the " +
                "broker at " + client.socket() + " passes no descriptors (a broker from before them)");
            return ExitStatus.USAGE;
        }
        if (size > Math.min(client.maxMemfdSize(), Integer.MAX_VALUE))
        {
            System.err.println("seqbus: --file " + file + " is " + size + " bytes; the broker at " + client.socket() +
                " takes at most " + client.maxMemfdSize() + " in a memfd (its max_memfd_size)" +
                (size > Integer.MAX_VALUE ? ", and a payload is at most " + Integer.MAX_VALUE : ""));
            return ExitStatus.USAGE;
        }
        final long intervalNs = rate > 0 ? (long)(TimeUnit.SECONDS.toNanos(1) / rate) : 0;
        final long start = System.nanoTime();
        for (long number = 1; number <= times() && refusal == null; number++)
        {
            if (intervalNs > 0)
            {
                awaitTurn(client, start + (number - 1) * intervalNs);
            }
            if (!headers.isEmpty())
            {
                // With headers (inline beside the memfd): through the client's own memfd, a copy of the file.
                client.publish(topic, readAll(channel, size), headers);
                client.poll();
                continue;
            }
            // A loan is a memfd mapped here: the file is read once, straight into the pages subscribers map.
            try (Loan loan = client.loan((int)size))
            {
                fill(channel, loan.buffer(), size);
                client.publish(topic, loan);
            }
            client.poll();
        }
        return refusal == null ? ExitStatus.OK : ExitStatus.of(refusal.code());
    }

    private FileChannel openFile()
    {
        try
        {
            return FileChannel.open(file, StandardOpenOption.READ);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read --file " + file + ": " +
                (ex instanceof NoSuchFileException ? "no such file" : ex.getMessage()), ex);
        }
    }

    private byte[] readAll(final FileChannel channel, final long size) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate((int)size);
        fill(channel, bytes, size);
        return bytes.array();
    }

    private void fill(final FileChannel channel, final ByteBuffer target, final long size) throws IOException
    {
        final ByteBuffer into = target.duplicate().clear();
        long at = 0;
        while (at < size)
        {
            final int n = channel.read(into, at);
            if (n < 0)
            {
                throw new IllegalArgumentException("--file " + file + " shrank while it was read: " + at + " of " +
                    size + " bytes");
            }
            at += n;
        }
    }

    private long times()
    {
        return count == null ? 1 : count;
    }

    private static void awaitTurn(final BusClient client, final long dueNs)
    {
        client.flush();
        long left;
        while ((left = dueNs - System.nanoTime()) > 0)
        {
            // Keep reading while waiting: a refusal or the broker's going is seen at once.
            client.poll(Duration.ofNanos(left));
        }
    }

    private int failed(final BusClient client, final BusException ex)
    {
        if (refusal != null && ex.code() == refusal.code())
        {
            // A publish refused at the call under the refusal already said on stderr.
            return ExitStatus.of(refusal.code());
        }
        final BusException cause = client.isClosed() && client.closedCause() != null ? client.closedCause() : ex;
        System.err.println("seqbus: " + cause.getMessage());
        if (!client.isClosed() && ex.code() == 0)
        {
            // Connected, yet the publish could not be handed over in time: the broker held it back.
            return ExitStatus.TIMED_OUT;
        }
        return ExitStatus.of(cause);
    }

    private void refused(final BusError error)
    {
        if (error.code() == ErrorCode.CLIENT)
        {
            // The client's own report from close(): accepted publishes it could not send.
            System.err.println("seqbus: " + error.reason());
            return;
        }
        System.err.println("seqbus: the broker " + (error.topic() != null ? "refused publishing to " + error.topic() :
            error.isFatal() ? "closed the connection" : "refused a frame") + ": " + error.name() + ": " +
            error.reason());
        if (refusal == null)
        {
            refusal = error;
        }
    }

    private void checkOptions()
    {
        final int sources = (message != null ? 1 : 0) + (file != null ? 1 : 0) + (raw ? 1 : 0) + (nullSeparated ? 1 : 0);
        if (sources > 1)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "give the message one way: MESSAGE, --file, --raw or --null-separated");
        }
        if (count != null && count < 1)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1: " + count);
        }
        if (rate < 0)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate must not be negative: " + rate);
        }
        if (timeoutSeconds < 0)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must not be negative");
        }
        if (memfd && file == null)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--memfd publishes a --file: give one");
        }
    }

    /** {@code --header KEY=VALUE}s, checked (key rules, sizes) before connecting: bad ones are bad usage. */
    private Headers headers()
    {
        return HeaderArguments.parse(spec, headerArguments);
    }

    private PubInput input() throws IOException
    {
        final long times = times();
        if (message != null)
        {
            return PubInput.repeated(message.getBytes(StandardCharsets.UTF_8), times);
        }
        if (raw)
        {
            return PubInput.repeated(System.in.readAllBytes(), times);
        }
        if (count != null)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--count repeats one message: give MESSAGE, --file or --raw");
        }
        return PubInput.split(System.in, nullSeparated ? 0 : '\n');
    }
}

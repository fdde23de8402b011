package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Loan;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Python example client, written from SPEC.md alone, passes sealed memfd payloads through the real broker: it
 * publishes them (to Python and Java subscribers, byte for byte, in order with its inline messages) and receives
 * them (from a Java loan); the broker refuses an unsealed one with BAD_DESCRIPTOR, and keeps no memfd afterwards.
 */
class PythonMemfdTest
{
    private static final Path EXAMPLES = Path.of("..", "examples", "python").toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Empty, one byte, just over the default max_payload, and a few MiB. */
    private static final List<Integer> SIZES = List.of(0, 1, 65_537, 3 << 20);

    /** Subscribes to py.> and prints, per delivery: sequence, then "memfd SIZE CRC32" or "inline TEXT". */
    private static final String SUBSCRIBER = """
        import sys, zlib
        sys.path.insert(0, sys.argv[1])
        import seqbus
        client = seqbus.Client(sys.argv[2], name="py-memfd-sub")
        client.subscribe(1, sys.argv[3])
        client.ping()
        print("subscribed", flush=True)
        for n, frame in enumerate(client.receive()):
            if isinstance(frame, seqbus.DeliverFds):
                with seqbus.memfd_payload(frame) as payload:
                    print("%d memfd %d %08x" % (frame.sequence, len(payload), zlib.crc32(payload)), flush=True)
            elif isinstance(frame, seqbus.Deliver):
                print("%d inline %s" % (frame.sequence, frame.payload.decode()), flush=True)
            else:
                print("other %r" % (frame,), flush=True)
        """;

    /** Publishes each size of argv[3] as a memfd of random bytes, each followed by an inline message. */
    private static final String PUBLISHER = """
        import os, sys, zlib
        sys.path.insert(0, sys.argv[1])
        import seqbus
        client = seqbus.Client(sys.argv[2], name="py-memfd-pub")
        assert client.passes_descriptors(), client.welcome
        for size in [int(s) for s in sys.argv[3].split(",")]:
            data = os.urandom(size)
            client.publish_memfd("py.memfd", data)
            client.publish("py.memfd", b"after %d" % size)
            print("memfd %d %08x" % (size, zlib.crc32(data)), flush=True)
        client.ping()
        errors = [f for f in client.pending if isinstance(f, seqbus.Error)]
        print("errors %r" % (errors,), flush=True)
        """;

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopPython()
    {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void aPythonPublishersMemfdPayloadsReachPythonAndJavaSubscribersByteForByteInOrder() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final ConcurrentLinkedQueue<String> javaGot = new ConcurrentLinkedQueue<>();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            BusClient java = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            java.subscribe("py.>", (m) -> javaGot.add(m.isMemfdPayload() ?
                "memfd " + m.payloadLength() + " " + crc(m.payloadBuffer()) : "inline " + m.payloadAsString()));
            java.sync(WAIT);
            final Python sub = python(SUBSCRIBER, socket, "py.>");
            assertThat(sub.line()).isEqualTo("subscribed");

            final Python pub = python(PUBLISHER, socket, String.join(",", SIZES.stream().map(String::valueOf).toList()));
            final List<String> expected = new ArrayList<>();
            for (final int size : SIZES)
            {
                final String published = pub.line();
                assertThat(published).startsWith("memfd " + size + " ");
                expected.add(published);
                expected.add("inline after " + size);
            }
            assertThat(pub.line()).isEqualTo("errors []");
            assertThat(pub.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            final List<String> pythonGot = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++)
            {
                pythonGot.add(sub.line());
            }
            // Sequences 1, 2, ...: one numbering for PUBLISH_FDS and PUBLISH, in the order published.
            final List<String> numbered = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++)
            {
                numbered.add((i + 1) + " " + expected.get(i));
            }
            assertThat(pythonGot).containsExactlyElementsOf(numbered);
            await().atMost(WAIT).until(() -> javaGot.size() == expected.size());
            assertThat(javaGot).containsExactlyElementsOf(expected);
            assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED)).isEqualTo(SIZES.size());
            sub.process.destroyForcibly().waitFor();
            // The broker closed its copies once both subscribers had theirs; the Java one closed its own.
            await().atMost(WAIT).until(() -> memfds("seqbus-payload") == 0);
        }
    }

    @Test
    void aPythonSubscriberMapsWhatAJavaLoanPublished() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final byte[] bytes = new byte[5 << 20];
        new Random(14).nextBytes(bytes);
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket)))
        {
            final Python sub = python(SUBSCRIBER, socket, "py.>");
            assertThat(sub.line()).isEqualTo("subscribed");
            try (Loan loan = pub.loan(bytes.length))
            {
                loan.buffer().duplicate().clear().put(bytes);
                pub.publish("py.loan", loan);
            }
            pub.sync(WAIT);
            assertThat(sub.line()).isEqualTo("1 memfd " + bytes.length + " " + crc(ByteBuffer.wrap(bytes)));
        }
    }

    @Test
    void theBrokerRefusesAnUnsealedMemfdFromPythonAndTheClientDoesNotCountIt() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            final Python p = python("""
                import fcntl, os, socket, sys
                sys.path.insert(0, sys.argv[1])
                import seqbus
                client = seqbus.Client(sys.argv[2], name="py-unsealed")
                client.wait_welcome()
                fd = os.memfd_create("seqbus-payload", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
                os.write(fd, b"changeable")
                fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)  # no F_SEAL_WRITE
                socket.send_fds(client.sock, [seqbus.encode_publish_fds("py.x", 1, seqbus.MEMFD_PAYLOAD, 10)], [fd])
                client.sent += 1
                os.close(fd)
                client.ping()
                error = [f for f in client.pending if isinstance(f, seqbus.Error)][0]
                print(seqbus.error_name(error.code), error.fatal, client.next_sequence(), flush=True)
                print(error.reason, flush=True)
                """, socket, "");
            assertThat(p.line()).isEqualTo("BAD_DESCRIPTOR False 1");
            assertThat(p.line()).containsIgnoringCase("seal");
            await().atMost(WAIT).until(() -> memfds("seqbus-payload") == 0);
        }
    }

    @Test
    void theScriptedBrokerSelfCheckPasses() throws Exception
    {
        final Process check = new ProcessBuilder(pythonCommand(List.of(EXAMPLES.resolve("test_descriptors.py")
            .toString()))).redirectErrorStream(true).start();
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("\\d+ passed, 0 failed");
    }

    /** A Python process running a script given inline, and its stdout line by line. */
    private record Python(Process process, BufferedReader out, Path err)
    {
        String line() throws IOException
        {
            final String line = out.readLine();
            assertThat(line).as("python said nothing more; its stderr: %s", Files.readString(err)).isNotNull();
            return line;
        }
    }

    private Python python(final String script, final String socket, final String argument) throws IOException
    {
        final Path err = Files.createTempFile(dir, "python", ".err");
        final Process p = new ProcessBuilder(pythonCommand(List.of("-c", script, EXAMPLES.toString(), socket,
            argument))).redirectError(err.toFile()).start();
        started.add(p);
        return new Python(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)), err);
    }

    private static List<String> pythonCommand(final List<String> args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
        command.addAll(args);
        return command;
    }

    private static String crc(final ByteBuffer payload)
    {
        final CRC32 crc = new CRC32();
        crc.update(payload.duplicate());
        return String.format("%08x", crc.getValue());
    }

    /** memfds of this process (the broker's and the Java client's) whose name is {@code name}. */
    private static long memfds(final String name) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter((fd) -> linkOf(fd).startsWith("/memfd:" + name)).count();
        }
    }

    private static String linkOf(final Path fd)
    {
        try
        {
            return Files.readSymbolicLink(fd).toString();
        }
        catch (final IOException ex)
        {
            return ""; // closed while listed
        }
    }
}

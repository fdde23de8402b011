package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.wire.BusSocket;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker under systemd's protocols, with real processes: the units pass
 * {@code systemd-analyze verify}; {@code systemd-socket-activate} starts the broker on the first
 * connection and a stand-in {@code NOTIFY_SOCKET} sees READY, WATCHDOG and STOPPING in order;
 * a listening socket held across broker restarts (as a socket unit holds it) refuses nobody.
 */
class SystemdIT extends ProcessTestBase
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /**
     * The shipped units, with ExecStart and ExecReload pointed at this checkout's launcher: verify insists that
     * the binary exists, and /usr/bin/seqbus does not on a build machine. Nothing else changes.
     */
    @Test
    void unitsPassSystemdAnalyzeVerifyWithoutAWord() throws Exception
    {
        final Path units = Files.createDirectories(dir.resolve("units"));
        for (final String unit : new String[]{"seqbus.service", "seqbus.socket", "seqbus-metrics.socket"})
        {
            final String text = Files.readString(ROOT.resolve("systemd").resolve(unit));
            Files.writeString(units.resolve(unit), text.replace("=/usr/bin/seqbus ", "=" + LAUNCHER + " "));
        }
        assertThat(Files.readString(units.resolve("seqbus.service"))).contains("ExecStart=" + LAUNCHER + " broker")
            .contains("ExecReload=" + LAUNCHER + " reload");
        final Process verify = new ProcessBuilder("systemd-analyze", "verify", "seqbus.service", "seqbus.socket",
            "seqbus-metrics.socket")
            .directory(units.toFile()).start();
        started.add(verify);
        final String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(verify.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(verify.exitValue()).as(err).isZero();
        assertThat(err).as("warnings (unknown keys, bad values) go to stderr").isEmpty();
        assertThat(out).isEmpty();
    }

    @Test
    void socketActivationStartsTheBrokerAndNotifiesReadyWatchdogStoppingInOrder() throws Exception
    {
        final Path socket = dir.resolve("bus.sock");
        final NotifySocket notify = new NotifySocket(dir.resolve("notify"));
        closeables.add(notify);
        final List<String> command = new ArrayList<>(List.of(
            "systemd-socket-activate", "--seqpacket", "--fdname=seqbus", "-l", socket.toString(),
            "-E", "NOTIFY_SOCKET=" + dir.resolve("notify"), "-E", "WATCHDOG_USEC=200000", "-E", "PATH"));
        if (System.getenv("JAVA_HOME") != null)
        {
            command.addAll(List.of("-E", "JAVA_HOME"));
        }
        command.addAll(List.of(LAUNCHER.toString(), "broker"));
        final Path log = dir.resolve("broker.log");
        final Process broker = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(broker);
        await().atMost(WAIT).until(() -> Files.exists(socket));
        assertThat(notify.messages()).as("nothing runs before the first connection").isEmpty();

        final List<String> received = new CopyOnWriteArrayList<>();
        // The broker may start on this connection: a JVM on a busy host takes longer than the default 5 s.
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket.toString()).reconnect(false)
                .connectTimeout(WAIT));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket.toString()).reconnect(false)))
        {
            sub.subscribe("svc.>", (m) -> received.add(m.topic() + " " + m.payloadAsString()));
            sub.sync(WAIT);
            pub.publish("svc.one", "1");
            pub.publish("svc.two", "2");
            pub.sync(WAIT);
            await().atMost(WAIT).until(() -> received.size() == 2);
        }
        assertThat(received).containsExactly("svc.one 1", "svc.two 2");
        // The launch logs after the agent already serves: wait for the line rather than race it.
        await().atMost(WAIT).until(() -> Files.readString(log).contains("(socket-activated)"));

        await().atMost(WAIT).until(() -> notify.count("WATCHDOG=1") >= 3);
        broker.destroy();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.exitValue()).as(Files.readString(log)).isZero();
        await().atMost(WAIT).until(() -> notify.count("STOPPING=1") == 1);

        final List<String> lifecycle = notify.lifecycle();
        assertThat(lifecycle.get(0)).isEqualTo("READY=1");
        assertThat(lifecycle.get(lifecycle.size() - 1)).isEqualTo("STOPPING=1");
        assertThat(lifecycle.subList(1, lifecycle.size() - 1)).hasSizeGreaterThanOrEqualTo(3).containsOnly("WATCHDOG=1");
        assertThat(notify.count("READY=1")).isEqualTo(1);
        assertThat(notify.messages().get(0)).as("READY carries a status line").contains("STATUS=").contains("clients");
        assertThat(Files.exists(socket)).as("the broker leaves a socket it did not create").isTrue();
        assertThat(Files.readString(log)).contains("INFO  stopping: accepting no more connections").contains("INFO  broker stopped");
    }

    @Test
    void clientsThatConnectWhileNoBrokerRunsAreServedByTheNextOne() throws Exception
    {
        final Path socket = dir.resolve("held.sock");
        final Path log = dir.resolve("holder.log");
        final Process holder = new ProcessBuilder("/usr/bin/python3",
            Path.of("src", "test", "resources", "hold-socket.py").toAbsolutePath().toString(),
            socket.toString(), LAUNCHER.toString(), "broker")
            .redirectError(log.toFile()).start();
        started.add(holder);
        final BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        final PrintWriter in = new PrintWriter(holder.getOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(out.readLine()).isEqualTo("listening");

        in.println("start");
        assertThat(out.readLine()).startsWith("started ");
        assertRoundTrip(socket, "first");

        in.println("stop");
        assertThat(out.readLine()).as(Files.readString(log)).isEqualTo("exited 0");

        // No broker runs now. Every connect succeeds all the same: the kernel queues it in the
        // backlog of the socket the holder keeps open, HELLO and all.
        final int clients = 20;
        final List<AFUNIXDatagramChannel> waiting = new ArrayList<>();
        final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        for (int i = 0; i < clients; i++)
        {
            final AFUNIXDatagramChannel c = BusSocket.open();
            closeables.add(c);
            c.connect(BusSocket.address(socket.toString()));
            write(c, frame, HelloFrame.encode(frame, 0, 1, 1, "queued-" + i));
            write(c, frame, PingFrame.encode(frame, 0, FrameType.PING, 1000 + i));
            c.configureBlocking(false);
            waiting.add(c);
        }

        in.println("start");
        assertThat(out.readLine()).startsWith("started ");
        final ByteBuffer buffer = ByteBuffer.allocateDirect(Protocol.DEFAULT_MAX_DATAGRAM + 1);
        for (int i = 0; i < clients; i++)
        {
            final AFUNIXDatagramChannel c = waiting.get(i);
            assertThat(frameTypes(c, buffer, 2)).as("client " + i).containsExactly(FrameType.WELCOME, FrameType.PONG);
        }
        assertRoundTrip(socket, "second");

        in.println("stop");
        assertThat(out.readLine()).as(Files.readString(log)).isEqualTo("exited 0");
        assertThat(Files.exists(socket)).as("the socket file stays with its owner").isTrue();
        in.close();
        assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log)).contains("(socket-activated)").doesNotContain("ERROR").doesNotContain("WARN");
    }

    private static void assertRoundTrip(final Path socket, final String payload) throws Exception
    {
        final List<String> received = new CopyOnWriteArrayList<>();
        // The broker may start on this connection: a JVM on a busy host takes longer than the default 5 s.
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket.toString()).reconnect(false)
                .connectTimeout(WAIT));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket.toString()).reconnect(false)))
        {
            sub.subscribe("restart.>", (m) -> received.add(m.payloadAsString()));
            sub.sync(WAIT);
            pub.publish("restart.check", payload);
            pub.sync(WAIT);
            await().atMost(WAIT).until(() -> received.size() == 1);
        }
        assertThat(received).containsExactly(payload);
    }

    private static void write(final AFUNIXDatagramChannel c, final UnsafeBuffer frame, final int length) throws IOException
    {
        final ByteBuffer bb = ByteBuffer.allocate(length);
        frame.getBytes(0, bb, length);
        bb.flip();
        assertThat(c.write(bb)).isEqualTo(length);
    }

    /** Frame types of the next datagrams; each of these carries one frame. */
    private static List<Integer> frameTypes(final AFUNIXDatagramChannel c, final ByteBuffer buffer, final int count)
    {
        final List<Integer> types = new ArrayList<>();
        await().atMost(WAIT).until(() ->
        {
            buffer.clear();
            final int n = c.read(buffer);
            if (n > 0)
            {
                final UnsafeBuffer view = new UnsafeBuffer(buffer, 0, n);
                int offset = 0;
                while (offset < n)
                {
                    types.add(Protocol.frameType(view, offset));
                    offset += Protocol.frameLength(view, offset);
                }
            }
            return types.size() >= count;
        });
        return types;
    }
}

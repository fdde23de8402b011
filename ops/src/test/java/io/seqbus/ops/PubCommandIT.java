package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code seqbus pub} is binary-safe, outlasts the broker's stall timeout, and exits non-zero with the reason on
 * every refusal. The real broker and the real command, as child processes.
 */
class PubCommandIT extends CliTestBase
{
    @Test
    void aRefusedPublishExitsThreeWithTheReason() throws Exception
    {
        final String socket = dir.resolve("acl.sock").toString();
        broker(socket, """
            [acl]
            default = "deny"

            [[acl.rule]]
            uid = "root"
            publish = ["orders.>"]
            """);

        final Path lines = dir.resolve("lines");
        Files.writeString(lines, "one\ntwo\nthree\n");
        final Cli fromStdin = seqbusReading(lines, "pub", "--socket", socket, "audit.login");
        assertThat(fromStdin.exit()).as(fromStdin.stderr()).isEqualTo(3);
        assertThat(fromStdin.stderr()).contains("ACCESS_DENIED", "audit.login", "may not publish there");

        final Cli one = seqbus("pub", "--socket", socket, "audit.login", "refused");
        assertThat(one.exit()).as(one.stderr()).isEqualTo(3);
        assertThat(one.stderr()).contains("ACCESS_DENIED");
    }

    @Test
    void bytesArriveAsTheyWereGivenFromLinesNulsFilesAndRawInput() throws Exception
    {
        final String socket = dir.resolve("bin.sock").toString();
        broker(socket, "");
        final BusClient subscriber = client(socket, new ClientOptions());
        final CopyOnWriteArrayList<byte[]> received = new CopyOnWriteArrayList<>();
        subscriber.subscribe("bin.>", (m) -> received.add(m.payloadAsBytes()));
        subscriber.sync(WAIT);

        final byte[] odd = {'a', (byte)0xff, (byte)0xfe, 'b', '\r'};
        final Path lines = dir.resolve("lines");
        Files.write(lines, concat(odd, new byte[]{'\n'}, "second".getBytes(StandardCharsets.UTF_8)));
        assertThat(seqbusReading(lines, "pub", "--socket", socket, "bin.lines").exit()).isZero();
        await().atMost(WAIT).until(() -> received.size() == 2);
        assertThat(received.get(0)).isEqualTo(odd);
        assertThat(received.get(1)).isEqualTo("second".getBytes(StandardCharsets.UTF_8));

        final byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++)
        {
            binary[i] = (byte)i;
        }
        final Path file = dir.resolve("blob");
        Files.write(file, binary);
        assertThat(seqbus("pub", "--socket", socket, "--file", file.toString(), "bin.file").exit()).isZero();
        assertThat(seqbusReading(file, "pub", "--socket", socket, "--raw", "bin.raw").exit()).isZero();
        final Path nuls = dir.resolve("nuls");
        Files.write(nuls, concat(new byte[]{'x', '\n', (byte)0xff, 0}, new byte[]{'y', 0}));
        assertThat(seqbusReading(nuls, "pub", "--socket", socket, "-0", "bin.nul").exit()).isZero();
        await().atMost(WAIT).until(() -> received.size() == 6);
        assertThat(received.get(2)).isEqualTo(binary);
        assertThat(received.get(3)).isEqualTo(binary);
        assertThat(received.get(4)).isEqualTo(new byte[]{'x', '\n', (byte)0xff});
        assertThat(received.get(5)).isEqualTo(new byte[]{'y'});
    }

    @Test
    void aStalledSubscriberDelaysPublishersNoLongerThanTheBrokersStallTimeout() throws Exception
    {
        // A stall timeout past the client jar's 5 s publish timeout, which the command used to give up at.
        final String socket = dir.resolve("stall.sock").toString();
        broker(socket, "stall_timeout_ms = 7000\n");
        stalledSubscriber(socket);

        final Path lines = dir.resolve("lines");
        Files.writeString(lines, ("x".repeat(1024) + "\n").repeat(4096));
        final Cli pub = seqbusReading(lines, "pub", "--socket", socket, "stall.x");

        assertThat(pub.exit()).as(pub.stderr()).isZero();
    }

    @Test
    void heldBackLongerThanTheTimeoutExitsSix() throws Exception
    {
        final String socket = dir.resolve("timeout.sock").toString();
        broker(socket, "stall_timeout_ms = 60000\n");
        stalledSubscriber(socket);

        final Cli pub = seqbus("pub", "--socket", socket, "--timeout", "1", "--count", "4096", "stall.x",
            "x".repeat(1024));

        assertThat(pub.exit()).as(pub.stderr()).isEqualTo(6);
        assertThat(pub.stderr()).contains("timed out after 1000 ms", "not reading");
    }

    @Test
    void anOversizedMessageExitsTwoNamingTheLimit() throws Exception
    {
        final String socket = dir.resolve("big.sock").toString();
        broker(socket, "max_payload = 1024\n");

        final Cli pub = seqbus("pub", "--socket", socket, "big.x", "x".repeat(2000));

        assertThat(pub.exit()).as(pub.stderr()).isEqualTo(2);
        assertThat(pub.stderr()).contains("message 1 is 2000 bytes", "at most 1024");
    }

    @Test
    void countRepeatsTheMessageNumberingIt() throws Exception
    {
        final String socket = dir.resolve("count.sock").toString();
        broker(socket, "");
        final BusClient subscriber = client(socket, new ClientOptions());
        final CopyOnWriteArrayList<String> received = new CopyOnWriteArrayList<>();
        subscriber.subscribe("count.>", (m) -> received.add(m.payloadAsString()));
        subscriber.sync(WAIT);

        assertThat(seqbus("pub", "--socket", socket, "--count", "3", "--rate", "100", "count.x", "n={{Count}}")
            .exit()).isZero();

        await().atMost(WAIT).until(() -> received.size() == 3);
        assertThat(received).containsExactly("n=1", "n=2", "n=3");
    }

    @Test
    void aBrokerStoppingMidStreamExitsFiveAndOneGoneExitsOne() throws Exception
    {
        final String socket = dir.resolve("gone.sock").toString();
        for (final String signal : new String[]{"TERM", "KILL"})
        {
            final Cli broker = broker(socket, "");
            final BusClient subscriber = client(socket, new ClientOptions().reconnect(false));
            final CopyOnWriteArrayList<String> received = new CopyOnWriteArrayList<>();
            subscriber.subscribe("gone.>", (m) -> received.add(m.payloadAsString()));
            subscriber.sync(WAIT);
            final Process pub = new ProcessBuilder(LAUNCHER.toString(), "pub", "--socket", socket, "gone.x")
                .redirectError(dir.resolve("pub-" + signal + ".err").toFile()).start();
            started.add(pub);
            pub.getOutputStream().write("first\n".getBytes(StandardCharsets.UTF_8));
            pub.getOutputStream().flush();
            await().atMost(WAIT).until(() -> received.contains("first"));

            broker.signal(signal);
            broker.process().waitFor();
            pub.getOutputStream().write("second\nthird\n".getBytes(StandardCharsets.UTF_8));
            pub.getOutputStream().close();

            assertThat(pub.waitFor(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            final String err = Files.readString(dir.resolve("pub-" + signal + ".err"));
            if (signal.equals("TERM"))
            {
                assertThat(pub.exitValue()).as(err).isEqualTo(5);
                assertThat(err).contains("SHUTTING_DOWN");
            }
            else
            {
                assertThat(pub.exitValue()).as(err).isEqualTo(1);
                assertThat(err).startsWith("seqbus: ").contains(socket);
            }
        }
    }

    /** A subscriber that never reads, with the block policy and a small queue: publishers are held back. */
    private void stalledSubscriber(final String socket)
    {
        final BusClient stalled = client(socket, new ClientOptions().threadMode(ThreadMode.POLL));
        stalled.subscribe("stall.>", (m) -> { }, new SubscriptionOptions().policy(SlowConsumerPolicy.BLOCK)
            .maxQueueBytes(65536));
        stalled.sync(WAIT);
    }

    private static byte[] concat(final byte[] a, final byte[] b, final byte[]... more)
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        for (final byte[] m : more)
        {
            out.writeBytes(m);
        }
        return out.toByteArray();
    }
}

package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code seqbus sub} never sits silent: after a broker shutdown or an eviction it reconnects and says on stderr
 * what may have been missed, or, with {@code --no-reconnect}, exits with the status that names the reason; a
 * refused subscription exits at once. The real broker and the real command, as child processes.
 */
class SubCommandIT extends CliTestBase
{
    private static final String ACL = """
        [acl]
        default = "deny"

        [[acl.rule]]
        uid = "root"
        publish = ["orders.>"]
        subscribe = ["orders.>"]
        """;

    @Test
    void aRefusedSubscriptionExitsThreeWithTheReasonAndNeverSaysSubscribed() throws Exception
    {
        final String socket = dir.resolve("acl.sock").toString();
        broker(socket, ACL);

        final Cli sub = seqbus("sub", "--socket", socket, "audit.>");

        assertThat(sub.exit()).as(sub.stderr()).isEqualTo(3);
        assertThat(sub.stderr()).contains("ACCESS_DENIED", "may not subscribe to 'audit.>'")
            .doesNotContain("subscribed to");
    }

    @Test
    void afterABrokerRestartItReconnectsSaysSoAndPrintsNewMessages() throws Exception
    {
        final String socket = dir.resolve("restart.sock").toString();
        final Cli first = broker(socket, "");
        final Cli sub = subscribed(socket, "news.>");

        first.signal("TERM");
        assertThat(first.exit()).isZero();
        await().atMost(WAIT).until(() -> sub.stderr().contains("SHUTTING_DOWN"));
        assertThat(sub.stderr()).contains("reconnecting");

        broker(socket, "");
        await().atMost(WAIT).until(() -> sub.stderr().contains("seqbus: reconnected to the broker"));
        final BusClient publisher = client(socket, new ClientOptions());
        await().atMost(WAIT).until(() ->
        {
            publisher.publish("news.after", "after the restart");
            publisher.sync(WAIT);
            return new String(sub.stdout(), StandardCharsets.UTF_8).contains("after the restart\n");
        });
        // The RECONNECTED gap is printed from the client's thread, not with the "reconnected" line: wait for it.
        await().atMost(WAIT).until(() -> sub.stderr().contains("gap RECONNECTED on 'news.>'"));
        assertThat(sub.process().isAlive()).isTrue();
    }

    @Test
    void withNoReconnectABrokerShutdownExitsFive() throws Exception
    {
        final String socket = dir.resolve("shutdown.sock").toString();
        final Cli broker = broker(socket, "");
        final Cli sub = subscribed(socket, "--no-reconnect", "news.>");

        broker.signal("TERM");

        assertThat(sub.exit()).as(sub.stderr()).isEqualTo(5);
        assertThat(sub.stderr()).contains("SHUTTING_DOWN").doesNotContain("reconnecting");
    }

    @Test
    void anEvictedSubscriberReconnectsAndSaysWhatWasMissed() throws Exception
    {
        final String socket = dir.resolve("evict.sock").toString();
        // The broker's defaults (block policy, a 128 KiB queue), so that the command needs no option.
        broker(socket, "stall_timeout_ms = 500\nmax_queue_bytes = 131072\ndefault_policy = \"block\"\n");
        final Cli sub = subscribed(socket, "load.>");

        stallUntilEvicted(socket, sub);

        await().atMost(WAIT).until(() -> sub.stderr().contains("seqbus: reconnected to the broker"));
        assertThat(sub.stderr()).contains("SLOW_CONSUMER", "reconnecting", "gap RECONNECTED on 'load.>'");
        final BusClient publisher = client(socket, new ClientOptions());
        await().atMost(WAIT).until(() ->
        {
            publisher.publish("load.after", "after the eviction");
            publisher.sync(WAIT);
            return new String(sub.stdout(), StandardCharsets.UTF_8).contains("after the eviction\n");
        });
    }

    @Test
    void withNoReconnectAnEvictedSubscriberExitsFour() throws Exception
    {
        final String socket = dir.resolve("evict1.sock").toString();
        broker(socket, "stall_timeout_ms = 500\n");
        final Cli sub = subscribed(socket, "--no-reconnect", "--policy", "block", "--max-queue-bytes", "65536",
            "load.>");

        stallUntilEvicted(socket, sub);

        assertThat(sub.exit()).as(sub.stderr()).isEqualTo(4);
        assertThat(sub.stderr()).contains("SLOW_CONSUMER").doesNotContain("reconnecting");
    }

    /**
     * Stops the subscriber (SIGSTOP) and publishes far more than its queue holds: with the block policy the
     * publishes are held back while its queue is full and go on once the stall timeout evicted it; with a drop
     * policy they go on at once. Then lets it go on (SIGCONT).
     */
    private void stallUntilEvicted(final String socket, final Cli sub) throws Exception
    {
        sub.signal("STOP");
        final BusClient publisher = client(socket, new ClientOptions().publishTimeout(WAIT));
        final byte[] kib = new byte[1024];
        // Far more than the 64 KiB queue and the kernel's socket buffers hold.
        for (int i = 0; i < 8192; i++)
        {
            publisher.publish("load.before", kib);
        }
        publisher.sync(WAIT);
        sub.signal("CONT");
    }

    @Test
    void everyFormatPrintsWhatItSays() throws Exception
    {
        final String socket = dir.resolve("formats.sock").toString();
        broker(socket, "");
        final Cli verbose = subscribed(socket, "-v", "--count", "1", "fmt.>");
        final Cli template = subscribed(socket, "--format", "%t|%x|%l|%s|%u|%%|\\t%p\\n", "--count", "1", "fmt.>");
        final Cli json = subscribed(socket, "--json", "--count", "1", "fmt.>");
        final Cli raw = subscribed(socket, "--raw", "--count", "1", "fmt.>");
        final Cli text = subscribed(socket, "--json", "--count", "1", "text.>");

        final byte[] payload = {'o', 'k', (byte)0xff, 0, '\n'};
        final BusClient publisher = client(socket, new ClientOptions());
        publisher.publish("fmt.bin", payload);
        publisher.publish("text.t", "h\u00e9 \"quoted\"");
        publisher.sync(WAIT);

        for (final Cli sub : new Cli[]{verbose, template, json, raw, text})
        {
            assertThat(sub.exit()).as(sub.stderr()).isZero();
        }
        assertThat(verbose.stdout()).isEqualTo(concat("fmt.bin ".getBytes(StandardCharsets.UTF_8), payload, "\n"));
        assertThat(template.stdout()).isEqualTo(concat(("fmt.bin|6f6bff000a|5|1|" + uid() + "|%|\t")
            .getBytes(StandardCharsets.UTF_8), payload, "\n"));
        assertThat(raw.stdout()).isEqualTo(payload);
        assertThat(new String(json.stdout(), StandardCharsets.UTF_8))
            .startsWith("{\"topic\":\"fmt.bin\",\"node\":")
            .contains("\"sequence\":1,\"uid\":" + uid() + ",\"pid\":", "\"time\":\"20")
            .endsWith("\"encoding\":\"base64\",\"payload\":\"b2v/AAo=\"}\n");
        assertThat(new String(text.stdout(), StandardCharsets.UTF_8))
            .endsWith("\"encoding\":\"utf-8\",\"payload\":\"h\u00e9 \\\"quoted\\\"\"}\n");
    }

    @Test
    void droppedMessagesAreGapsOnStderrWithTheirCount() throws Exception
    {
        final String socket = dir.resolve("drop.sock").toString();
        broker(socket, "");
        final Cli sub = subscribed(socket, "--policy", "drop-oldest", "--max-queue-bytes", "131072", "load.>");

        stallUntilEvicted(socket, sub);

        await().atMost(WAIT).until(() -> sub.stderr().contains("gap DROPPED_OLDEST on 'load.>': "));
        assertThat(sub.stderr()).containsPattern("gap DROPPED_OLDEST on 'load.>': \\d+ messages lost from " +
            "publisher \\d+ of node \\d+, sequence \\d+ to \\d+").doesNotContain("reconnect");
    }

    @Test
    void aBadTemplateOrTwoFormatsAreUsageErrors() throws Exception
    {
        final Cli unknown = seqbus("sub", "--socket", dir.resolve("none.sock").toString(), "--format", "%q", "x");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.stderr()).startsWith("seqbus: --format has an unknown escape %q; known: %t topic");

        final Cli two = seqbus("sub", "--socket", dir.resolve("none.sock").toString(), "-v", "--json", "x");
        assertThat(two.exit()).isEqualTo(2);
        assertThat(two.stderr()).startsWith("choose one of -v, --format, --json and --raw");
    }

    private static String uid() throws Exception
    {
        return Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString();
    }

    private static byte[] concat(final byte[] a, final byte[] b, final String c)
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        out.writeBytes(c.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}

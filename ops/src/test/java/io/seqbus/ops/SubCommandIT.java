package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
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
        assertThat(sub.stderr()).contains("gap RECONNECTED on 'news.>'");
        final BusClient publisher = client(socket, new ClientOptions());
        await().atMost(WAIT).until(() ->
        {
            publisher.publish("news.after", "after the restart");
            publisher.sync(WAIT);
            return new String(sub.stdout(), StandardCharsets.UTF_8).contains("after the restart\n");
        });
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
     * Stops the subscriber (SIGSTOP) and publishes until the broker evicted it: publishes are held back while
     * its queue is full, and go on once the stall timeout evicted it; then lets it go on (SIGCONT).
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
}

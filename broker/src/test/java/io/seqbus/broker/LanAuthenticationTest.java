package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.Peer;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Message;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two real brokers in this process, bridged over Aeron unicast on loopback, with and without a shared key
 * ({@code lan.key_file}): the same key lets messages through both ways; different keys, or a key on one side
 * only, let nothing through and both sides count every datagram they dropped; a key file others can read
 * stops the broker at start.
 */
class LanAuthenticationTest
{
    private static final String KEY_1 = "8f3a5c0e1b2d4f6a7c9e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f0a";
    private static final String KEY_2 = "8f3a5c0e1b2d4f6a7c9e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f0b";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int MESSAGES = 200;

    @TempDir
    Path dir;

    @Test
    void sameKeyMessagesFlowBothWays() throws Exception
    {
        final String key = keyFile("k", KEY_1, "rw-------");
        try (Pair pair = new Pair(key, key))
        {
            await().atMost(WAIT).until(() -> seesUp(pair.a, "b") && seesUp(pair.b, "a"));

            assertThat(pass(pair.a, pair.b, "ab")).containsExactlyElementsOf(expected("ab"));
            assertThat(pass(pair.b, pair.a, "ba")).containsExactlyElementsOf(expected("ba"));

            for (final Broker broker : List.of(pair.a, pair.b))
            {
                assertThat(broker.bridgeCounters().get(BridgeCounters.UNAUTHENTICATED_DATAGRAMS)).isZero();
                assertThat(broker.bridgeCounters().get(BridgeCounters.INVALID_DATAGRAMS)).isZero();
                assertThat(broker.bridgeCounters().get(BridgeCounters.MESSAGES_IN)).isEqualTo(MESSAGES);
            }
        }
    }

    @Test
    void differentKeysNothingIsDeliveredAndBothSidesCount() throws Exception
    {
        try (Pair pair = new Pair(keyFile("k1", KEY_1, "rw-------"), keyFile("k2", KEY_2, "r--------")))
        {
            refusedBothWays(pair);
        }
    }

    @Test
    void keyOnOneSideOnlyNothingIsDeliveredAndBothSidesCount() throws Exception
    {
        try (Pair pair = new Pair(keyFile("k", KEY_1, "rw-------"), ""))
        {
            refusedBothWays(pair);
        }
    }

    @Test
    void keyFileReadableByOthersStopsTheBrokerAtStart() throws Exception
    {
        final String key = keyFile("open", KEY_1, "rw-r--r--");
        final BrokerContext context = context("open", key, 40000, 40001);

        assertThatThrownBy(() -> Broker.launch(context))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("lan.key_file = " + key + ": the file is open to group or others " +
                "(mode 0644); allowed: access for its owner only, e.g. chmod 600 " + key);
        assertThat(Files.exists(Path.of(context.socket()))).isFalse();
    }

    /**
     * Each side publishes on a shared topic while the other subscribes: nothing arrives, no peer is ever seen,
     * and every datagram the other side sent (messages and announcements) was counted as unauthenticated,
     * which proves it arrived and was dropped rather than still on its way.
     */
    private void refusedBothWays(final Pair pair) throws Exception
    {
        // Announcements flow from the start: once both sides count some, the link is up both ways.
        await().atMost(WAIT).until(() -> unauthenticated(pair.a) > 0 && unauthenticated(pair.b) > 0);
        for (final Broker[] way : new Broker[][]{{pair.a, pair.b}, {pair.b, pair.a}})
        {
            final Broker from = way[0];
            final Broker to = way[1];
            final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
            try (BusClient sub = BusClient.connect(options(to, "sub"));
                BusClient pub = BusClient.connect(options(from, "pub")))
            {
                sub.subscribe("shared.>", (Message m) -> received.add(m.payloadAsString()));
                sub.sync(WAIT);
                final long sentBefore = sent(from);
                final long refusedBefore = unauthenticated(to);
                for (int i = 0; i < MESSAGES; i++)
                {
                    pub.publish("shared.t", "m" + i);
                }
                pub.sync(WAIT);
                await().atMost(WAIT).until(() -> from.bridgeCounters().get(BridgeCounters.BACKLOG_BYTES) == 0 &&
                    from.bridgeCounters().get(BridgeCounters.MESSAGES_OUT) >= MESSAGES);
                final long sentNow = sent(from);
                assertThat(sentNow - sentBefore).isPositive();
                // Aeron brings one sender's datagrams in order: once this many are counted, all of those were.
                await().atMost(WAIT).until(() -> unauthenticated(to) - refusedBefore >= sentNow - sentBefore);
            }
            assertThat(received).isEmpty();
            assertThat(to.bridgeCounters().get(BridgeCounters.MESSAGES_IN)).isZero();
            assertThat(to.bridgeCounters().get(BridgeCounters.INVALID_DATAGRAMS)).isZero();
            assertThat(to.lanPeers()).isEmpty();
        }
        // Announcements keep coming: the metric lies between the counter read before and after the scrape.
        final long before = unauthenticated(pair.b);
        final double scraped = scrape(pair.b, "seqbus_lan_datagrams_unauthenticated_total");
        assertThat(scraped).isPositive().isBetween((double)before, (double)unauthenticated(pair.b));
    }

    private static long sent(final Broker broker)
    {
        return broker.bridgeCounters().get(BridgeCounters.DATAGRAMS_OUT) +
            broker.bridgeCounters().get(BridgeCounters.ANNOUNCES_OUT);
    }

    private static long unauthenticated(final Broker broker)
    {
        return broker.bridgeCounters().get(BridgeCounters.UNAUTHENTICATED_DATAGRAMS);
    }

    private static boolean seesUp(final Broker broker, final String name)
    {
        for (final Peer peer : broker.lanPeers())
        {
            if (peer.name().equals(name) && peer.state().equals("up"))
            {
                return true;
            }
        }
        return false;
    }

    /** Publishes MESSAGES on a shared and as many on a local topic at one broker; what the other's sub gets. */
    private static List<String> pass(final Broker from, final Broker to, final String tag) throws Exception
    {
        final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        try (BusClient sub = BusClient.connect(options(to, "sub " + tag));
            BusClient pub = BusClient.connect(options(from, "pub " + tag)))
        {
            sub.subscribe(">", (Message m) -> received.add(m.topic() + " " + m.payloadAsString()));
            sub.sync(WAIT);
            for (int i = 0; i < MESSAGES; i++)
            {
                pub.publish("shared." + tag, tag + i);
                pub.publish("local." + tag, tag + i);
            }
            pub.sync(WAIT);
            await().atMost(WAIT).until(() -> received.size() >= MESSAGES);
            // The local messages were published in between: had any crossed, it would be here by now.
            sub.sync(WAIT);
        }
        return new ArrayList<>(received);
    }

    private static List<String> expected(final String tag)
    {
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++)
        {
            expected.add("shared." + tag + " " + tag + i);
        }
        return expected;
    }

    private static ClientOptions options(final Broker broker, final String name)
    {
        return new ClientOptions().socket(broker.context().socket()).clientName(name)
            .threadMode(ThreadMode.DEDICATED);
    }

    private String keyFile(final String name, final String hex, final String permissions) throws Exception
    {
        final Path file = dir.resolve(name + ".key");
        Files.writeString(file, hex + "\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file.toString();
    }

    private BrokerContext context(final String name, final String keyFile, final int ownPort, final int otherPort)
    {
        return new BrokerContext()
            .socket(dir.resolve(name + ".sock").toString())
            .nodeName(name)
            .lanChannel("aeron:udp?endpoint=127.0.0.1:" + ownPort)
            .lanPeers("127.0.0.1:" + ownPort + ",127.0.0.1:" + otherPort)
            .lanTopics("shared.>")
            .lanAnnounceIntervalMs(100)
            .lanKeyFile(keyFile)
            .aeronDir(dir.resolve("aeron-" + name).toString())
            .metrics("127.0.0.1:0");
    }

    private static int freeUdpPort() throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    private static double scrape(final Broker broker, final String name) throws Exception
    {
        final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + broker.metricsAddress().getPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        for (final String line : response.body().split("\n"))
        {
            if (line.startsWith(name + " "))
            {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not in /metrics");
    }

    /** Brokers a and b, each bridged to the other, with the given key files ("" for none). */
    private final class Pair implements AutoCloseable
    {
        final Broker a;
        final Broker b;

        Pair(final String keyA, final String keyB) throws Exception
        {
            final int portA = freeUdpPort();
            final int portB = freeUdpPort();
            a = Broker.launch(context("a", keyA, portA, portB));
            try
            {
                b = Broker.launch(context("b", keyB, portB, portA));
            }
            catch (final Exception | Error ex)
            {
                a.close();
                throw ex;
            }
        }

        @Override
        public void close()
        {
            b.close();
            a.close();
        }
    }
}

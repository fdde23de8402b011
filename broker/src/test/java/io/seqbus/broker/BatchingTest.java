package io.seqbus.broker;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Batching packs many messages into one datagram on both hops, and must neither reorder them
 * nor blur their boundaries: every payload arrives whole, once, in order, whatever its size.
 */
class BatchingTest
{
    private static final int MESSAGES = 20_000;

    @TempDir
    Path dir;

    @Test
    void manyMessagesPerDatagramYetEachArrivesWholeAndInOrder() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final ConcurrentLinkedQueue<byte[]> got = new ConcurrentLinkedQueue<>();
        try (Broker broker = Broker.launch(new Broker.Context().socket(socket));
            BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
        {
            sub.subscribe("batch.>", (m) -> got.add(m.payloadAsBytes()));
            sub.sync(Duration.ofSeconds(5));
            for (int i = 0; i < MESSAGES; i++)
            {
                // Sizes from 0 to 300 bytes, so frames of every length meet at datagram edges.
                pub.publish("batch." + (i % 3), payload(i));
            }
            pub.sync(Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(30)).until(() -> got.size() >= MESSAGES);
            sub.sync(Duration.ofSeconds(5));

            assertThat(got).hasSize(MESSAGES);
            int i = 0;
            for (final byte[] p : got)
            {
                assertThat(p).as("message %d", i).isEqualTo(payload(i));
                i++;
            }
            final BrokerCounters c = broker.counters();
            assertThat(c.get(BrokerCounters.DATAGRAMS_READ)).as("publisher batched")
                .isLessThan(MESSAGES / 2);
            assertThat(c.get(BrokerCounters.DATAGRAMS_WRITTEN)).as("broker batched")
                .isLessThan(MESSAGES / 2);
        }
    }

    private static byte[] payload(final int i)
    {
        final byte[] p = new byte[i % 301];
        Arrays.fill(p, (byte)i);
        if (p.length >= 4)
        {
            p[0] = (byte)(i >>> 24);
            p[1] = (byte)(i >>> 16);
            p[2] = (byte)(i >>> 8);
            p[3] = (byte)i;
        }
        return p;
    }
}

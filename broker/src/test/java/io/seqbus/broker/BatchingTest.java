package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
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
 * The publisher sends batches itself (a raw client, 100 frames a datagram), so how much the
 * broker batches does not depend on timing: it handles a datagram within one duty cycle.
 */
class BatchingTest
{
    private static final int DATAGRAMS = 200;
    private static final int PER_DATAGRAM = 100;
    private static final int MESSAGES = DATAGRAMS * PER_DATAGRAM;

    @TempDir
    Path dir;

    @Test
    void manyMessagesPerDatagramYetEachArrivesWholeAndInOrder() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final ConcurrentLinkedQueue<byte[]> got = new ConcurrentLinkedQueue<>();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
            RawClient pub = new RawClient(socket).hello())
        {
            sub.subscribe("batch.>", (m) -> got.add(m.payloadAsBytes()));
            sub.sync(Duration.ofSeconds(5));
            final long writtenBefore = broker.counters().get(BrokerCounters.DATAGRAMS_WRITTEN);
            for (int d = 0; d < DATAGRAMS; d++)
            {
                final byte[][] frames = new byte[PER_DATAGRAM][];
                for (int f = 0; f < PER_DATAGRAM; f++)
                {
                    final int i = d * PER_DATAGRAM + f;
                    // Sizes from 0 to 300 bytes, so frames of every length meet at datagram edges.
                    frames[f] = Frames.publish(("batch." + (i % 3)).getBytes(), payload(i));
                }
                pub.send(Frames.concat(frames));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> got.size() >= MESSAGES);
            sub.sync(Duration.ofSeconds(5));

            assertThat(got).hasSize(MESSAGES);
            int i = 0;
            for (final byte[] p : got)
            {
                assertThat(p).as("message %d", i).isEqualTo(payload(i));
                i++;
            }
            // At most one datagram per published datagram and per 32 KiB delivered, plus PONGs.
            final long written = broker.counters().get(BrokerCounters.DATAGRAMS_WRITTEN) - writtenBefore;
            assertThat(written).as("broker batched").isLessThanOrEqualTo(2L * DATAGRAMS + 2);
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

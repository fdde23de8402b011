package io.seqbus.broker;

import io.seqbus.broker.acl.AclRule;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Gap;
import io.seqbus.client.Loan;
import io.seqbus.client.Message;
import io.seqbus.client.Payload;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.SubscriptionOptions;
import org.junit.jupiter.api.Test;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Memfd payloads and descriptors end to end through a real broker, with the Java client on both sides: sizes from
 * 0 B to 256 MiB to 16 subscribers, CRC32 equal and in order with small inline messages between them; a loan; a
 * payload kept past its handler; a pipe passed along (the subscriber reads what the publisher writes after). No
 * memfd of the test's stays open in this JVM once the clients let go (counted in /proc/self/fd by name).
 */
class ClientMemfdTest extends InProcessBrokerTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int SUBSCRIBERS = 16;

    private BusClient client(final String name)
    {
        return open(BusClient.connect(new ClientOptions().socket(socket).clientName(name)));
    }

    private void startBroker() throws IOException
    {
        start(new BrokerContext().maxQueueBytesLimit(Integer.MAX_VALUE).maxDescriptorMessagesHeld(512)
            .aclRules(List.of(new AclRule(-1, 0, "gid 0", List.of(">"), List.of(">"), false, List.of("fds.>")))));
    }

    /** One subscriber's view: a line per message, in order, and its gaps. */
    private static final class Received
    {
        final Queue<String> lines = new ConcurrentLinkedQueue<>();
        final Queue<String> gaps = new ConcurrentLinkedQueue<>();

        void onMessage(final Message message)
        {
            lines.add(line(message.topic(), message.isMemfdPayload(), message.payloadLength(),
                crc(message.payloadBuffer())));
        }

        void onGap(final Gap gap)
        {
            gaps.add(gap.toString());
        }
    }

    static String line(final String topic, final boolean memfd, final long length, final long crc)
    {
        return topic + " " + (memfd ? "memfd" : "inline") + " " + length + " " + Long.toHexString(crc);
    }

    @Test
    void payloadsOfEverySizeReachSixteenSubscribersInOrderWithSmallOnes() throws Exception
    {
        startBroker();
        final List<Received> subscribers = new ArrayList<>();
        for (int i = 0; i < SUBSCRIBERS; i++)
        {
            final Received received = new Received();
            final BusClient subscriber = client("sub-" + i);
            assertThat(subscriber.passesDescriptors()).isTrue();
            subscriber.subscribe("sizes.>", received::onMessage, new SubscriptionOptions()
                .policy(SlowConsumerPolicy.BLOCK).maxQueueBytes(1L << 30).gapHandler(received::onGap));
            subscriber.sync(WAIT);
            subscribers.add(received);
        }
        final long memfdsBefore = memfds("seqbus-");
        final BusClient publisher = client("publisher");
        final int maxPayload = publisher.maxPayload();
        final List<String> expected = new ArrayList<>();
        int small = 0;
        try (Loan empty = publisher.loan(0))
        {
            publisher.publish("sizes.loan0", empty);
            expected.add(line("sizes.loan0", true, 0, crc(ByteBuffer.allocate(0))));
        }
        for (final int size : new int[] {0, 1, maxPayload, maxPayload + 1, 1 << 20, 16 << 20, 64 << 20})
        {
            final String smallText = "small-" + small++;
            publisher.publish("sizes.small", smallText);
            expected.add(line("sizes.small", false, smallText.length(),
                crc(ByteBuffer.wrap(smallText.getBytes(StandardCharsets.UTF_8)))));
            final ByteBuffer payload = ByteBuffer.allocateDirect(size);
            fill(payload, size);
            publisher.publish("sizes.s" + size, payload);
            expected.add(line("sizes.s" + size, size > maxPayload, size, crc(payload)));
        }
        // 256 MiB written in place: a loan, not a heap copy.
        try (Loan loan = publisher.loan(256 << 20))
        {
            fill(loan.buffer(), 256 << 20);
            publisher.publish("sizes.loan256m", loan);
            expected.add(line("sizes.loan256m", true, 256 << 20, crc(loan.buffer())));
        }
        publisher.publish("sizes.small", "last");
        expected.add(line("sizes.small", false, 4, crc(ByteBuffer.wrap("last".getBytes(StandardCharsets.UTF_8)))));

        await().atMost(WAIT).until(() -> subscribers.stream().allMatch(r -> r.lines.size() >= expected.size()));
        for (final Received received : subscribers)
        {
            assertThat(new ArrayList<>(received.lines)).isEqualTo(expected);
            assertThat(received.gaps).isEmpty();
        }
        await().atMost(WAIT).untilAsserted(() ->
            assertThat(memfds("seqbus-")).as("memfds open in this JVM (broker and clients)").isEqualTo(memfdsBefore));
    }

    @Test
    void aKeptPayloadOutlivesItsHandlerUntilClosed() throws Exception
    {
        startBroker();
        final BusClient subscriber = client("keeper");
        final AtomicReference<Payload> kept = new AtomicReference<>();
        final AtomicReference<ByteBuffer> notKept = new AtomicReference<>();
        subscriber.subscribe("keep.>", message ->
        {
            if (message.topic().equals("keep.this"))
            {
                kept.set(message.keepPayload());
            }
            else
            {
                notKept.set(message.payloadBuffer());
            }
        });
        subscriber.sync(WAIT);
        final long before = memfds("seqbus-payload");
        final BusClient publisher = client("publisher");
        final ByteBuffer payload = ByteBuffer.allocate(1 << 20);
        fill(payload, 1 << 20);
        publisher.publish("keep.this", payload);
        publisher.publish("keep.not", payload);
        await().atMost(WAIT).until(() -> kept.get() != null && notKept.get() != null);
        assertThat(crc(kept.get().buffer())).isEqualTo(crc(payload));
        assertThat(kept.get().isMemfd()).isTrue();
        assertThat(notKept.get().get(1)).as("let go: zeros").isZero();
        await().atMost(WAIT).untilAsserted(() -> assertThat(memfds("seqbus-payload")).isEqualTo(before + 1));
        kept.get().close();
        assertThat(kept.get().buffer().get(1)).isZero();
        await().atMost(WAIT).untilAsserted(() -> assertThat(memfds("seqbus-payload")).isEqualTo(before));
    }

    @Test
    void aPipePassedAlongCarriesWhatThePublisherWritesAfter() throws Exception
    {
        startBroker();
        final BusClient subscriber = client("reader");
        final CopyOnWriteArrayList<FileDescriptor> taken = new CopyOnWriteArrayList<>();
        final Queue<String> texts = new ConcurrentLinkedQueue<>();
        subscriber.subscribe("fds.>", message ->
        {
            texts.add(message.payloadAsString() + " " + message.descriptorCount());
            taken.addAll(List.of(message.takeDescriptors()));
        });
        subscriber.sync(WAIT);
        final BusClient publisher = client("writer");
        final Path fifo = dir.resolve("pipe");
        final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mkfifo.waitFor()).isZero();
        // A FIFO opened read-write never blocks on open: one descriptor for the subscriber to read, one to write.
        try (java.io.RandomAccessFile both = new java.io.RandomAccessFile(fifo.toFile(), "rw"))
        {
            publisher.publish("fds.pipe", ByteBuffer.wrap("here".getBytes(StandardCharsets.UTF_8)), both.getFD());
            await().atMost(WAIT).until(() -> taken.size() == 1);
            assertThat(texts).containsExactly("here 1");
            both.write("written after publish".getBytes(StandardCharsets.UTF_8));
            try (FileInputStream in = new FileInputStream(taken.get(0)))
            {
                final byte[] got = new byte["written after publish".length()];
                int at = 0;
                while (at < got.length)
                {
                    at += in.read(got, at, got.length - at);
                }
                assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("written after publish");
            }
        }
    }

    static void fill(final ByteBuffer buffer, final int size)
    {
        for (int i = 0; i + 8 <= size; i += 8)
        {
            buffer.putLong(i, i * 0x9E3779B97F4A7C15L);
        }
        for (int i = size & ~7; i < size; i++)
        {
            buffer.put(i, (byte)i);
        }
    }

    static long crc(final ByteBuffer buffer)
    {
        final CRC32 crc = new CRC32();
        crc.update(buffer.duplicate());
        return crc.getValue();
    }

    /** @return descriptors of this JVM open on memfds whose name starts so. */
    static long memfds(final String prefix) throws IOException
    {
        long count = 0;
        try (var entries = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path entry : entries)
            {
                try
                {
                    if (Files.readSymbolicLink(entry).toString().startsWith("/memfd:" + prefix))
                    {
                        count++;
                    }
                }
                catch (final IOException ignored)
                {
                    // closed meanwhile
                }
            }
        }
        return count;
    }
}

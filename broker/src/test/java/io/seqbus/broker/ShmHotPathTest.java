package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker's thread allocates nothing per message on the shared-memory path: tens of thousands of messages from a
 * shm publisher to a shm subscriber, after a warm-up, cost its thread no more than a few KiB (measured with the
 * JVM's per-thread allocation counter).
 */
class ShmHotPathTest
{
    private static final int BATCH = 16;

    @TempDir
    Path dir;
    private Broker broker;

    @AfterEach
    void stop()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void theAgentAllocatesNothingPerMessage() throws Exception
    {
        final String socket = dir.resolve("h.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING));
        try (ShmTestClient sub = new ShmTestClient(socket); ShmTestClient pub = new ShmTestClient(socket))
        {
            assertThat(sub.hello("sub")).isTrue();
            sub.attach();
            sub.publishRing(Frames.concat(Frames.subscribe(1, "a.>"), Frames.ping(1)));
            assertThat(ShmHandshakeTest.types(sub.receiveRing(5_000))).containsExactly(FrameType.PONG);
            assertThat(pub.hello("pub")).isTrue();
            pub.attach();

            final AtomicLong delivered = new AtomicLong();
            final AtomicBoolean reading = new AtomicBoolean(true);
            final Thread reader = new Thread(() ->
            {
                try
                {
                    while (reading.get())
                    {
                        final byte[] d = sub.receiveRing(10);
                        if (d != null)
                        {
                            delivered.addAndGet(Deliveries.in(d).size());
                        }
                    }
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            reader.start();
            final byte[] one = Frames.publish("a.x", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
            final byte[] batch = Frames.concat(one, one, one, one, one, one, one, one, one, one, one, one, one, one,
                one, one);
            publish(pub, batch, 20_000 / BATCH, delivered, 20_000);
            final long agent = agentThreadId();
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final long before = threads.getThreadAllocatedBytes(agent);
            final int messages = 100_000;
            publish(pub, batch, messages / BATCH, delivered, 20_000 + messages);
            final long allocated = threads.getThreadAllocatedBytes(agent) - before;
            reading.set(false);
            reader.join(5_000);
            System.out.printf("shm hot path: the agent allocated %d bytes for %d messages%n", allocated, messages);
            assertThat(allocated).as("bytes the agent allocated for %d messages", messages).isLessThan(64 * 1024);
        }
    }

    private static void publish(final ShmTestClient pub, final byte[] batch, final int records, final AtomicLong delivered,
        final long until) throws Exception
    {
        for (int i = 0; i < records; i++)
        {
            pub.publishRing(batch);
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> delivered.get() >= until);
    }

    private static long agentThreadId()
    {
        for (final Thread t : Thread.getAllStackTraces().keySet())
        {
            if (t.getName().equals("seqbus-broker"))
            {
                return t.getId();
            }
        }
        throw new AssertionError("no seqbus-broker thread");
    }
}

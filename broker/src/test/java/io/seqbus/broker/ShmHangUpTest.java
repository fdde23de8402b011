package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A shared-memory client that attaches, publishes through its ring and closes at once (a short-lived publisher:
 * connect, publish, flush, close) may hang up before the broker has read its SHM_ATTACH. The broker then sees the
 * hang-up first, and must still read SHM_ATTACH from the socket and then the records after it from the ring.
 */
class ShmHangUpTest
{
    private static final Duration WAIT = Duration.ofSeconds(10);

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
    void recordsAfterAnAttachTheBrokerHadNotReadWhenTheClientHungUpAreDelivered() throws Exception
    {
        final String socket = dir.resolve("u.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING));
        try (RawClient sub = new RawClient(socket).hello("sub"))
        {
            sub.send(Frames.concat(Frames.subscribe(1, "u.>"), Frames.ping(1)));
            assertThat(sub.receive(5_000)).as("PONG").isNotNull();
            for (int i = 0; i < 3; i++)
            {
                final ShmTestClient pub = new ShmTestClient(socket);
                assertThat(pub.hello("pub")).isTrue();
                coolDown();
                // The agent is held while the client attaches, publishes into its ring and closes: its next poll
                // finds SHM_ATTACH and the hang-up together, as on a loaded machine.
                final CountDownLatch held = new CountDownLatch(1);
                final CountDownLatch release = new CountDownLatch(1);
                assertThat(broker.agentForTest().submit(() ->
                {
                    held.countDown();
                    awaitLatch(release);
                })).isTrue();
                assertThat(held.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                try
                {
                    pub.attach();
                    pub.publishRing(Frames.publish("u.x", "last words " + i));
                    pub.close();
                }
                finally
                {
                    release.countDown();
                }
                final byte[] delivered = sub.receive(WAIT.toMillis());
                assertThat(delivered).as("what the client published before it hung up (%d)", i).isNotNull();
                assertThat(Deliveries.in(delivered)).as("delivery %d", i)
                    .extracting(Deliveries.Delivery::payload).containsExactly("last words " + i);
                await().atMost(WAIT).until(() -> broker.counters().get(BrokerCounters.SHM_CLIENTS) == 0);
            }
        }
    }

    /**
     * A client that asked for shared memory and closes before it read SHM_READY (connect returns at WELCOME; a publish,
     * a flush and a close can come before the client's thread reads on) leaves the broker a reset: Linux reports it
     * once, before the datagrams the client sent, which must still be read.
     */
    @Test
    void whatAClientSentBeforeItClosedWithItsShmReadyUnreadIsDelivered() throws Exception
    {
        final String socket = dir.resolve("r.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING));
        try (RawClient sub = new RawClient(socket).hello("sub"))
        {
            sub.send(Frames.concat(Frames.subscribe(1, "r.>"), Frames.ping(1)));
            assertThat(sub.receive(5_000)).as("PONG").isNotNull();
            final UnsafeBuffer scratch = new UnsafeBuffer(new byte[256]);
            for (int i = 0; i < 3; i++)
            {
                final FdClient pub = new FdClient(socket);
                pub.send(Arrays.copyOf(scratch.byteArray(), HelloFrame.encode(scratch, 0, Protocol.VERSION,
                    Protocol.VERSION, HelloFrame.FLAG_DESCRIPTORS | HelloFrame.FLAG_SHARED_MEMORY, "pub", 0, 0)));
                final FdClient.Datagram welcome = pub.receive(5_000);
                assertThat(welcome).isNotNull();
                assertThat(Protocol.frameType(welcome.buffer(), 0)).isEqualTo(FrameType.WELCOME);
                // SHM_READY went right after WELCOME, in the same step: it stays unread.
                final CountDownLatch held = new CountDownLatch(1);
                final CountDownLatch release = new CountDownLatch(1);
                assertThat(broker.agentForTest().submit(() ->
                {
                    held.countDown();
                    awaitLatch(release);
                })).isTrue();
                assertThat(held.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                try
                {
                    pub.send(Frames.publish("r.x", "unread " + i));
                    pub.close();
                }
                finally
                {
                    release.countDown();
                }
                final byte[] delivered = sub.receive(WAIT.toMillis());
                assertThat(delivered).as("what the client published before it closed (%d)", i).isNotNull();
                assertThat(Deliveries.in(delivered)).extracting(Deliveries.Delivery::payload)
                    .containsExactly("unread " + i);
                await().atMost(WAIT).until(() -> broker.counters().get(BrokerCounters.SHM_CLIENTS) == 0);
            }
        }
    }

    /**
     * Lets the agent forget the client's handshake: a client that sent within the hot linger is read directly at
     * the start of a cycle, before epoll reports its hang-up, which would hide what this test looks at.
     */
    private void coolDown()
    {
        final CountDownLatch done = new CountDownLatch(1);
        assertThat(broker.agentForTest().submit(() ->
        {
            // On the agent: past the hot linger, so its next cycles drop the client from the hot list.
            LockSupport.parkNanos(3 * Configuration.HOT_LINGER_NS);
            done.countDown();
        })).isTrue();
        awaitLatch(done);
        // A few more cycles, each woken by a command: the first hot one drops the client.
        for (int i = 0; i < 2 * Configuration.HOT_CYCLES_PER_POLL; i++)
        {
            final CountDownLatch cycle = new CountDownLatch(1);
            assertThat(broker.agentForTest().submit(cycle::countDown)).isTrue();
            awaitLatch(cycle);
        }
    }

    private static void awaitLatch(final CountDownLatch latch)
    {
        try
        {
            latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}

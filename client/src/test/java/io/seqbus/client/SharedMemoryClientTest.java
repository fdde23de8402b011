package io.seqbus.client;

import io.seqbus.sys.Memfd;
import io.seqbus.sys.ShmChannel;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.PublishFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.seqbus.wire.Protocol.BYTE_ORDER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The client's side of shared-memory delivery against a scripted broker that makes real rings (sys
 * {@link ShmChannel}) and eventfds: HELLO asks, SHM_READY is mapped, SHM_ATTACH is the client's last frame on the
 * socket and every later one is a record of from_client, in order across the switch; records of to_client are
 * delivered, descriptors travel beside their records (SHM_FDS), a full ring holds publishers back and a read frees
 * them, a hang-up is the end (what was committed before is read first), a failed mapping reconnects without shared
 * memory, and 100 reconnects leave no mapping or descriptor behind.
 */
class SharedMemoryClientTest extends ScriptedBrokerTest
{
    private static final int CAPACITY = 64 * 1024;
    private final List<BusError> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private Thread poller;

    @org.junit.jupiter.api.AfterEach
    void stopPoller() throws InterruptedException
    {
        polling.set(false);
        if (poller != null)
        {
            poller.join(5_000);
        }
    }

    private ClientOptions options(final ThreadMode mode)
    {
        // Whatever SEQBUS_SHARED_MEMORY says for the rest of the run: these tests are about shared memory.
        return new ClientOptions().environment(Map.of()).socket(broker.socket()).threadMode(mode).sharedMemory(true)
            .idleSpin(Duration.ZERO).connectTimeout(Duration.ofSeconds(10))
            .reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .errorHandler(new ErrorHandler()
            {
                public void onError(final BusError error)
                {
                    errors.add(error);
                }

                public void onHandlerException(final Throwable throwable, final Subscription s, final Message m)
                {
                    throwable.printStackTrace();
                }
            });
    }

    /** Connects; the peer answers HELLO (which must ask for shared memory) with WELCOME, then SHM_READY. */
    private void connectOnSharedMemory(final ClientOptions options, final boolean descriptors) throws Exception
    {
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept().withDescriptors();
        final HelloFrame hello = peer.next(FrameType.HELLO).as(new HelloFrame());
        assertThat(hello.wantsSharedMemory()).as("HELLO asks for SHARED_MEMORY").isTrue();
        if (descriptors)
        {
            peer.welcomeDescriptors(65536, 131072, 1, 8, 64, 1L << 30).send();
        }
        else
        {
            peer.welcome(65536, 131072, 1).send();
        }
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (options.threadMode() == ThreadMode.POLL)
        {
            startPoller();
        }
        peer.offerSharedMemory(CAPACITY);
        await().atMost(ScriptedBroker.WAIT).until(() -> ClientStats.SHARED_MEMORY.equals(client.stats().transport()));
        peer.next(FrameType.SHM_ATTACH);
    }

    /** POLL mode: a thread of the test's polls, as an application's would. */
    private void startPoller()
    {
        polling.set(true);
        final BusClient polled = client;
        poller = new Thread(() ->
        {
            while (polling.get() && !polled.isClosed())
            {
                if (polled.poll() == 0)
                {
                    Thread.onSpinWait();
                }
            }
        }, "test-poller");
        poller.setDaemon(true);
        poller.start();
    }

    @ParameterizedTest
    @EnumSource(ThreadMode.class)
    void framesTravelAsRecordsOnceAttached(final ThreadMode mode) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectOnSharedMemory(options(mode), false);
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        final Subscription subscription = client.subscribe("a.>", m -> got.add(m.topic() + "=" + m.payloadAsString()));
        final ScriptedBroker.Frame subscribe = peer.next(FrameType.SUBSCRIBE);
        assertThat(peer.transports().get(subscribe.datagram())).as("SUBSCRIBE through from_client").isEqualTo(1);

        // Two records, the client asleep in between (idleSpin 0): each wakes it.
        peer.deliver(subscription.id(), 1, "a.b", "one").deliver(subscription.id(), 2, "a.c", "two").sendRecord();
        await().atMost(ScriptedBroker.WAIT).until(() -> got.size() == 2);
        peer.deliver(subscription.id(), 3, "a.d", "three").sendRecord();
        await().atMost(ScriptedBroker.WAIT).until(() -> got.size() == 3);
        assertThat(got).containsExactly("a.b=one", "a.c=two", "a.d=three");

        client.publish("x.y", "published");
        final ScriptedBroker.Frame publish = peer.next(FrameType.PUBLISH);
        assertThat(publish.as(new PublishFrame()).topic()).isEqualTo("x.y");
        assertThat(peer.transports().get(publish.datagram())).as("PUBLISH through from_client").isEqualTo(1);
        assertThat(client.stats().transport()).isEqualTo(ClientStats.SHARED_MEMORY);
        assertThat(client.stats().delivered()).isEqualTo(3);
        assertThat(errors).isEmpty();
    }

    /**
     * A publisher keeps publishing while the connection moves to the rings: the broker reads the socket up to
     * SHM_ATTACH and the ring after it, and sees every publish once, in order.
     */
    @Test
    void publishesKeepTheirOrderAcrossTheSwitchToTheRings() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = options(ThreadMode.DEDICATED);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept().withDescriptors();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        // The publisher goes on until the broker has seen 1,000 publishes through the ring.
        final AtomicBoolean stop = new AtomicBoolean();
        final CompletableFuture<Integer> publishing = CompletableFuture.supplyAsync(() ->
        {
            final byte[] payload = new byte[16];
            int i = 0;
            while (!stop.get())
            {
                ByteBuffer.wrap(payload).order(BYTE_ORDER).putInt(0, i++);
                client.publish("o.p", payload);
            }
            client.publish("o.end", "end");
            client.flush();
            return i;
        });
        final List<Integer> seen = new ArrayList<>();
        final PublishFrame publish = new PublishFrame();
        int throughRing = 0;
        while (true)
        {
            if (throughRing >= 1_000)
            {
                stop.set(true);
            }
            if (publishing.isCompletedExceptionally())
            {
                publishing.join();
            }
            final ScriptedBroker.Frame frame = peer.next();
            if (frame.type() == FrameType.PUBLISH)
            {
                frame.as(publish);
                if (publish.topic().equals("o.end"))
                {
                    break;
                }
                seen.add(frame.buffer().getInt(publish.payloadIndex(), BYTE_ORDER));
                throughRing += peer.transports().get(frame.datagram());
                if (seen.size() == 100)
                {
                    peer.offerSharedMemory(CAPACITY);
                }
            }
        }
        assertThat(seen).hasSize(publishing.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS));
        for (int i = 0; i < seen.size(); i++)
        {
            assertThat(seen.get(i)).as("publish %d", i).isEqualTo(i);
        }
        assertThat(peer.attached()).isTrue();
        assertThat(peer.transports()).contains(0, 1);
    }

    /**
     * A client that waits for room says so again at every attempt that finds none: a broker that took the flag (and
     * signalled client_wake) when it made too little room signals only a flag raised after that.
     */
    @Test
    void aWriterThatStillFindsNoRoomRaisesItsFlagAgain() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectOnSharedMemory(options(ThreadMode.DEDICATED), false);
        final byte[] payload = new byte[12_000];
        // Four or five fill from_client (64 KiB, records of one or two), the rest wait in the batch (two at most).
        for (int i = 0; i < 6; i++)
        {
            client.publish("w.x", payload);
        }
        await().atMost(ScriptedBroker.WAIT).until(peer::takeWriterWaiting);
        // Taken as a broker that made a little room would take it; none was made, so the next attempt fails too.
        await().atMost(ScriptedBroker.WAIT).until(peer::takeWriterWaiting);
    }

    @Test
    void descriptorsTravelBesideTheirRecords() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectOnSharedMemory(options(ThreadMode.DEDICATED), true);
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        final Subscription subscription = client.subscribe("a.>", m -> got.add(m.topic() + " " +
            m.isMemfdPayload() + " " + m.payloadLength() + " " +
            (m.isMemfdPayload() ? String.valueOf(m.payloadBuffer().get(m.payloadLength() - 1)) : m.payloadAsString())));
        peer.next(FrameType.SUBSCRIBE);

        // Broker to client: DELIVER_FDS in a FRAMES_WITH_FDS record, its memfd in the SHM_FDS before it.
        final int payload = sealed(300_000, (byte)5);
        peer.deliverFds(subscription.id(), 1, "a.b", 1, PublishFdsFrame.MEMFD_PAYLOAD, 300_000, "").sendRecord(payload);
        Fds.close(payload);
        peer.deliver(subscription.id(), 2, "a.c", "inline").sendRecord();
        await().atMost(ScriptedBroker.WAIT).until(() -> got.size() == 2);
        assertThat(got).containsExactly("a.b true 300000 5", "a.c false 6 inline");

        // Client to broker: a payload over max_payload leaves as a memfd, its SHM_FDS first.
        final byte[] large = new byte[65536 + 1];
        large[large.length - 1] = 9;
        client.publish("x.y", large);
        final ScriptedBroker.Frame frame = peer.next(FrameType.PUBLISH_FDS);
        assertThat(peer.transports().get(frame.datagram())).isEqualTo(1);
        assertThat(frame.as(new PublishFdsFrame()).payloadSize()).isEqualTo(large.length);
        final int fd = peer.nextFd();
        assertThat(Files.size(Path.of("/proc/self/fd/" + fd))).isEqualTo(large.length);
        Fds.close(fd);
        assertThat(errors).isEmpty();
    }

    /**
     * A full from_client ring is a full socket: publishers are held back (BACK_PRESSURED, no busy wait of the
     * client's thread: it sleeps on client_wake), and the broker's read, which signals the waiting writer, lets
     * everything through in order.
     */
    @Test
    void aFullRingHoldsPublishersBackUntilTheBrokerReads() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = options(ThreadMode.DEDICATED);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept().withDescriptors();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        peer.offerSharedMemory(ShmChannel.MIN_CAPACITY);
        await().atMost(ScriptedBroker.WAIT).until(() -> ClientStats.SHARED_MEMORY.equals(client.stats().transport()));
        peer.next(FrameType.SHM_ATTACH);

        final byte[] payload = new byte[200];
        int accepted = 0;
        while (true)
        {
            ByteBuffer.wrap(payload).order(BYTE_ORDER).putInt(0, accepted);
            final PublishResult result = client.tryPublish("o.p", payload);
            if (result == PublishResult.BACK_PRESSURED)
            {
                break;
            }
            assertThat(result).isEqualTo(PublishResult.OK);
            accepted++;
            assertThat(accepted).as("a 4 KiB ring and a 128 KiB batch hold back a publisher").isLessThan(10_000);
        }
        final int total = accepted;
        final List<Integer> seen = new ArrayList<>();
        final PublishFrame publish = new PublishFrame();
        while (seen.size() < total)
        {
            final ScriptedBroker.Frame frame = peer.next(FrameType.PUBLISH);
            frame.as(publish);
            seen.add(frame.buffer().getInt(publish.payloadIndex(), BYTE_ORDER));
        }
        for (int i = 0; i < total; i++)
        {
            assertThat(seen.get(i)).isEqualTo(i);
        }
        assertThat(client.tryPublish("o.p", payload)).isEqualTo(PublishResult.OK);
    }

    /** The broker's last words in the ring are read before its hang-up ends the connection. */
    @Test
    void whatWasCommittedBeforeTheHangUpIsReadFirst() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final AtomicInteger disconnects = new AtomicInteger();
        final ClientOptions options = options(ThreadMode.DEDICATED).reconnect(false).connectionListener(
            new ConnectionListener()
            {
                public void onDisconnected(final BusClient c, final BusException cause)
                {
                    disconnects.incrementAndGet();
                }
            });
        connectOnSharedMemory(options, false);
        peer.error(ErrorCode.SHUTTING_DOWN, 0, "the broker is stopping").sendRecord();
        peer.close();
        await().atMost(ScriptedBroker.WAIT).until(client::isClosed);
        assertThat(errors).extracting(BusError::code).containsExactly(ErrorCode.SHUTTING_DOWN);
    }

    @Test
    void aHangUpWithNothingToReadIsNoticedByASleepingClient() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectOnSharedMemory(options(ThreadMode.DEDICATED).reconnect(false), false);
        peer.close();
        await().atMost(ScriptedBroker.WAIT).until(client::isClosed);
        assertThat(client.closedCause().getMessage()).contains("closed the connection without an ERROR");
    }

    /** 100 broker restarts: each connection gets new rings, and the old ones leave nothing mapped or open. */
    @Test
    void reconnectsMapNewRingsAndLeakNothing() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectOnSharedMemory(options(ThreadMode.DEDICATED), false);
        final long mapsBefore = shmMappings();
        final long fdsBefore = shmDescriptors();
        final long eventFdsBefore = eventFds();
        for (int i = 0; i < 100; i++)
        {
            peer.close();
            peer = broker.accept().withDescriptors();
            assertThat(peer.next(FrameType.HELLO).as(new HelloFrame()).wantsSharedMemory()).isTrue();
            peer.welcome(65536, 131072, 1).send();
            peer.offerSharedMemory(CAPACITY);
            peer.next(FrameType.SHM_ATTACH);
        }
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        client.subscribe("a.>", m -> got.add(m.payloadAsString()));
        final int id = peer.next(FrameType.SUBSCRIBE).buffer().getInt(io.seqbus.wire.SubscribeFrame.SUBSCRIPTION_ID_OFFSET, BYTE_ORDER);
        peer.deliver(id, 1, "a.b", "on the 101st rings").sendRecord();
        await().atMost(ScriptedBroker.WAIT).until(() -> got.contains("on the 101st rings"));
        assertThat(shmMappings()).as("mappings of seqbus-shm").isEqualTo(mapsBefore);
        assertThat(shmDescriptors()).as("memfds open").isEqualTo(fdsBefore);
        assertThat(eventFds()).as("eventfds open").isEqualTo(eventFdsBefore);
        assertThat(client.stats().reconnects()).isEqualTo(100);

        client.close();
        client = null;
        peer.close();
        peer = null;
        assertThat(shmMappings()).as("nothing mapped after close").isZero();
        assertThat(shmDescriptors()).isZero();
    }

    /**
     * close() that stops waiting for the client's thread (closeTimeout 1 ns) while it sleeps in poll(2) on the rings: the
     * rings stay mapped until that thread has left them (unmapped under it, its wake-up store crashed the JVM).
     */
    @Test
    void aCloseThatDoesNotWaitForTheClientsThreadNeverUnmapsUnderIt() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final long mapsBefore = shmMappings();
        for (int i = 0; i < 30; i++)
        {
            connectOnSharedMemory(options(ThreadMode.DEDICATED).closeTimeout(Duration.ofNanos(1)), false);
            client.close();
            client = null;
            peer.close();
            peer = null;
        }
        await().atMost(ScriptedBroker.WAIT).until(() -> shmMappings() == mapsBefore);
    }

    /** A mapping that fails: said once, and the client connects again without asking, on the socket alone. */
    @Test
    void aMappingThatFailsReconnectsOnTheSocketAlone() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = options(ThreadMode.DEDICATED);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept().withDescriptors();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        final long mapsBefore = shmMappings();
        peer.offerSharedMemory(CAPACITY, ShmChannel.size(CAPACITY, CAPACITY) + 4096);
        await().atMost(ScriptedBroker.WAIT).until(() -> !errors.isEmpty());
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).code()).isEqualTo(ErrorCode.CLIENT);
        assertThat(errors.get(0).reason()).contains("shared memory").contains("socket alone");

        final ScriptedBroker.Peer first = peer;
        peer = broker.accept().withDescriptors();
        first.close();
        assertThat(peer.next(FrameType.HELLO).as(new HelloFrame()).wantsSharedMemory()).isFalse();
        peer.welcome(65536, 131072, 1).send();
        await().atMost(ScriptedBroker.WAIT).until(client::isConnected);
        client.publish("x.y", "on the socket");
        final ScriptedBroker.Frame publish = peer.next(FrameType.PUBLISH);
        assertThat(peer.transports().get(publish.datagram())).isZero();
        assertThat(client.stats().transport()).isEqualTo(ClientStats.SOCKET);
        assertThat(shmMappings()).isEqualTo(mapsBefore);
        assertThat(errors).hasSize(1);
    }

    @Test
    void sharedMemoryWithoutDescriptorsIsRefusedAtConnect()
    {
        assertThatThrownBy(() -> BusClient.connect(new ClientOptions().environment(Map.of()).socket("/nonexistent")
            .sharedMemory(true).descriptors(false)))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("ClientOptions.sharedMemory(true) needs descriptors, but ClientOptions.descriptors(false) " +
                "turned them off");
    }

    @Test
    void theEnvironmentOverridesTheSetting()
    {
        assertThat(ClientOptions.DEFAULT_SHARED_MEMORY).isTrue();
        assertThat(new ClientOptions().sharedMemory(Map.of())).isEqualTo(ClientOptions.DEFAULT_SHARED_MEMORY);
        assertThat(new ClientOptions().sharedMemory(false).sharedMemory(Map.of())).isFalse();
        assertThat(new ClientOptions().sharedMemory(true).sharedMemory(Map.of())).isTrue();
        assertThat(new ClientOptions().sharedMemory(true).sharedMemory(Map.of("SEQBUS_SHARED_MEMORY", "off")))
            .isFalse();
        assertThat(new ClientOptions().sharedMemory(false).sharedMemory(Map.of("SEQBUS_SHARED_MEMORY", "on")))
            .isTrue();
        assertThat(new ClientOptions().sharedMemory(false).sharedMemory(Map.of("SEQBUS_SHARED_MEMORY", "")))
            .isFalse();
        assertThatThrownBy(() -> new ClientOptions().sharedMemory(Map.of("SEQBUS_SHARED_MEMORY", "yes")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("SEQBUS_SHARED_MEMORY must be on or off, not 'yes'");
    }

    @Test
    void aClientThatDoesNotAskStaysOnTheSocket() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = options(ThreadMode.DEDICATED).sharedMemory(false);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        final boolean asked = peer.next(FrameType.HELLO).as(new HelloFrame()).wantsSharedMemory();
        peer.welcome(65536, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(asked).isFalse();
        assertThat(client.stats().transport()).isEqualTo(ClientStats.SOCKET);
    }

    /** @return a sealed memfd filled with {@code value}, owned by the caller. */
    private static int sealed(final int size, final byte value) throws IOException
    {
        try (Memfd memfd = Memfd.create("seqbus-test", size))
        {
            final byte[] bytes = new byte[size];
            java.util.Arrays.fill(bytes, value);
            memfd.write(0, ByteBuffer.wrap(bytes));
            memfd.seal();
            return memfd.release();
        }
    }

    /** @return lines of /proc/self/maps mapping a seqbus-shm memfd (this JVM: client and scripted broker). */
    static long shmMappings() throws IOException
    {
        try (var lines = Files.lines(Path.of("/proc/self/maps")))
        {
            return lines.filter(line -> line.contains("/memfd:seqbus-shm")).count();
        }
    }

    static long shmDescriptors() throws IOException
    {
        return descriptorsTo("/memfd:seqbus-shm");
    }

    static long eventFds() throws IOException
    {
        return descriptorsTo("anon_inode:[eventfd]");
    }

    private static long descriptorsTo(final String prefix) throws IOException
    {
        long count = 0;
        try (var entries = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path entry : entries)
            {
                try
                {
                    if (Files.readSymbolicLink(entry).toString().startsWith(prefix))
                    {
                        count++;
                    }
                }
                catch (final IOException ignored)
                {
                    // closed meanwhile (the stream's own descriptor)
                }
            }
        }
        return count;
    }
}

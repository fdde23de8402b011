package io.seqbus.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.ShmChannel;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Shared-memory clients of a real broker over real sockets and real rings (issue 15), with the raw
 * {@link ShmTestClient}: the handshake, the same deliveries as a socket client, STAT and the counters, the bounds
 * that keep a client on the socket, and nothing left behind (descriptors, mappings) however a client goes.
 */
class ShmHandshakeTest
{
    static final int RING = 512 * 1024;

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stop() throws Exception
    {
        for (final AutoCloseable c : closeables)
        {
            c.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    private void start(final BrokerContext context) throws IOException
    {
        socket = dir.resolve("shm.sock").toString();
        broker = Broker.launch(context.socket(socket).shmRingBytes(RING));
    }

    @Test
    void aShmClientGetsWhatASocketClientGetsInTheSameOrder() throws Exception
    {
        start(new BrokerContext());
        final RawClient socketSub = open(new RawClient(socket).hello("socket-sub"));
        socketSub.send(Frames.concat(Frames.subscribe(1, "t.>"), Frames.ping(1)));
        assertThat(socketSub.receive(5_000)).as("PONG").isNotNull();
        final ShmTestClient shmSub = attached("shm-sub");
        shmSub.publishRing(Frames.concat(Frames.subscribe(1, "t.>"), Frames.ping(1)));
        assertThat(types(shmSub.receiveRing(5_000))).as("PONG through the ring").containsExactly(FrameType.PONG);

        final ShmTestClient shmPub = attached("shm-pub");
        final RawClient socketPub = open(new RawClient(socket).hello("socket-pub"));
        final int n = 500;
        for (int i = 0; i < n; i++)
        {
            shmPub.publishRing(Frames.publish("t.shm", "s" + i));
            socketPub.send(Frames.publish("t.socket", "k" + i));
        }
        final List<Deliveries.Delivery> viaSocket = new ArrayList<>();
        final List<Deliveries.Delivery> viaRing = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() ->
        {
            for (byte[] s = socketSub.receive(10); s != null; s = socketSub.receive(10))
            {
                viaSocket.addAll(Deliveries.in(s));
            }
            for (byte[] r = shmSub.receiveRing(10); r != null; r = shmSub.receiveRing(10))
            {
                viaRing.addAll(Deliveries.in(r));
            }
            return viaSocket.size() == 2 * n && viaRing.size() == 2 * n;
        });
        assertThat(viaRing).as("the same messages, in the same order").isEqualTo(viaSocket);
        assertThat(viaRing.stream().filter((d) -> d.payload().startsWith("s")).map(Deliveries.Delivery::sequence))
            .as("the shm publisher's numbering").isEqualTo(sequence(n));

        assertThat(broker.counters().get(BrokerCounters.SHM_CLIENTS)).isEqualTo(2);
        final JsonNode doc = new ObjectMapper().readTree(StatClientCountsTest.stat(open(new RawClient(socket).hello("stat"))));
        final List<String> transports = new ArrayList<>();
        for (final JsonNode c : doc.path("clients"))
        {
            transports.add(c.path("name").asText() + "=" + c.path("transport").asText());
        }
        assertThat(transports).containsExactlyInAnyOrder("socket-sub=socket", "shm-sub=shm", "shm-pub=shm",
            "socket-pub=socket", "stat=socket");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        {
            assertThat(broker.counters().get(BrokerCounters.SHM_MESSAGES_IN)).isEqualTo(n);
            assertThat(broker.counters().get(BrokerCounters.SOCKET_MESSAGES_IN)).isEqualTo(n);
            assertThat(broker.counters().get(BrokerCounters.SHM_MESSAGES_OUT)).isEqualTo(2 * n);
            assertThat(broker.counters().get(BrokerCounters.SOCKET_MESSAGES_OUT)).isEqualTo(2 * n);
        });
    }

    /**
     * The wake-up protocol both ways: an idle broker says in the ring that it sleeps and is woken by the record a
     * client writes (no lost wake-up); a client that says it sleeps is signalled once on its eventfd by a delivery.
     */
    @Test
    void sleepersAreWokenAndOnlyThey() throws Exception
    {
        start(new BrokerContext());
        final ShmTestClient c = attached("sleeper");
        c.publishRing(Frames.concat(Frames.subscribe(1, "w.>"), Frames.ping(1)));
        assertThat(types(c.receiveRing(5_000))).containsExactly(FrameType.PONG);
        for (int round = 0; round < 20; round++)
        {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2)).until(() ->
                c.raw().getIntVolatile(ShmTestClient.FROM_CLIENT_READER_SLEEPING) == 1);
            assertThat(c.publishRing(Frames.ping(round))).as("the broker slept: the client signalled").isTrue();
            assertThat(types(c.receiveRing(5_000))).as("woken in round %d", round).containsExactly(FrameType.PONG);
        }
        // The client sleeps: the broker's next delivery signals it, once, and lowers the flag.
        c.drainClientWake();
        c.raw().putIntVolatile(ShmTestClient.TO_CLIENT_READER_SLEEPING, 1);
        c.publishRing(Frames.publish("w.x", "wake up"));
        await().atMost(Duration.ofSeconds(5)).until(() ->
            c.raw().getIntVolatile(ShmTestClient.TO_CLIENT_READER_SLEEPING) == 0);
        assertThat(c.drainClientWake()).isEqualTo(1);
        assertThat(Deliveries.in(c.receiveRing(5_000))).extracting(Deliveries.Delivery::payload)
            .containsExactly("wake up");
        // Awake (flag 0), it is not signalled.
        c.publishRing(Frames.publish("w.x", "no signal"));
        assertThat(Deliveries.in(c.receiveRing(5_000))).extracting(Deliveries.Delivery::payload)
            .containsExactly("no signal");
        assertThat(c.drainClientWake()).isZero();
    }

    @Test
    void overItsUidsBoundAClientStaysOnTheSocketAndTheCloseRefunds() throws Exception
    {
        start(new BrokerContext().maxShmBytesPerUid(ShmChannel.size(RING, RING)));
        final ShmTestClient first = attached("first");
        final ShmTestClient second = open(new ShmTestClient(socket));
        assertThat(second.hello("second")).as("offered rings past max_shm_bytes_per_uid").isFalse();
        assertThat(broker.counters().get(BrokerCounters.SHM_REFUSED_BOUND)).isEqualTo(1);
        // On the socket, it works as any socket client: PONG came there already (hello), a publish reaches first.
        first.publishRing(Frames.concat(Frames.subscribe(1, "q.>"), Frames.ping(1)));
        assertThat(types(first.receiveRing(5_000))).containsExactly(FrameType.PONG);
        second.sendSocket(Frames.publish("q.x", "from the socket"));
        assertThat(Deliveries.in(first.receiveRing(5_000))).extracting(Deliveries.Delivery::payload)
            .containsExactly("from the socket");

        first.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.counters().get(BrokerCounters.SHM_CLIENTS) == 0);
        assertThat(attached("third")).as("the close gave the uid's bytes back").isNotNull();
    }

    @Test
    void withShmOffEveryClientStaysOnTheSocket() throws Exception
    {
        start(new BrokerContext().shm(false));
        final ShmTestClient c = open(new ShmTestClient(socket));
        assertThat(c.hello("off")).isFalse();
        assertThat(broker.counters().get(BrokerCounters.SHM_NOT_OFFERED)).isEqualTo(1);
    }

    @Test
    void nothingIsLeftBehindHoweverAShmClientGoes() throws Exception
    {
        start(new BrokerContext());
        final Leaks before = Leaks.now();
        // A clean close.
        for (int i = 0; i < 3; i++)
        {
            final ShmTestClient c = new ShmTestClient(socket);
            assertThat(c.hello("clean" + i)).isTrue();
            c.attach();
            c.publishRing(Frames.concat(Frames.subscribe(1, "l.>"), Frames.ping(1)));
            assertThat(c.receiveRing(5_000)).isNotNull();
            c.close();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Leaks.now()).isEqualTo(before));

        // The socket goes while the client still holds its mapping and eventfds (as a process killed with -9
        // whose memory outlives it for a moment): the broker's own go at once.
        final ShmTestClient killed = new ShmTestClient(socket);
        assertThat(killed.hello("killed")).isTrue();
        killed.attach();
        final Leaks withClient = Leaks.now();
        assertThat(withClient.mappings()).as("the broker's mapping and the client's two").isEqualTo(
            before.mappings() + 3);
        assertThat(withClient.eventfds()).as("two each side").isEqualTo(before.eventfds() + 4);
        killed.closeSocket();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Leaks.now())
            .isEqualTo(new Leaks(before.mappings() + 2, before.memfds(), before.eventfds() + 2)));
        assertThat(broker.counters().get(BrokerCounters.SHM_CLIENTS)).isZero();
        killed.close();
        assertThat(Leaks.now()).isEqualTo(before);

        // Offered, never attached, gone.
        final ShmTestClient early = new ShmTestClient(socket);
        assertThat(early.hello("early")).isTrue();
        early.close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Leaks.now()).isEqualTo(before));
    }

    @Test
    void theBrokerStoppingLeavesNothingBehind() throws Exception
    {
        final Leaks before = Leaks.now();
        start(new BrokerContext());
        final ShmTestClient c = open(new ShmTestClient(socket));
        assertThat(c.hello("stays")).isTrue();
        c.attach();
        c.publishRing(Frames.concat(Frames.subscribe(1, "z.>"), Frames.ping(1)));
        assertThat(c.receiveRing(5_000)).isNotNull();
        broker.close();
        broker = null;
        assertThat(c.awaitRingError(5_000).code()).isEqualTo(io.seqbus.wire.ErrorCode.SHUTTING_DOWN);
        c.close();
        assertThat(Leaks.now()).isEqualTo(before);
    }

    private ShmTestClient attached(final String name) throws IOException
    {
        final ShmTestClient c = open(new ShmTestClient(socket));
        assertThat(c.hello(name)).as("offered rings").isTrue();
        c.attach();
        return c;
    }

    private <T extends AutoCloseable> T open(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    static List<Integer> types(final byte[] datagram)
    {
        assertThat(datagram).as("a datagram").isNotNull();
        final List<Integer> types = new ArrayList<>();
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        for (int at = 0; at < datagram.length; at += Protocol.frameLength(b, at))
        {
            types.add(Protocol.frameType(b, at));
        }
        return types;
    }

    private static List<Long> sequence(final int n)
    {
        final List<Long> l = new ArrayList<>();
        for (long i = 1; i <= n; i++)
        {
            l.add(i);
        }
        return l;
    }

    /** This process's (the broker's and the test clients') shared-memory mappings, memfds and eventfds. */
    record Leaks(long mappings, int memfds, int eventfds)
    {
        static Leaks now() throws IOException
        {
            final long mappings = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter((l) -> l.contains("/memfd:seqbus-shm")).count();
            return new Leaks(mappings, FdClient.openDescriptors("/memfd:seqbus-shm"),
                FdClient.openDescriptors("anon_inode:[eventfd]"));
        }
    }
}

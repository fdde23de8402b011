package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.Memfd;
import io.seqbus.sys.RingWriter;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.ShmAttachFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client writes into its from_client ring (and beside it on its socket) what no client should, while a good
 * socket publisher and subscriber run: the broker refuses that client with a fatal ERROR through its to_client
 * ring and closes it, counts it, and the good pair loses nothing and sees nothing.
 */
class ShmCorruptionTest
{
    private static final int MESSAGES = 1_000;

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** One way to break the rules of SPEC.md "Shared memory". */
    enum Corruption
    {
        TAIL_PAST_CAPACITY, TAIL_BEHIND_HEAD, LENGTH_BELOW_HEADER, LENGTH_PAST_END, LENGTH_PAST_TAIL, BODY_OVER_MAX,
        EMPTY_BODY, UNKNOWN_TYPE, PADDING_NOT_TO_END, FDS_RECORD_WITHOUT_SHM_FDS, SHM_FDS_COUNT_DIFFERS,
        SHM_FDS_NOT_ALONE, ATTACH_TWICE, GARBAGE_BODY
    }

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

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void theCorruptClientIsClosedAndTheGoodPairLosesNothing(final Corruption corruption) throws Exception
    {
        socket = dir.resolve("c.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING));
        final RawClient sub = open(new RawClient(socket).hello("good-sub"));
        sub.send(Frames.concat(Frames.subscribe(1, "g.>"), Frames.ping(1)));
        assertThat(sub.receive(5_000)).as("PONG").isNotNull();
        final ShmTestClient bad = open(new ShmTestClient(socket));
        assertThat(bad.hello("bad")).isTrue();
        bad.attach();
        // The bad client subscribes too, so deliveries to it are under way when it breaks the rules.
        bad.publishRing(Frames.concat(Frames.subscribe(1, "g.>"), Frames.ping(2)));
        assertThat(ShmHandshakeTest.types(bad.receiveRing(5_000))).containsExactly(FrameType.PONG);

        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread publisher = new Thread(() ->
        {
            try (RawClient pub = new RawClient(socket).hello("good-pub"))
            {
                for (int i = 0; i < MESSAGES; i++)
                {
                    pub.send(Frames.publish("g.x", Integer.toString(i)));
                }
                pub.send(Frames.ping(3));
                pub.receive(10_000);
            }
            catch (final Throwable t)
            {
                failed.set(t);
            }
        });
        publisher.start();
        corrupt(bad, corruption);

        final ErrorFrame error = bad.awaitRingError(10_000);
        assertThat(error.fatal()).isTrue();
        assertThat(error.code()).as(error.reason()).isEqualTo(corruption == Corruption.GARBAGE_BODY ?
            ErrorCode.UNKNOWN_FRAME_TYPE : ErrorCode.PROTOCOL_VIOLATION);
        await().atMost(Duration.ofSeconds(5)).until(bad::isClosedByBroker);
        if (corruption != Corruption.GARBAGE_BODY && corruption != Corruption.ATTACH_TWICE)
        {
            assertThat(broker.counters().get(BrokerCounters.SHM_CORRUPT)).isEqualTo(1);
        }

        publisher.join(30_000);
        assertThat(failed.get()).isNull();
        final List<String> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() ->
        {
            for (byte[] d = sub.receive(10); d != null; d = sub.receive(10))
            {
                assertThat(ShmHandshakeTest.types(d)).doesNotContain(FrameType.ERROR, FrameType.GAP);
                Deliveries.in(d).forEach((m) -> got.add(m.payload()));
            }
            return got.size() >= MESSAGES;
        });
        for (int i = 0; i < MESSAGES; i++)
        {
            assertThat(got.get(i)).isEqualTo(Integer.toString(i));
        }
        assertThat(broker.isHealthy()).isTrue();
        assertThat(broker.counters().get(BrokerCounters.SHM_CLIENTS)).isZero();
    }

    /** A to_client head the client moved out of range: no ERROR can go through that ring; the client is closed. */
    @Test
    void aCorruptToClientHeadClosesThatClientAlone() throws Exception
    {
        socket = dir.resolve("h.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING));
        final RawClient sub = open(new RawClient(socket).hello("good-sub"));
        sub.send(Frames.concat(Frames.subscribe(1, "h.>"), Frames.ping(1)));
        assertThat(sub.receive(5_000)).as("PONG").isNotNull();
        final ShmTestClient bad = open(new ShmTestClient(socket));
        assertThat(bad.hello("bad")).isTrue();
        bad.attach();
        bad.publishRing(Frames.concat(Frames.subscribe(1, "h.>"), Frames.ping(2)));
        assertThat(ShmHandshakeTest.types(bad.receiveRing(5_000))).containsExactly(FrameType.PONG);
        bad.raw().putLongVolatile(ShmTestClient.TO_CLIENT_HEAD, Long.MAX_VALUE / 2);
        try (RawClient pub = new RawClient(socket).hello("good-pub"))
        {
            pub.send(Frames.publish("h.x", "after"));
        }
        await().atMost(Duration.ofSeconds(5)).until(bad::isClosedByBroker);
        assertThat(broker.counters().get(BrokerCounters.SHM_CORRUPT)).isEqualTo(1);
        assertThat(Deliveries.in(sub.receive(5_000))).extracting(Deliveries.Delivery::payload).containsExactly("after");
    }

    /** A sealed memfd payload published through the ring (FRAMES_WITH_FDS and its SHM_FDS) reaches a subscriber. */
    @Test
    void aDescriptorRecordWithItsShmFdsIsDelivered() throws Exception
    {
        socket = dir.resolve("d.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).shmRingBytes(ShmHandshakeTest.RING));
        final FdClient sub = open(new FdClient(socket).hello(true));
        sub.send(Frames.concat(Frames.subscribe(1, "m.>"), Frames.ping(1)));
        assertThat(sub.receive(5_000)).isNotNull();
        final ShmTestClient pub = open(new ShmTestClient(socket));
        assertThat(pub.hello("fd-pub")).isTrue();
        pub.attach();
        try (Memfd payload = Memfd.create("shm-test-payload", 4096))
        {
            payload.write(0, ByteBuffer.allocateDirect(4096));
            payload.seal();
            pub.sendShmFds(1, payload.fd());
            pub.writeRecord(FdClient.publishMemfd("m.x", 4096), RingWriter.FRAMES_WITH_FDS);
        }
        final FdClient.Datagram d = sub.receive(5_000);
        assertThat(d).isNotNull();
        d.closeDescriptors();
        assertThat(Protocol.frameType(d.buffer(), 0)).isEqualTo(FrameType.DELIVER_FDS);
        assertThat(d.fds()).hasSize(1);
        assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED)).isEqualTo(1);
    }

    private void corrupt(final ShmTestClient bad, final Corruption corruption) throws IOException
    {
        final UnsafeBuffer raw = bad.raw();
        final int base = bad.fromClientBase();
        final int capacity = bad.fromClientCapacity();
        switch (corruption)
        {
            case TAIL_PAST_CAPACITY -> raw.putLongVolatile(ShmTestClient.FROM_CLIENT_TAIL,
                raw.getLongVolatile(ShmTestClient.FROM_CLIENT_HEAD) + capacity + 8L);
            case TAIL_BEHIND_HEAD -> raw.putLongVolatile(ShmTestClient.FROM_CLIENT_TAIL, -8L);
            case LENGTH_BELOW_HEADER -> record(raw, base, capacity, 4, RingWriter.FRAMES, 8);
            case LENGTH_PAST_END -> record(raw, base, capacity, capacity + 8, RingWriter.FRAMES, 16);
            case LENGTH_PAST_TAIL -> record(raw, base, capacity, 64, RingWriter.FRAMES, 16);
            case BODY_OVER_MAX ->
            {
                final int length = RingWriter.HEADER_LENGTH + Protocol.DEFAULT_MAX_DATAGRAM + 8;
                record(raw, base, capacity, length, RingWriter.FRAMES, length);
            }
            case EMPTY_BODY -> record(raw, base, capacity, RingWriter.HEADER_LENGTH, RingWriter.FRAMES, 8);
            case UNKNOWN_TYPE -> record(raw, base, capacity, 16, 7, 16);
            case PADDING_NOT_TO_END -> record(raw, base, capacity, 16, RingWriter.PADDING, 16);
            case FDS_RECORD_WITHOUT_SHM_FDS ->
                bad.writeRecord(Frames.publish("g.y", "no descriptors came"), RingWriter.FRAMES_WITH_FDS);
            case SHM_FDS_COUNT_DIFFERS ->
            {
                try (Memfd payload = Memfd.create("shm-test-payload", 4096))
                {
                    payload.seal();
                    bad.sendShmFds(2, payload.fd());
                    bad.writeRecord(FdClient.publishMemfd("g.y", 4096), RingWriter.FRAMES_WITH_FDS);
                }
            }
            case SHM_FDS_NOT_ALONE ->
            {
                try (Memfd payload = Memfd.create("shm-test-payload", 4096))
                {
                    payload.seal();
                    bad.sendSocket(Frames.concat(Frames.ping(9), Frames.ping(9)), payload.fd());
                    bad.writeRecord(FdClient.publishMemfd("g.y", 4096), RingWriter.FRAMES_WITH_FDS);
                }
            }
            case ATTACH_TWICE ->
            {
                final UnsafeBuffer b = new UnsafeBuffer(new byte[ShmAttachFrame.LENGTH]);
                ShmAttachFrame.encode(b, 0);
                bad.publishRing(b.byteArray());
            }
            case GARBAGE_BODY ->
            {
                final UnsafeBuffer b = new UnsafeBuffer(new byte[24]);
                Protocol.putHeader(b, 0, 24, 0x7F);
                b.putLong(8, 0xDEAD_BEEF_0BAD_F00DL);
                bad.publishRing(b.byteArray());
            }
            default -> throw new AssertionError(corruption);
        }
        bad.wakeBroker();
    }

    /**
     * Writes one record header where the broker reads next (its head) and commits it, as a writer would.
     *
     * @param span bytes the tail moves past the head.
     */
    private static void record(
        final UnsafeBuffer raw, final int base, final int capacity, final int length, final int type, final long span)
    {
        final long head = raw.getLongVolatile(ShmTestClient.FROM_CLIENT_HEAD);
        final int index = base + (int)(head & (capacity - 1));
        raw.putInt(index, length);
        raw.putInt(index + 4, type);
        raw.putLongVolatile(ShmTestClient.FROM_CLIENT_TAIL, head + span);
    }

    private <T extends AutoCloseable> T open(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }
}

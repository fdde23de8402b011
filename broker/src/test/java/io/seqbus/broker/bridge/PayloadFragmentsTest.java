package io.seqbus.broker.bridge;

import io.aeron.Aeron;
import io.aeron.ControlledFragmentAssembler;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.seqbus.sys.LibC;
import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;
import io.seqbus.sys.SealedMemfd;
import io.seqbus.wire.FragmentFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.NodeFrame;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Memfd payloads over the LAN: the bridge's encoder chunks them into FRAGMENTs on its one publication and the
 * decoder reassembles them into new sealed memfds, through a real embedded Aeron media driver on loopback UDP.
 * Bytes arrive identical (CRC32) and in order with the small messages around them, under Aeron back pressure
 * (small terms, a slow reader), with and without a key; a fragment lost beyond Aeron's repair (dropped here before
 * the decoder), a sender restarting mid-payload, or a payload over the receiver's bound costs exactly that message,
 * with a GAP, and no memfd stays open.
 */
class PayloadFragmentsTest
{
    private static final int SENDER_NODE = 0x0A0A0A0A;
    private static final int RECEIVER_NODE = 0x0B0B0B0B;
    private static final int STREAM = 7301;
    private static final long MIB = 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SOURCE_MEMFD = "lan-test-source";
    private static final String RECEIVED_MEMFD = "seqbus-lan";
    private static final byte[] KEY = new byte[32];

    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private final Received bus = new Received();
    private final BridgeCounters senderCounters = new BridgeCounters();
    private final BridgeCounters receiverCounters = new BridgeCounters();
    private EmbeddedDriver driver;
    private Aeron aeron;
    private Subscription subscription;
    private ControlledFragmentAssembler assembler;
    private PayloadAssembler payloads;
    private LongPredicate dropFragmentAt = (offset) -> false;
    private LongPredicate repeatFragmentAt = (offset) -> false;
    private int fragmentsDropped;
    private int pollLimit = 64;
    private long nextSequence = 1;

    @AfterEach
    void closeAll() throws Exception
    {
        if (payloads != null)
        {
            payloads.close();
        }
        for (int i = closeLast.size() - 1; i >= 0; i--)
        {
            closeLast.get(i).close();
        }
        assertThat(openMemfds(RECEIVED_MEMFD)).as("received memfds left open").isZero();
        assertThat(openMemfds(SOURCE_MEMFD)).as("source memfds left open").isZero();
        assertThat(mappedSources()).as("source memfds left mapped").isZero();
    }

    @Test
    void payloadsOfEverySizeArriveIdenticalAndInOrderWithSmallMessages() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, 8 * MIB, 1);
        final int fragment = encoder.fragmentBytes();
        assertThat(fragment).as("an Aeron message of a 4 MiB term is 512 KiB").isLessThanOrEqualTo((int)MIB);
        final long[] sizes = {0, 1, fragment - 1, fragment, fragment + 1, 3 * MIB + 17, 8 * MIB, 8 * MIB};
        final List<Long> expected = new ArrayList<>();
        for (final long size : sizes)
        {
            expected.add(small(encoder, "shared.small"));
            expected.add(memfd(encoder, "shared.big", size));
        }
        expected.add(small(encoder, "shared.small"));

        pumpUntil(encoder, () -> bus.messages.size() == expected.size());

        assertThat(bus.messages).extracting(m -> m.crc).containsExactlyElementsOf(expected);
        assertThat(bus.messages).extracting(m -> m.sequence).isSorted();
        assertThat(bus.messages).filteredOn(m -> m.memfd).extracting(m -> m.size).containsExactly(
            Arrays.stream(sizes).boxed().toArray(Long[]::new));
        assertThat(bus.messages).filteredOn(m -> m.memfd).allMatch(m -> m.seals == SealedMemfd.ALL_SEALS, "sealed");
        assertThat(bus.messages).filteredOn(m -> m.memfd).allMatch(m -> m.topic.equals("shared.big"));
        assertThat(bus.gaps).isEmpty();
        assertThat(senderCounters.get(BridgeCounters.PAYLOADS_OUT)).isEqualTo(sizes.length);
        assertThat(receiverCounters.get(BridgeCounters.PAYLOADS_IN)).isEqualTo(sizes.length);
        assertThat(receiverCounters.get(BridgeCounters.MESSAGES_IN)).isEqualTo(expected.size());
        assertThat(senderCounters.get(BridgeCounters.PAYLOAD_BACKLOG_BYTES)).isZero();
        assertThat(encoder.payloadsQueued()).isZero();
    }

    @Test
    void aSmallTermAndASlowReaderPushBackAndNothingIsTruncated() throws Exception
    {
        pollLimit = 1;
        final BridgeEncoder encoder = start(64 * 1024, null, 8 * MIB, 1);
        assertThat(encoder.fragmentBytes()).as("an Aeron message of a 64 KiB term is 8 KiB").isLessThan(8192);
        final List<Long> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            expected.add(memfd(encoder, "shared.big", 2 * MIB + i));
            expected.add(small(encoder, "shared.small"));
        }

        pumpUntil(encoder, () -> bus.messages.size() == expected.size());

        assertThat(bus.messages).extracting(m -> m.crc).containsExactlyElementsOf(expected);
        assertThat(senderCounters.get(BridgeCounters.BACK_PRESSURE)).as("Aeron pushed back").isPositive();
        assertThat(bus.gaps).isEmpty();
    }

    @Test
    void withASharedKeyEveryFragmentIsSignedAndVerified() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, KEY, 8 * MIB, 1);
        final List<Long> expected = List.of(memfd(encoder, "shared.big", 8 * MIB), small(encoder, "shared.small"));

        pumpUntil(encoder, () -> bus.messages.size() == expected.size());

        assertThat(bus.messages).extracting(m -> m.crc).containsExactlyElementsOf(expected);
        assertThat(receiverCounters.get(BridgeCounters.UNAUTHENTICATED_DATAGRAMS)).isZero();
    }

    @Test
    void aLostFragmentCostsThatPayloadOnlyWithAGapAndItsMemfdIsClosed() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, 8 * MIB, 1);
        final long fragment = encoder.fragmentBytes();
        dropFragmentAt = (offset) -> offset == 2 * fragment;
        final long before = small(encoder, "shared.small");
        memfd(encoder, "shared.big", 8 * MIB);
        pumpUntil(encoder, () -> receiverCounters.get(BridgeCounters.PAYLOADS_LOST) == 1);
        assertThat(openMemfds(RECEIVED_MEMFD)).as("the partial payload's memfd is closed at once").isZero();

        dropFragmentAt = (offset) -> false;
        final long after = memfd(encoder, "shared.big", 5 * MIB);
        final long last = small(encoder, "shared.small");
        pumpUntil(encoder, () -> bus.messages.size() == 3);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(before, after, last);
        assertThat(bus.gaps).containsExactly(new Gap(SENDER_NODE, 1, GapReason.BRIDGE_LOSS));
        assertThat(receiverCounters.get(BridgeCounters.MESSAGES_LOST)).isEqualTo(1);
        assertThat(receiverCounters.get(BridgeCounters.FRAGMENTS_DROPPED)).as("the rest of the lost payload")
            .isPositive();
    }

    @Test
    void aFragmentSeenTwiceIsDroppedAndThePayloadCompletes() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, 8 * MIB, 1);
        final long fragment = encoder.fragmentBytes();
        repeatFragmentAt = (offset) -> offset == fragment;
        final long payload = memfd(encoder, "shared.big", 3 * fragment);

        pumpUntil(encoder, () -> bus.messages.size() == 1);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(payload);
        assertThat(bus.gaps).isEmpty();
        assertThat(receiverCounters.get(BridgeCounters.FRAGMENTS_DROPPED)).isEqualTo(1);
    }

    @Test
    void theLastFragmentLostTooTheNextMessageEndsThePayload() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, 8 * MIB, 1);
        final long fragment = encoder.fragmentBytes();
        dropFragmentAt = (offset) -> offset == fragment;
        memfd(encoder, "shared.big", 2 * fragment);
        final long next = small(encoder, "shared.small");

        pumpUntil(encoder, () -> bus.messages.size() == 1);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(next);
        assertThat(bus.gaps).containsExactly(new Gap(SENDER_NODE, 1, GapReason.BRIDGE_LOSS));
    }

    @Test
    void aSenderThatRestartsMidPayloadLosesItAndItsMemfdIsClosed() throws Exception
    {
        final BridgeEncoder first = start(4 * MIB, null, 8 * MIB, 1);
        final long fragment = first.fragmentBytes();
        // Everything after the first fragment stays in the first instance, which then dies.
        dropFragmentAt = (offset) -> offset >= fragment;
        memfd(first, "shared.big", 8 * MIB);
        final int fragments = (int)((8 * MIB + fragment - 1) / fragment);
        pumpUntil(first, () -> fragmentsDropped == fragments - 1);
        assertThat(openMemfds(RECEIVED_MEMFD)).as("one payload in progress").isEqualTo(1);

        dropFragmentAt = (offset) -> false;
        final BridgeEncoder second = encoder(4 * MIB, null, 2);
        final long afterRestart = memfd(second, "shared.big", MIB);
        pumpUntil(second, () -> bus.messages.size() == 1);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(afterRestart);
        assertThat(bus.gaps).contains(new Gap(SENDER_NODE, 1, GapReason.BRIDGE_LOSS));
        assertThat(receiverCounters.get(BridgeCounters.PAYLOADS_LOST)).isEqualTo(1);
    }

    @Test
    void aPayloadOverTheReceiversBoundIsDroppedWithAGapAndNoMemfd() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, MIB, 1);
        memfd(encoder, "shared.big", MIB + 1);
        final long atTheBound = memfd(encoder, "shared.big", MIB);
        final long next = small(encoder, "shared.small");

        pumpUntil(encoder, () -> bus.messages.size() == 2);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(atTheBound, next);
        assertThat(bus.gaps).containsExactly(new Gap(SENDER_NODE, 1, GapReason.BRIDGE_LOSS));
        assertThat(receiverCounters.get(BridgeCounters.FRAGMENTS_DROPPED)).isPositive();
    }

    @Test
    void aPayloadOnATopicTheReceiverDoesNotShareIsFilteredWithoutAMemfd() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, 8 * MIB, 1);
        memfd(encoder, "private.big", 2 * MIB);
        final long next = small(encoder, "shared.small");

        pumpUntil(encoder, () -> bus.messages.size() == 1);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(next);
        assertThat(bus.gaps).isEmpty();
        assertThat(receiverCounters.get(BridgeCounters.MESSAGES_FILTERED)).isEqualTo(1);
    }

    @Test
    void aPayloadThatCannotBeMappedIsSkippedAndItsReceiversCountItLost() throws Exception
    {
        final BridgeEncoder encoder = start(4 * MIB, null, 8 * MIB, 1);
        final long before = small(encoder, "shared.small");
        final UnsafeBuffer topic = topicThen("shared.big", new byte[0]);
        // Not a descriptor: mmap fails (EBADF), as it would for ENOMEM.
        encoder.appendMemfd(topic, 0, topic.capacity(), -1, 4096, SENDER_NODE, 5, nextSequence++, 0, 0, 0);
        final long after = small(encoder, "shared.small");

        pumpUntil(encoder, () -> bus.messages.size() == 2);

        assertThat(bus.messages).extracting(m -> m.crc).containsExactly(before, after);
        assertThat(bus.gaps).containsExactly(new Gap(SENDER_NODE, 1, GapReason.BRIDGE_LOSS));
        assertThat(senderCounters.get(BridgeCounters.MESSAGES_UNSENT)).isEqualTo(1);
        assertThat(encoder.payloadsQueued()).isZero();
        assertThat(encoder.payloadBacklogBytes()).isZero();
    }

    @Test
    void withNobodyListeningAPayloadIsLetGoAndUnmapped() throws Exception
    {
        start(4 * MIB, null, 8 * MIB, 1);
        final ExclusivePublication alone = aeron.addExclusivePublication(
            "aeron:udp?endpoint=127.0.0.1:47452|term-length=" + 4 * MIB, STREAM);
        closeLast.add(alone);
        final BridgeEncoder encoder = new BridgeEncoder(alone, senderCounters, SENDER_NODE, 3, 2048, null);
        memfd(encoder, "shared.big", 2 * MIB);
        assertThat(mappedSources()).as("mapped until sent").isEqualTo(1);

        encoder.drain();

        assertThat(encoder.payloadsQueued()).isZero();
        assertThat(encoder.payloadBacklogBytes()).isZero();
        assertThat(senderCounters.get(BridgeCounters.MESSAGES_UNSENT)).isEqualTo(1);
        assertThat(mappedSources()).as("unmapped").isZero();
    }

    @Test
    void aRequestCrossesWithItsHeaderFlagAndBlock()
    {
        final BridgeEncoder encoder = start(64 * 1024, null, 8 * MIB, 1);
        final String topic = "shared.svc";
        // The header block k=v, k=w (SPEC.md's PUBLISH HEADERS vector), then the payload "hi".
        final byte[] payload = {0x0c, 0, 1, 'k', 1, 0, 'v', 1, 'k', 1, 0, 'w', 'h', 'i'};
        final UnsafeBuffer buffer = topicThen(topic, payload);
        encoder.appendRequest(buffer, 0, topic.length(), payload.length, SENDER_NODE, 5, nextSequence++, 0, 0, 0,
            0x0A0A0A0A00000105L, Protocol.FLAG_HEADERS);
        encoder.appendRequest(buffer, 0, topic.length(), 2, SENDER_NODE, 5, nextSequence++, 0, 0, 0,
            0x0A0A0A0A00000205L, 0);
        pumpUntil(encoder, () -> bus.requests.size() == 2);
        assertThat(bus.requests).containsExactly(
            "shared.svc a0a0a0a00000105 flag 1 0c00016b010076016b0100776869",
            "shared.svc a0a0a0a00000205 flag 0 0c00");
    }

    // ---- the link: one encoder (or two, a restart) to one decoder over loopback UDP ----

    private BridgeEncoder start(final long termLength, final byte[] key, final long receiverMaxPayload,
        final long instanceId)
    {
        final String dir = "/dev/shm/lan-payload-test-" + ProcessHandle.current().pid();
        driver = EmbeddedDriver.launch(dir, 2 * 1024 * 1024, bus);
        closeLast.add(driver);
        closeLast.add(runDriver(driver));
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir));
        closeLast.add(aeron);
        subscription = aeron.addSubscription(channel(termLength), STREAM);
        final PeerTable peers = new PeerTable(receiverCounters);
        final GapDetector gaps = new GapDetector(bus, peers, receiverCounters);
        payloads = new PayloadAssembler(bus, gaps, receiverCounters, receiverMaxPayload);
        final BridgeDecoder decoder = new BridgeDecoder(RECEIVER_NODE, 99, bus,
            new SharedTopics(List.of("shared.>")), peers, gaps, payloads, receiverCounters,
            key == null ? null : new LanAuthenticator(key));
        assembler = new ControlledFragmentAssembler(dropping(decoder));
        return encoder(termLength, key, instanceId);
    }

    /**
     * The broker agent runs its driver's duty cycle; here a thread of the test does, as this test's Aeron client and
     * its sender and receiver are not a broker agent.
     */
    private static AutoCloseable runDriver(final EmbeddedDriver driver)
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread = new Thread(() ->
        {
            while (!stop.get())
            {
                if (driver.doWork(System.nanoTime()) == 0)
                {
                    LockSupport.parkNanos(50_000);
                }
            }
        }, "test-driver");
        thread.setDaemon(true);
        thread.start();
        return () ->
        {
            stop.set(true);
            thread.join();
        };
    }

    private BridgeEncoder encoder(final long termLength, final byte[] key, final long instanceId)
    {
        final ExclusivePublication publication = aeron.addExclusivePublication(channel(termLength), STREAM);
        closeLast.add(publication);
        await().atMost(WAIT).until(publication::isConnected);
        return new BridgeEncoder(publication, senderCounters, SENDER_NODE, instanceId, 2048,
            key == null ? null : new LanAuthenticator(key));
    }

    private static String channel(final long termLength)
    {
        return "aeron:udp?endpoint=127.0.0.1:47451|term-length=" + termLength;
    }

    /** Drops chosen FRAGMENT datagrams before the decoder: loss Aeron could not repair. */
    private ControlledFragmentHandler dropping(final BridgeDecoder decoder)
    {
        return (buffer, offset, length, header) ->
        {
            final int second = offset + NodeFrame.LENGTH;
            if (second < offset + length && Protocol.frameType(buffer, second) == FrameType.FRAGMENT &&
                dropFragmentAt.test(buffer.getLong(second + FragmentFrame.PAYLOAD_OFFSET_OFFSET, Protocol.BYTE_ORDER)))
            {
                fragmentsDropped++;
                return ControlledFragmentHandler.Action.CONTINUE;
            }
            if (second < offset + length && Protocol.frameType(buffer, second) == FrameType.FRAGMENT &&
                repeatFragmentAt.test(buffer.getLong(second + FragmentFrame.PAYLOAD_OFFSET_OFFSET, Protocol.BYTE_ORDER)))
            {
                decoder.onFragment(buffer, offset, length, header);
            }
            return decoder.onFragment(buffer, offset, length, header);
        };
    }

    private void pumpUntil(final BridgeEncoder encoder, final BooleanSupplier done)
    {
        await().atMost(WAIT).pollInSameThread().pollInterval(Duration.ofMillis(1)).until(() ->
        {
            for (int i = 0; i < 100; i++)
            {
                encoder.drain();
                subscription.controlledPoll(assembler, pollLimit);
            }
            return done.getAsBoolean();
        });
    }

    // ---- what goes in ----

    private long small(final BridgeEncoder encoder, final String topic)
    {
        final byte[] payload = ("small " + nextSequence).getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = topicThen(topic, payload);
        encoder.append(buffer, 0, topic.length(), payload.length, SENDER_NODE, 5, nextSequence++, 0, 0, 0, 0);
        return crc(payload);
    }

    /** Publishes a payload from a sealed memfd that is closed right after, as the broker's caller does. */
    private long memfd(final BridgeEncoder encoder, final String topic, final long size) throws IOException
    {
        final byte[] bytes = new byte[(int)size];
        new Random(size * 31 + nextSequence).nextBytes(bytes);
        try (Memfd memfd = Memfd.create(SOURCE_MEMFD, size))
        {
            memfd.write(0, ByteBuffer.wrap(bytes));
            memfd.seal();
            encoder.appendMemfd(topicThen(topic, new byte[0]), 0, topic.length(), memfd.fd(), size, SENDER_NODE, 5,
                nextSequence++, 0, 0, 0);
        }
        return crc(bytes);
    }

    private static UnsafeBuffer topicThen(final String topic, final byte[] payload)
    {
        final byte[] t = topic.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[t.length + payload.length]);
        buffer.putBytes(0, t);
        buffer.putBytes(t.length, payload);
        return buffer;
    }

    private static long crc(final byte[] bytes)
    {
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    // ---- what comes out ----

    record Message(String topic, long sequence, long crc, long size, boolean memfd, int seals)
    {
    }

    record Gap(int sourceNode, long count, int reason)
    {
    }

    /** The receiving broker's side: checks and closes every memfd it is given. */
    static class Received implements LocalBus
    {
        final List<Message> messages = new ArrayList<>();
        final List<Gap> gaps = new ArrayList<>();
        final List<String> requests = new ArrayList<>();

        @Override
        public void deliverRequestFromLan(
            final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
            final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
            final int pid, final long replyToken, final int headerFlag)
        {
            final byte[] payload = new byte[payloadLength];
            buffer.getBytes(topicIndex + topicLength, payload);
            requests.add(buffer.getStringWithoutLengthAscii(topicIndex, topicLength) + " " +
                Long.toHexString(replyToken) + " flag " + headerFlag + " " + org.agrona.BitUtil.toHex(payload));
        }

        @Override
        public void deliverFromLan(
            final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
            final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
            final int pid)
        {
            final byte[] payload = new byte[payloadLength];
            buffer.getBytes(topicIndex + topicLength, payload);
            messages.add(new Message(buffer.getStringWithoutLengthAscii(topicIndex, topicLength), sequence,
                crc(payload), payloadLength, false, 0));
        }

        @Override
        public void deliverMemfdFromLan(
            final DirectBuffer topicBuffer, final int topicIndex, final int topicLength, final int memfd,
            final long payloadSize, final int sourceNode, final long publisherId, final long sequence,
            final long timestampNs, final int uid, final int pid)
        {
            final CRC32 crc = new CRC32();
            try (Mapping mapping = Mapping.readOnly(memfd, payloadSize))
            {
                crc.update(mapping.buffer());
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
            final int seals = LibC.fcntl(memfd, LibC.F_GET_SEALS, 0);
            LibC.close(memfd);
            messages.add(new Message(topicBuffer.getStringWithoutLengthAscii(topicIndex, topicLength), sequence,
                crc.getValue(), payloadSize, true, seals));
        }

        @Override
        public int gapToSharedSubscriptions(final int sourceNode, final long count, final int reason)
        {
            gaps.add(new Gap(sourceNode, count, reason));
            return 1;
        }

        @Override
        public boolean isFull()
        {
            return false;
        }
    }

    private static long openMemfds(final String name) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(fd ->
            {
                try
                {
                    return Files.readSymbolicLink(fd).toString().startsWith("/memfd:" + name + " ");
                }
                catch (final IOException ex)
                {
                    return false; // closed since the listing
                }
            }).count();
        }
    }

    private static long mappedSources() throws IOException
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps")))
        {
            return lines.filter(l -> l.contains("/memfd:" + SOURCE_MEMFD + " ")).count();
        }
    }
}

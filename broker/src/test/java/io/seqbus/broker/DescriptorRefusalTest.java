package io.seqbus.broker;

import io.seqbus.broker.acl.AclRule;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.LibC;
import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every descriptor refusal of SPEC.md "Descriptors" against a real broker (in this process), from a raw client
 * that passes descriptors with sendmsg: each gets its code, fatal or not as SPEC.md says, the broker keeps none of
 * the descriptors (its /proc/self/fd links to them go back to where they were), a refused publish takes no
 * sequence number, and a publisher and subscriber alongside lose nothing.
 */
class DescriptorRefusalTest
{
    private static final String MARKER = "ingress-refusal";
    private static final int PER_MESSAGE = 4;
    private static final int PER_DATAGRAM = 8;
    private static final long MAX_MEMFD = 1024 * 1024;

    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private RawClient bystanderSub;
    private RawClient bystanderPub;
    private FdClient memfdSub;
    private FdClient memfdPub;
    private int published;
    private int memfdsPublished;
    private int memfdsReceived;
    private final List<Deliveries.Delivery> bystanderGot = new ArrayList<>();

    /** How the offender connects before it sends the offending datagram. */
    enum Handshake
    {
        /** The offending datagram is the HELLO itself. */
        NONE,
        /** HELLO without DESCRIPTORS. */
        PLAIN,
        /** HELLO with DESCRIPTORS. */
        DESCRIPTORS
    }

    /** What an offender sends: a datagram, the descriptors attached, and what the test must close. */
    record Offence(byte[] datagram, int[] fds, List<AutoCloseable> owned)
    {
    }

    @FunctionalInterface
    interface OffenceMaker
    {
        Offence make(Path dir) throws Exception;
    }

    @BeforeEach
    void start() throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test")
            .maxDescriptorsPerMessage(PER_MESSAGE).maxDescriptorsPerDatagram(PER_DATAGRAM)
            .maxDescriptorMessagesHeld(64).maxMemfdSize(MAX_MEMFD));
        bystanderSub = new RawClient(socket).hello();
        bystanderSub.send(Frames.subscribe(1, "ok.>"));
        bystanderPub = new RawClient(socket).hello();
        memfdSub = new FdClient(socket).hello(true);
        memfdSub.send(Frames.subscribe(1, "good.memfd"));
        memfdPub = new FdClient(socket).hello(true);
        publishBystander(1);
        awaitBystander();
    }

    @AfterEach
    void stop() throws IOException
    {
        memfdSub.close();
        memfdPub.close();
        bystanderSub.close();
        bystanderPub.close();
        broker.close();
    }

    static Stream<Arguments> offences()
    {
        return Stream.of(
            Arguments.of("unsealed memfd", Handshake.DESCRIPTORS, (OffenceMaker)(d) ->
            {
                final Memfd m = Memfd.create(MARKER, 4096);
                return new Offence(FdClient.publishMemfd("ok.fd", 4096), new int[]{m.fd()}, List.of(m::close));
            }, ErrorCode.BAD_DESCRIPTOR, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_NOT_SEALED}),
            Arguments.of("sealed memfd of another size than the frame says", Handshake.DESCRIPTORS, (OffenceMaker)(d) ->
            {
                final Memfd m = sealed(4096);
                return new Offence(FdClient.publishMemfd("ok.fd", 4097), new int[]{m.fd()}, List.of(m::close));
            }, ErrorCode.BAD_DESCRIPTOR, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_SIZE}),
            Arguments.of("regular file as payload", Handshake.DESCRIPTORS, (OffenceMaker)(d) ->
            {
                final RandomAccessFile f = new RandomAccessFile(d.resolve(MARKER + "-file").toFile(), "rw");
                f.setLength(4096);
                return new Offence(FdClient.publishMemfd("ok.fd", 4096), new int[]{LibC.fd(f.getFD())},
                    List.of(f));
            }, ErrorCode.BAD_DESCRIPTOR, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_NOT_MEMFD,
                // A file of a tmpfs /tmp answers F_GET_SEALS with F_SEAL_SEAL alone: not sealed rather than no memfd.
                BrokerCounters.DESCRIPTOR_REFUSALS_NOT_SEALED}),
            Arguments.of("pipe as payload", Handshake.DESCRIPTORS, (OffenceMaker)(d) ->
            {
                final Path fifo = d.resolve(MARKER + "-fifo");
                assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
                final RandomAccessFile f = new RandomAccessFile(fifo.toFile(), "rw"); // O_RDWR: does not block
                return new Offence(FdClient.publishMemfd("ok.fd", 0), new int[]{LibC.fd(f.getFD())}, List.of(f));
            }, ErrorCode.BAD_DESCRIPTOR, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_NOT_MEMFD}),
            Arguments.of("descriptors besides the payload on a topic without pass_fds", Handshake.DESCRIPTORS,
                (OffenceMaker)(d) -> plain(2, FdClient.publishFds("ok.fd", 2, 0, 0, "hi".getBytes())),
                ErrorCode.DESCRIPTORS_DENIED, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_DENIED}),
            Arguments.of("more descriptors than max_descriptors_per_message", Handshake.DESCRIPTORS,
                (OffenceMaker)(d) -> plain(PER_MESSAGE + 1,
                    FdClient.publishFds("ok.fd", PER_MESSAGE + 1, 0, 0, "hi".getBytes())),
                ErrorCode.TOO_MANY_DESCRIPTORS, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_TOO_MANY}),
            Arguments.of("memfd over max_memfd_size", Handshake.DESCRIPTORS, (OffenceMaker)(d) ->
            {
                final Memfd m = sealed(MAX_MEMFD + 1);
                return new Offence(FdClient.publishMemfd("ok.fd", MAX_MEMFD + 1), new int[]{m.fd()},
                    List.of(m::close));
            }, ErrorCode.PAYLOAD_TOO_LARGE, false, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_TOO_LARGE}),
            Arguments.of("truncated control message: more than max_descriptors_per_datagram", Handshake.DESCRIPTORS,
                (OffenceMaker)(d) -> plain(PER_DATAGRAM + 1, Frames.concat(
                    FdClient.publishFds("ok.fd", PER_MESSAGE, 0, 0, new byte[0]),
                    FdClient.publishFds("ok.fd", PER_MESSAGE, 0, 0, new byte[0]),
                    FdClient.publishFds("ok.fd", 1, 0, 0, new byte[0]))),
                ErrorCode.DESCRIPTORS_TRUNCATED, true, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_TRUNCATED}),
            Arguments.of("fd_counts that do not add up", Handshake.DESCRIPTORS, (OffenceMaker)(d) ->
            {
                final Memfd m = sealed(16);
                final Memfd extra = Memfd.create(MARKER, 16);
                return new Offence(FdClient.publishMemfd("ok.fd", 16), new int[]{m.fd(), extra.fd()},
                    List.of(m::close, extra::close));
            }, ErrorCode.DESCRIPTOR_MISMATCH, true, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH}),
            Arguments.of("descriptors without DESCRIPTORS in HELLO", Handshake.PLAIN, (OffenceMaker)(d) ->
            {
                final Memfd m = sealed(16);
                return new Offence(FdClient.publishMemfd("ok.fd", 16), new int[]{m.fd()}, List.of(m::close));
            }, ErrorCode.DESCRIPTOR_MISMATCH, true, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH}),
            Arguments.of("descriptors with the HELLO, before WELCOME", Handshake.NONE, (OffenceMaker)(d) ->
            {
                final Memfd m = sealed(16);
                return new Offence(Frames.hello(1, 1, "early"), new int[]{m.fd()}, List.of(m::close));
            }, ErrorCode.DESCRIPTOR_MISMATCH, true, new int[]{BrokerCounters.DESCRIPTOR_REFUSALS_MISMATCH}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("offences")
    void refusedWithItsCodeNothingLeakedNoSequenceTaken(
        final String name, final Handshake handshake, final OffenceMaker maker, final int code, final boolean fatal,
        final int[] refusalCounters) throws Exception
    {
        final int before = FdClient.openDescriptors(MARKER);
        publishBystander(20);
        publishMemfds(5);
        try (FdClient offender = new FdClient(socket))
        {
            if (handshake != Handshake.NONE)
            {
                offender.hello(handshake == Handshake.DESCRIPTORS);
            }
            final Offence offence = maker.make(dir);
            offender.send(offence.datagram(), offence.fds());
            for (final AutoCloseable owned : offence.owned())
            {
                owned.close();
            }
            final ErrorFrame error = offender.awaitError(5_000);
            assertThat(error.code()).as(ErrorCode.name(error.code()) + ": " + error.reason()).isEqualTo(code);
            assertThat(error.fatal()).isEqualTo(fatal);
            if (code == ErrorCode.DESCRIPTORS_TRUNCATED)
            {
                assertThat(error.reason()).contains("max_descriptors_per_datagram " + PER_DATAGRAM)
                    .as("the broker's own open count against its limit").containsPattern("\\(\\d+ open, limit \\d+\\)");
            }
            if (!fatal)
            {
                // Its next publish is its first numbered one: the refused one took no sequence.
                offender.send(Frames.publish("ok.after", "after"));
                final Deliveries.Delivery after = awaitBystanderPayload("after");
                assertThat(after.sequence()).isEqualTo(1);
            }
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(FdClient.openDescriptors(MARKER)).as("descriptors left open in this process (the broker)")
                .isEqualTo(before));
        publishBystander(20);
        publishMemfds(5);
        awaitBystander();
        awaitMemfds();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(FdClient.openDescriptors("ingress-good")).as("the good memfds, all delivered and read").isZero());
        assertThat(broker.counters().rejected(code)).isEqualTo(1);
        long refusals = 0;
        for (final int counter : refusalCounters)
        {
            refusals += broker.counters().get(counter);
        }
        assertThat(refusals).isEqualTo(1);
        assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED)).as("the bystander's memfds only")
            .isEqualTo(memfdsPublished);
    }

    /** A refused frame refuses that frame only: the one after it in the same datagram goes on. */
    @Test
    void aRefusedFrameLeavesTheNextOneOfItsDatagram() throws Exception
    {
        final int before = FdClient.openDescriptors(MARKER);
        try (FdClient offender = new FdClient(socket).hello(true))
        {
            final Memfd unsealed = Memfd.create(MARKER, 8);
            offender.send(Frames.concat(FdClient.publishMemfd("ok.fd", 8), Frames.publish("ok.after", "after")),
                unsealed.fd());
            unsealed.close();
            assertThat(offender.awaitError(5_000).code()).isEqualTo(ErrorCode.BAD_DESCRIPTOR);
            assertThat(awaitBystanderPayload("after").sequence()).isEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> FdClient.openDescriptors(MARKER) == before);
    }

    /** A rule's pass_fds lets the same publish through on its topics, and only there. */
    @Test
    void passFdsGrantsDescriptorsOnItsTopicsOnly() throws Exception
    {
        final String granted = dir.resolve("granted.sock").toString();
        final int before = FdClient.openDescriptors(MARKER);
        try (Broker b = Broker.launch(new BrokerContext().socket(granted).nodeName("granted")
            .maxDescriptorsPerMessage(PER_MESSAGE).maxDescriptorsPerDatagram(PER_DATAGRAM).maxDescriptorMessagesHeld(64)
            .aclRules(List.of(new AclRule(0, -1, "uid 0", List.of(">"), List.of(">"), true, List.of("ok.granted.>")))));
            FdClient publisher = new FdClient(granted).hello(true))
        {
            final Offence allowed = plain(2, FdClient.publishFds("ok.granted.x", 2, 0, 0, "hi".getBytes()));
            publisher.send(Frames.concat(allowed.datagram(), Frames.ping(1)), allowed.fds());
            final Offence denied = plain(2, FdClient.publishFds("ok.other", 2, 0, 0, "hi".getBytes()));
            publisher.send(denied.datagram(), denied.fds());
            for (final Offence o : List.of(allowed, denied))
            {
                for (final AutoCloseable c : o.owned())
                {
                    c.close();
                }
            }
            final ErrorFrame error = publisher.awaitError(5_000);
            assertThat(error.code()).isEqualTo(ErrorCode.DESCRIPTORS_DENIED);
            assertThat(error.reason()).startsWith("publish 'ok.other' ").contains("pass_fds [ok.granted.>]");
            assertThat(b.counters().rejected(ErrorCode.DESCRIPTORS_DENIED)).isEqualTo(1);
            assertThat(b.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED)).isEqualTo(2);
            assertThat(b.counters().get(BrokerCounters.MESSAGES_PUBLISHED)).isEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> FdClient.openDescriptors(MARKER) == before);
    }

    @Test
    void welcomeCarriesTheDescriptorLimitsOnlyWhenAskedFor() throws IOException
    {
        try (FdClient with = new FdClient(socket).hello(true); FdClient without = new FdClient(socket).hello(false))
        {
            assertThat(with.welcome().hasDescriptorLimits()).isTrue();
            assertThat(with.welcome().maxDescriptorsPerMessage()).isEqualTo(PER_MESSAGE);
            assertThat(with.welcome().maxDescriptorsPerDatagram()).isEqualTo(PER_DATAGRAM);
            assertThat(with.welcome().maxMemfdSize()).isEqualTo(MAX_MEMFD);
            assertThat(without.welcome().hasDescriptorLimits()).isFalse();
        }
    }

    private static Memfd sealed(final long size) throws IOException
    {
        final Memfd m = Memfd.create(MARKER, size);
        m.seal();
        return m;
    }

    /** {@code n} sealed memfds of 16 bytes, passed as plain descriptors (not a payload). */
    private static Offence plain(final int n, final byte[] datagram) throws IOException
    {
        final int[] fds = new int[n];
        final List<AutoCloseable> owned = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            final Memfd m = sealed(16);
            fds[i] = m.fd();
            owned.add(m::close);
        }
        return new Offence(datagram, fds, owned);
    }

    /** Sealed memfd payloads of 16 bytes from the good publisher, each holding its number. */
    private void publishMemfds(final int n) throws IOException
    {
        for (int i = 0; i < n; i++)
        {
            try (Memfd m = Memfd.create("ingress-good", 16))
            {
                m.write(0, java.nio.ByteBuffer.allocate(16).putInt(0, memfdsPublished++));
                m.seal();
                memfdPub.send(FdClient.publishMemfd("good.memfd", 16), m.fd());
            }
        }
    }

    /** The good subscriber gets every memfd so far, in order, each with the bytes its publisher wrote. */
    private void awaitMemfds() throws IOException
    {
        final io.seqbus.wire.DeliverFdsFrame frame = new io.seqbus.wire.DeliverFdsFrame();
        final long deadline = System.currentTimeMillis() + 5_000;
        while (memfdsReceived < memfdsPublished && System.currentTimeMillis() < deadline)
        {
            final FdClient.Datagram d = memfdSub.receive(100);
            if (d == null)
            {
                continue;
            }
            final UnsafeBuffer b = d.buffer();
            int fd = 0;
            for (int at = 0; at < d.bytes().length; at += io.seqbus.wire.Protocol.frameLength(b, at))
            {
                if (io.seqbus.wire.Protocol.frameType(b, at) == io.seqbus.wire.FrameType.DELIVER_FDS)
                {
                    frame.wrap(b, at);
                    assertThat(frame.sequence()).isEqualTo(memfdsReceived + 1);
                    try (Mapping mapping = Mapping.readOnly(d.fds()[fd], frame.payloadSize()))
                    {
                        assertThat(mapping.buffer().getInt(0)).isEqualTo(memfdsReceived);
                    }
                    fd += frame.fdCount();
                    memfdsReceived++;
                }
            }
            d.closeDescriptors();
        }
        assertThat(memfdsReceived).as("memfds the good subscriber got").isEqualTo(memfdsPublished);
    }

    private void publishBystander(final int n) throws IOException
    {
        for (int i = 0; i < n; i++)
        {
            bystanderPub.send(Frames.publish("ok.msg", "b" + published++));
        }
    }

    /** Reads the bystander subscriber until it has every bystander message so far, in order. */
    private void awaitBystander() throws IOException
    {
        final long deadline = System.currentTimeMillis() + 5_000;
        while (bystanderCount() < published && System.currentTimeMillis() < deadline)
        {
            final byte[] d = bystanderSub.receive(100);
            if (d != null)
            {
                bystanderGot.addAll(Deliveries.in(d));
            }
        }
        final List<String> payloads = bystanderGot.stream().map(Deliveries.Delivery::payload)
            .filter((p) -> p.startsWith("b")).toList();
        assertThat(payloads).hasSize(published);
        for (int i = 0; i < published; i++)
        {
            assertThat(payloads.get(i)).isEqualTo("b" + i);
        }
    }

    private long bystanderCount()
    {
        return bystanderGot.stream().filter((d) -> d.payload().startsWith("b")).count();
    }

    private Deliveries.Delivery awaitBystanderPayload(final String payload) throws IOException
    {
        final long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline)
        {
            for (final Deliveries.Delivery d : bystanderGot)
            {
                if (d.payload().equals(payload))
                {
                    return d;
                }
            }
            final byte[] d = bystanderSub.receive(100);
            if (d != null)
            {
                bystanderGot.addAll(Deliveries.in(d));
            }
        }
        throw new AssertionError("no delivery of '" + payload + "'");
    }
}

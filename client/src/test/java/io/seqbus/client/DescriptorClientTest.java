package io.seqbus.client;

import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;
import io.seqbus.sys.SealedMemfd;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PublishFdsFrame;
import org.junit.jupiter.api.Test;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client's side of descriptors against a scripted broker that reads and writes with SCM_RIGHTS: HELLO asks for
 * DESCRIPTORS, payloads above max_payload leave as sealed memfds, a loan is sealed in place, other descriptors go
 * along, DELIVER_FDS payloads are mapped and let go, kept or taken, and nothing leaks (memfds counted in
 * /proc/self/fd by name).
 */
class DescriptorClientTest extends ScriptedBrokerTest
{
    private static final int MAX_PAYLOAD = 65536;

    private final Queue<BusError> errors = new ConcurrentLinkedQueue<>();

    private void connectDescriptors(final boolean brokerPassesThem) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .errorHandler(errors::add);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept().withDescriptors();
        final HelloFrame hello = peer.next(FrameType.HELLO).as(new HelloFrame());
        assertThat(hello.wantsDescriptors()).as("HELLO asks for DESCRIPTORS by default").isTrue();
        if (brokerPassesThem)
        {
            peer.welcomeDescriptors(MAX_PAYLOAD, 131072, 1, 8, 64, 1L << 30).send();
        }
        else
        {
            peer.welcome(MAX_PAYLOAD, 131072, 1).send();
        }
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void aPayloadOverMaxPayloadLeavesAsASealedMemfdAndTheClientKeepsNone() throws Exception
    {
        connectDescriptors(true);
        assertThat(client.passesDescriptors()).isTrue();
        assertThat(client.maxMemfdSize()).isEqualTo(1L << 30);
        final long before = memfds("seqbus-payload");
        final byte[] payload = bytes(MAX_PAYLOAD + 1);
        client.publish("a.b", payload);
        final PublishFdsFrame frame = peer.next(FrameType.PUBLISH_FDS).as(new PublishFdsFrame());
        assertThat(frame.topic()).isEqualTo("a.b");
        assertThat(frame.fdCount()).isEqualTo(1);
        assertThat(frame.hasMemfdPayload()).isTrue();
        assertThat(frame.payloadSize()).isEqualTo(payload.length);
        assertThat(frame.payloadLength()).isZero();
        final int fd = peer.nextFd();
        assertThat(new SealedMemfd().check(fd, payload.length)).isEqualTo(SealedMemfd.Verdict.SEALED);
        assertThat(crc(read(fd, payload.length))).isEqualTo(crc(ByteBuffer.wrap(payload)));
        Fds.close(fd);
        assertThat(memfds("seqbus-payload")).as("the client closed its copy once sent").isEqualTo(before);

        // tryPublish too.
        assertThat(client.tryPublish("a.b", ByteBuffer.wrap(payload))).isEqualTo(PublishResult.OK);
        assertThat(peer.next(FrameType.PUBLISH_FDS).as(new PublishFdsFrame()).payloadSize()).isEqualTo(payload.length);
        Fds.close(peer.nextFd());
        assertThat(memfds("seqbus-payload")).isEqualTo(before);

        // At max_payload it stays inline.
        client.publish("a.b", bytes(MAX_PAYLOAD));
        assertThat(peer.next(FrameType.PUBLISH).buffer().capacity()).isGreaterThan(MAX_PAYLOAD);
    }

    @Test
    void aLoanIsSealedInPlaceAndAStaleWriteStaysPrivate() throws Exception
    {
        connectDescriptors(true);
        final long before = memfds("seqbus-loan");
        try (Loan loan = client.loan(1 << 20))
        {
            final ByteBuffer buffer = loan.buffer();
            buffer.put(0, (byte)7).put((1 << 20) - 1, (byte)9);
            client.publish("a.b", loan);
            assertThatThrownBy(() -> client.publish("a.b", loan)).isInstanceOf(IllegalStateException.class);
            final PublishFdsFrame frame = peer.next(FrameType.PUBLISH_FDS).as(new PublishFdsFrame());
            assertThat(frame.payloadSize()).isEqualTo(1 << 20);
            final int fd = peer.nextFd();
            assertThat(new SealedMemfd().check(fd, 1 << 20)).isEqualTo(SealedMemfd.Verdict.SEALED);
            buffer.put(0, (byte)100); // a bug: a write after publish
            assertThat(buffer.get(0)).isEqualTo((byte)100);
            final ByteBuffer published = read(fd, 1 << 20);
            assertThat(published.get(0)).as("what subscribers map").isEqualTo((byte)7);
            assertThat(published.get((1 << 20) - 1)).isEqualTo((byte)9);
            Fds.close(fd);
        }
        assertThat(memfds("seqbus-loan")).isEqualTo(before);
    }

    @Test
    void otherDescriptorsGoAlongAndStayTheCallers() throws Exception
    {
        connectDescriptors(true);
        final Path file = dir.resolve("shared.txt");
        Files.writeString(file, "through the bus");
        try (FileInputStream in = new FileInputStream(file.toFile()))
        {
            client.publish("a.b", ByteBuffer.wrap("hi".getBytes(StandardCharsets.UTF_8)), in.getFD());
            final PublishFdsFrame frame = peer.next(FrameType.PUBLISH_FDS).as(new PublishFdsFrame());
            assertThat(frame.fdCount()).isEqualTo(1);
            assertThat(frame.hasMemfdPayload()).isFalse();
            assertThat(frame.payloadLength()).isEqualTo(2);
            try (FileInputStream passed = new FileInputStream(Fds.descriptor(peer.nextFd())))
            {
                assertThat(new String(passed.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("through the bus");
            }
            assertThat(in.getFD().valid()).isTrue();
        }
        final FileDescriptor[] tooMany = new FileDescriptor[9];
        java.util.Arrays.fill(tooMany, FileDescriptor.in);
        assertThatThrownBy(() -> client.publish("a.b", ByteBuffer.allocate(0), tooMany))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_descriptors_per_message of 8");
    }

    @Test
    void aMemfdPayloadIsMappedForTheHandlerAndLetGoAfterItUnlessKept() throws Exception
    {
        connectDescriptors(true);
        final List<String> seen = new ArrayList<>();
        final AtomicReference<ByteBuffer> stale = new AtomicReference<>();
        final AtomicReference<Payload> kept = new AtomicReference<>();
        client.subscribe("a.>", message ->
        {
            seen.add(message.topic() + " " + message.isMemfdPayload() + " " + message.payloadLength() + " " +
                message.payloadBuffer().get(0) + " " + message.payload().getByte(message.payloadLength() - 1) + " " +
                message.sequence());
            if (message.sequence() == 1)
            {
                stale.set(message.payloadBuffer());
            }
            else
            {
                kept.set(message.keepPayload());
            }
        });
        peer.next(FrameType.SUBSCRIBE);
        final long before = memfds("seqbus-test");
        final int large = sealed(300_000, (byte)5);
        final int small = sealed(4096, (byte)6);
        peer.deliverFds(1, 1, "a.b", 1, PublishFdsFrame.MEMFD_PAYLOAD, 300_000, "").send(large);
        peer.deliverFds(1, 2, "a.c", 1, PublishFdsFrame.MEMFD_PAYLOAD, 4096, "").send(small);
        Fds.close(large); // the client has its own
        Fds.close(small);
        within().until(() -> client.poll() >= 0 && seen.size() == 2);
        assertThat(seen).containsExactly("a.b true 300000 5 5 1", "a.c true 4096 6 6 2");
        assertThat(stale.get().get(0)).as("a buffer kept past the handler reads zeros").isZero();
        assertThat(kept.get().buffer().get(4095)).isEqualTo((byte)6);
        assertThat(memfds("seqbus-test")).as("only the kept payload's descriptor").isEqualTo(before + 1);
        assertThat(kept.get().descriptor().valid()).isTrue();
        kept.get().close();
        assertThat(kept.get().buffer().get(4095)).isZero();
        assertThat(memfds("seqbus-test")).isEqualTo(before);
    }

    @Test
    void descriptorsAreClosedAfterTheHandlerUnlessTaken() throws Exception
    {
        connectDescriptors(true);
        final AtomicReference<FileDescriptor[]> taken = new AtomicReference<>();
        final List<String> payloads = new ArrayList<>();
        client.subscribe("a.>", message ->
        {
            payloads.add(message.payloadAsString() + " " + message.descriptorCount());
            try (Payload copy = message.keepPayload())
            {
                assertThat(copy.isMemfd()).isFalse();
                assertThat(copy.descriptor()).isNull();
                assertThat(StandardCharsets.UTF_8.decode(copy.buffer()).toString()).isEqualTo(message.payloadAsString());
            }
            if (message.sequence() == 2)
            {
                taken.set(message.takeDescriptors());
            }
        });
        peer.next(FrameType.SUBSCRIBE);
        final long before = memfds("seqbus-test");
        final int first = sealed(10, (byte)1);
        final int second = sealed(10, (byte)2);
        final int third = sealed(10, (byte)3);
        // Two DELIVER_FDS in one datagram: each takes the next fd_count descriptors.
        peer.deliverFds(1, 1, "a.b", 1, 0, 0, "one").deliverFds(1, 2, "a.b", 2, 0, 0, "two").send(first, second, third);
        Fds.close(first);
        Fds.close(second);
        Fds.close(third);
        within().until(() -> client.poll() >= 0 && payloads.size() == 2);
        assertThat(payloads).containsExactly("one 1", "two 2");
        assertThat(taken.get()).hasSize(2);
        assertThat(memfds("seqbus-test")).as("only the two taken").isEqualTo(before + 2);
        try (FileInputStream in = new FileInputStream(taken.get()[0]))
        {
            assertThat(in.getChannel().size()).isEqualTo(10);
        }
        new FileInputStream(taken.get()[1]).close();
        assertThat(memfds("seqbus-test")).isEqualTo(before);
    }

    @Test
    void descriptorsGoWithTheCopyToAnExecutorAndAreClosedAfterItsHandlerUnlessTaken() throws Exception
    {
        connectDescriptors(true);
        final ExecutorService executor = Executors.newSingleThreadExecutor((r) -> new Thread(r, "handlers"));
        try
        {
            final AtomicReference<FileDescriptor[]> taken = new AtomicReference<>();
            final Queue<String> payloads = new ConcurrentLinkedQueue<>();
            client.subscribe("a.>", message ->
            {
                if (message.sequence() == 2)
                {
                    taken.set(message.takeDescriptors());
                }
                payloads.add(Thread.currentThread().getName() + " " + message.payloadAsString() + " " +
                    message.descriptorCount());
            }, new SubscriptionOptions().executor(executor));
            peer.next(FrameType.SUBSCRIBE);
            final long before = memfds("seqbus-test");
            final int first = sealed(10, (byte)1);
            final int second = sealed(20, (byte)2);
            final int third = sealed(30, (byte)3);
            peer.deliverFds(1, 1, "a.b", 1, 0, 0, "one").deliverFds(1, 2, "a.b", 2, 0, 0, "two")
                .send(first, second, third);
            Fds.close(first);
            Fds.close(second);
            Fds.close(third);
            within().until(() -> client.poll() >= 0 && payloads.size() == 2);
            assertThat(payloads).containsExactly("handlers one 1", "handlers two 2");
            assertThat(taken.get()).as("taken on the executor's thread").hasSize(2);
            within().untilAsserted(() ->
                assertThat(memfds("seqbus-test")).as("the one not taken closed after its handler").isEqualTo(before + 2));
            try (FileInputStream in = new FileInputStream(taken.get()[0]))
            {
                assertThat(in.getChannel().size()).isEqualTo(20);
            }
            try (FileInputStream in = new FileInputStream(taken.get()[1]))
            {
                assertThat(in.getChannel().size()).isEqualTo(30);
            }
            assertThat(memfds("seqbus-test")).isEqualTo(before);
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    @Test
    void descriptorsOfCopiesDroppedOrStillQueuedAtCloseAreClosed() throws Exception
    {
        connectDescriptors(true);
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        final CountDownLatch handling = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        try
        {
            final Subscription subscription = client.subscribe("a.>", message ->
            {
                handling.countDown();
                try
                {
                    release.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }, new SubscriptionOptions().executor(executor).maxPending(1).policy(SlowConsumerPolicy.DROP_NEWEST));
            peer.next(FrameType.SUBSCRIBE);
            final long before = memfds("seqbus-test");
            final int[] sent = new int[3];
            for (int i = 0; i < 3; i++)
            {
                sent[i] = sealed(10, (byte)i);
            }
            // The first is in its handler, the second waits in the queue, the third finds it full and is dropped.
            peer.deliverFds(1, 1, "a.b", 1, 0, 0, "one").send(sent[0]);
            within().until(() -> client.poll() >= 0 && handling.getCount() == 0);
            peer.deliverFds(1, 2, "a.b", 1, 0, 0, "two").deliverFds(1, 3, "a.b", 1, 0, 0, "three")
                .send(sent[1], sent[2]);
            for (final int fd : sent)
            {
                Fds.close(fd);
            }
            within().until(() -> client.poll() >= 0 && subscription.stats().handlerDrops() == 1);
            assertThat(memfds("seqbus-test")).as("the dropped copy's closed").isEqualTo(before + 2);
            subscription.close();
            assertThat(memfds("seqbus-test")).as("the queued copy's closed at close").isEqualTo(before + 1);
            release.countDown();
            within().untilAsserted(() ->
                assertThat(memfds("seqbus-test")).as("the handled one's after its handler").isEqualTo(before));
            assertThat(subscription.stats().unhandled()).isEqualTo(1);
        }
        finally
        {
            release.countDown();
            executor.shutdownNow();
        }
    }

    @Test
    void descriptorRefusalsAreNotCachedAsRefusalsOfTheTopicAndLeaveTheSessionCount() throws Exception
    {
        connectDescriptors(true);
        client.publish("a.b", bytes(MAX_PAYLOAD + 1));
        peer.next(FrameType.PUBLISH_FDS);
        peer.error(ErrorCode.DESCRIPTORS_DENIED, 0, "publish 'a.b' refused: no pass_fds").send();
        within().until(() -> client.poll() >= 0 && !errors.isEmpty());
        assertThat(errors.peek().code()).isEqualTo(ErrorCode.DESCRIPTORS_DENIED);
        assertThat(client.refusal("a.b")).isNull();
        assertThat(client.tryPublish("a.b", "plain")).isEqualTo(PublishResult.OK);
        peer.next(FrameType.PUBLISH);
        // The broker numbered one publish of two: the next HELLO says 2.
        peer.close();
        final ScriptedBroker.Peer second = acceptWhilePolling();
        final HelloFrame hello = second.next(FrameType.HELLO).as(new HelloFrame());
        assertThat(hello.nextSequence()).isEqualTo(2);
        peer = second;
    }

    @Test
    void aBrokerThatPassesNoDescriptorsGetsInlinePublishesOnly() throws Exception
    {
        connectDescriptors(false);
        assertThat(client.passesDescriptors()).isFalse();
        assertThatThrownBy(() -> client.publish("a.b", bytes(MAX_PAYLOAD + 1)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_payload");
        client.publish("a.b", bytes(10));
        peer.next(FrameType.PUBLISH);
    }

    @Test
    void withoutDescriptorsHelloDoesNotAskForThem() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .descriptors(false);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        assertThat(peer.next(FrameType.HELLO).as(new HelloFrame()).wantsDescriptors()).isFalse();
        peer.welcome(MAX_PAYLOAD, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> client.loan(10)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("descriptors(false)");
    }

    private ScriptedBroker.Peer acceptWhilePolling() throws Exception
    {
        final CompletableFuture<ScriptedBroker.Peer> accepted = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return broker.accept().withDescriptors();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        within().until(() -> client.poll() >= 0 && accepted.isDone());
        return accepted.get();
    }

    /** @return a sealed memfd named seqbus-test, filled with {@code value}, owned by the caller. */
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

    private static ByteBuffer read(final int fd, final int size) throws IOException
    {
        try (Mapping mapping = Mapping.readOnly(fd, size))
        {
            final ByteBuffer copy = ByteBuffer.allocate(size);
            copy.put(mapping.buffer()).flip();
            return copy;
        }
    }

    private static byte[] bytes(final int size)
    {
        final byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return bytes;
    }

    private static long crc(final ByteBuffer buffer)
    {
        final CRC32 crc = new CRC32();
        crc.update(buffer.duplicate());
        return crc.getValue();
    }

    /** @return descriptors of this process open on memfds of that name. */
    static long memfds(final String name) throws IOException
    {
        long count = 0;
        try (var entries = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path entry : entries)
            {
                try
                {
                    if (Files.readSymbolicLink(entry).toString().startsWith("/memfd:" + name))
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

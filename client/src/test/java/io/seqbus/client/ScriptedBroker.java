package io.seqbus.client;

import io.seqbus.sys.EventFd;
import io.seqbus.sys.RingReader;
import io.seqbus.sys.RingWriter;
import io.seqbus.sys.ScmRights;
import io.seqbus.sys.ShmChannel;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.ShmFdsFrame;
import io.seqbus.wire.ShmReadyFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.WelcomeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker played by the test: a real SEQPACKET listener on a temporary path whose connections
 * the test drives frame by frame.
 */
final class ScriptedBroker implements AutoCloseable
{
    static final Duration WAIT = Duration.ofSeconds(10);

    private final Path path;
    private final AFUNIXDatagramChannel listener;

    ScriptedBroker(final Path path) throws IOException
    {
        this.path = path;
        listener = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        listener.bind(AFUNIXSocketAddress.of(path));
        listener.socket().listen(16);
    }

    String socket()
    {
        return path.toString();
    }

    Peer accept() throws Exception
    {
        final CompletableFuture<AFUNIXDatagramChannel> accepted = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return (AFUNIXDatagramChannel)listener.socket().accept().getChannel();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        });
        return new Peer(accepted.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    }

    public void close() throws IOException
    {
        listener.close();
        Files.deleteIfExists(path);
    }

    /** One frame the client sent, copied out. */
    record Frame(int type, UnsafeBuffer buffer, int datagram)
    {
        <T extends io.seqbus.wire.Flyweight> T as(final T flyweight)
        {
            flyweight.wrap(buffer, 0);
            return flyweight;
        }

        byte[] bytes()
        {
            final byte[] bytes = new byte[buffer.capacity()];
            buffer.getBytes(0, bytes);
            return bytes;
        }
    }

    /** One accepted connection. */
    static final class Peer implements AutoCloseable
    {
        private final AFUNIXDatagramChannel channel;
        private final ByteBuffer readByteBuffer = ByteBuffer.allocateDirect(512 * 1024);
        private final UnsafeBuffer readBuffer = new UnsafeBuffer(readByteBuffer);
        private final ByteBuffer writeByteBuffer = ByteBuffer.allocateDirect(512 * 1024);
        private final UnsafeBuffer writeBuffer = new UnsafeBuffer(writeByteBuffer);
        private final FrameValidator validator = new FrameValidator(FrameValidator.Direction.FROM_CLIENT);
        private final ArrayDeque<Frame> frames = new ArrayDeque<>();
        // Reading and writing with descriptors (recvmsg/sendmsg), once withDescriptors() was called.
        private ScmRights scm;
        private int fd = -1;
        private final ArrayDeque<Integer> receivedFds = new ArrayDeque<>();
        private final List<Integer> datagramLengths = new ArrayList<>();
        private final List<Integer> framesPerDatagram = new ArrayList<>();
        private int writePosition;
        // Shared memory, once offerSharedMemory() was called: the broker's side of the rings and the wake eventfds.
        private ShmChannel shm;
        private RingWriter toClient;
        private RingReader fromClient;
        private EventFd clientWake;
        private EventFd brokerWake;
        // SHM_ATTACH came: from now on the client's frames are read from the ring.
        private boolean attached;
        private final List<Integer> transports = new ArrayList<>();

        Peer(final AFUNIXDatagramChannel channel) throws IOException
        {
            this.channel = channel;
            channel.configureBlocking(false);
        }

        /** From now on reads with recvmsg, keeping the descriptors ({@link #nextFd()}), and can send some. */
        Peer withDescriptors() throws IOException
        {
            scm = new ScmRights(ScmRights.KERNEL_MAX_DESCRIPTORS);
            fd = Fds.number(channel.getFileDescriptor());
            return this;
        }

        /** @return the next descriptor the client sent, owned by the test now. */
        int nextFd()
        {
            assertThat(receivedFds).as("descriptors received").isNotEmpty();
            return receivedFds.poll();
        }

        int fdsWaiting()
        {
            return receivedFds.size();
        }

        /**
         * Sends SHM_READY with a new channel of rings of this capacity (and its eventfds): from now on
         * {@link #sendRecord} writes into to_client, and once SHM_ATTACH was read, frames are read from from_client.
         * Needs {@link #withDescriptors()}.
         */
        Peer offerSharedMemory(final int capacity) throws IOException
        {
            return offerSharedMemory(capacity, ShmChannel.size(capacity, capacity));
        }

        /** SHM_READY stating this size, whatever the memfd's (a wrong one makes the client's mapping fail). */
        Peer offerSharedMemory(final int capacity, final long statedSize) throws IOException
        {
            shm = ShmChannel.create(capacity, capacity);
            clientWake = EventFd.create();
            brokerWake = EventFd.create();
            writePosition += ShmReadyFrame.encode(writeBuffer, writePosition, capacity, capacity, statedSize);
            send(shm.memfd(), clientWake.fd(), brokerWake.fd());
            shm.closeMemfd();
            toClient = shm.toClient().writer();
            fromClient = shm.fromClient().reader(readByteBuffer.capacity());
            return this;
        }

        /** @return whether the client said it waits for room in from_client; takes the flag, signals nothing. */
        boolean takeWriterWaiting()
        {
            return shm.fromClient().takeWriterWaiting();
        }

        /** @return true once the client sent SHM_ATTACH. */
        boolean attached()
        {
            return attached;
        }

        /** @return per datagram read, 0 when it came through the socket, 1 through from_client. */
        List<Integer> transports()
        {
            return transports;
        }

        /** Sends what was built as one record of to_client, and wakes the client when it sleeps. */
        void sendRecord() throws IOException
        {
            writeByteBuffer.clear().limit(writePosition);
            assertThat(toClient.write(writeByteBuffer, RingWriter.FRAMES)).as("room in to_client").isTrue();
            writePosition = 0;
            if (shm.toClient().takeReaderSleeping())
            {
                clientWake.signal();
            }
        }

        /** A FRAMES_WITH_FDS record: its SHM_FDS datagram with the descriptors on the socket first. */
        void sendRecord(final int... fds) throws IOException
        {
            final ByteBuffer announce = ByteBuffer.allocateDirect(ShmFdsFrame.LENGTH);
            ShmFdsFrame.encode(new UnsafeBuffer(announce), 0, fds.length);
            assertThat(scm.send(fd, announce, fds, fds.length)).isEqualTo(ShmFdsFrame.LENGTH);
            writeByteBuffer.clear().limit(writePosition);
            assertThat(toClient.write(writeByteBuffer, RingWriter.FRAMES_WITH_FDS)).as("room in to_client").isTrue();
            writePosition = 0;
            if (shm.toClient().takeReaderSleeping())
            {
                clientWake.signal();
            }
        }

        /** @return whether the socket is at its end (the client closed it); nothing else may wait on it. */
        boolean socketClosed() throws IOException
        {
            readByteBuffer.clear();
            return (scm != null ? scm.receive(fd, readByteBuffer) : channel.read(readByteBuffer)) < 0;
        }

        /** Reads one datagram if there is one; every frame must be well-formed. */
        boolean tryRead() throws IOException
        {
            readByteBuffer.clear();
            int descriptors = 0;
            final int length;
            if (attached)
            {
                length = fromClient.read(readByteBuffer);
                if (length > 0 && fromClient.lastType() == RingWriter.FRAMES_WITH_FDS)
                {
                    final ByteBuffer announce = ByteBuffer.allocateDirect(64);
                    assertThat(scm.receive(fd, announce)).as("SHM_FDS before its record").isEqualTo(ShmFdsFrame.LENGTH);
                    descriptors = scm.descriptorCount();
                    for (int i = 0; i < descriptors; i++)
                    {
                        receivedFds.add(scm.descriptor(i));
                    }
                }
                if (length > 0 && shm.fromClient().takeWriterWaiting())
                {
                    clientWake.signal();
                }
            }
            else if (scm != null)
            {
                length = scm.receive(fd, readByteBuffer);
                descriptors = scm.descriptorCount();
                for (int i = 0; i < descriptors; i++)
                {
                    receivedFds.add(scm.descriptor(i));
                }
            }
            else
            {
                length = channel.read(readByteBuffer);
            }
            if (length <= 0)
            {
                return false;
            }
            assertThat(validator.validate(readBuffer, 0, length, descriptors)).as(validator.errorReason()).isZero();
            final int datagram = datagramLengths.size();
            datagramLengths.add(length);
            transports.add(attached ? 1 : 0);
            int count = 0;
            for (int at = 0; at < length; )
            {
                final int frameLength = Protocol.frameLength(readBuffer, at);
                final byte[] copy = new byte[frameLength];
                readBuffer.getBytes(at, copy);
                final int type = Protocol.frameType(readBuffer, at);
                frames.add(new Frame(type, new UnsafeBuffer(copy), datagram));
                if (type == FrameType.SHM_ATTACH)
                {
                    assertThat(at + frameLength).as("SHM_ATTACH is the last frame on the socket").isEqualTo(length);
                    attached = true;
                }
                at += frameLength;
                count++;
            }
            framesPerDatagram.add(count);
            return true;
        }

        private boolean tryReadQuietly()
        {
            try
            {
                return tryRead();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        /** Reads and drops what is waiting, without looking; for one thread while no other reads. */
        int discard() throws IOException
        {
            int datagrams = 0;
            while (true)
            {
                readByteBuffer.clear();
                if (channel.read(readByteBuffer) <= 0)
                {
                    return datagrams;
                }
                datagrams++;
            }
        }

        Frame next()
        {
            // Without Awaitility while frames are there: it starts a thread per call, which under CPU contention
            // took long enough per frame that a publisher found the socket full for its whole publish timeout.
            if (!frames.isEmpty() || tryReadQuietly() && !frames.isEmpty())
            {
                return frames.poll();
            }
            await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .until(() -> !frames.isEmpty() || tryRead() && !frames.isEmpty());
            return frames.poll();
        }

        Frame next(final int expectedType)
        {
            final Frame frame = next();
            assertThat(FrameType.name(frame.type())).isEqualTo(FrameType.name(expectedType));
            return frame;
        }

        /**
         * Reads one datagram without keeping it, quickly: the first int of each PUBLISH payload goes to the
         * consumer.
         *
         * @return frames in it, or 0 when none was waiting.
         */
        int readPublishes(final java.util.function.IntConsumer firstInts) throws IOException
        {
            readByteBuffer.clear();
            final int length = channel.read(readByteBuffer);
            int count = 0;
            for (int at = 0; at < length; count++)
            {
                if (Protocol.frameType(readBuffer, at) == FrameType.PUBLISH)
                {
                    final int topicLength = readBuffer.getShort(at + PublishFrame.TOPIC_LENGTH_OFFSET, Protocol.BYTE_ORDER);
                    firstInts.accept(readBuffer.getInt(at + PublishFrame.TOPIC_OFFSET + topicLength));
                }
                at += Protocol.frameLength(readBuffer, at);
            }
            return count;
        }

        List<Integer> datagramLengths()
        {
            return datagramLengths;
        }

        List<Integer> framesPerDatagram()
        {
            return framesPerDatagram;
        }

        Peer welcome(final int maxPayload, final int maxDatagram, final long publisherId)
        {
            writePosition += WelcomeFrame.encode(
                writeBuffer, writePosition, Protocol.VERSION, maxPayload, maxDatagram, 0x0A0B0C0D, publisherId, "h1");
            return this;
        }

        /** A WELCOME with the descriptor limits (the client's HELLO asked for them). */
        Peer welcomeDescriptors(
            final int maxPayload, final int maxDatagram, final long publisherId, final int perMessage,
            final int perDatagram, final long maxMemfdSize)
        {
            final int at = writePosition;
            WelcomeFrame.encode(writeBuffer, at, Protocol.VERSION, maxPayload, maxDatagram, 0x0A0B0C0D, publisherId, "h1");
            writePosition += WelcomeFrame.appendDescriptorLimits(writeBuffer, at, perMessage, perDatagram, maxMemfdSize);
            return this;
        }

        /** A WELCOME with the service limits (the client's HELLO asked for them, issue 19). */
        Peer welcomeServices(
            final int maxPayload, final int maxDatagram, final long publisherId, final int maxHeaderBytes,
            final int maxHeaders, final int maxRequestTimeoutMs)
        {
            final int at = writePosition;
            WelcomeFrame.encode(writeBuffer, at, Protocol.VERSION, maxPayload, maxDatagram, 0x0A0B0C0D, publisherId, "h1");
            writePosition += WelcomeFrame.appendServiceLimits(
                writeBuffer, at, maxHeaderBytes, maxHeaders, maxRequestTimeoutMs);
            return this;
        }

        /** A DELIVER_FDS; its descriptors go with {@link #send(int...)}. */
        Peer deliverFds(
            final int subscriptionId, final long sequence, final String topic, final int fdCount, final int fdFlags,
            final long payloadSize, final String inline)
        {
            final byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
            final byte[] payloadBytes = inline.getBytes(StandardCharsets.UTF_8);
            final UnsafeBuffer source = new UnsafeBuffer(new byte[topicBytes.length + payloadBytes.length]);
            source.putBytes(0, topicBytes);
            source.putBytes(topicBytes.length, payloadBytes);
            writePosition += DeliverFdsFrame.encode(
                writeBuffer, writePosition, subscriptionId, 0x0A0B0C0D, 0x0000000100000002L, sequence,
                1_700_000_000_000_000_000L, 1000, 4242, fdCount, fdFlags, payloadSize, source, 0, topicBytes.length,
                payloadBytes.length);
            return this;
        }

        /** Sends what was built as one datagram with these descriptors attached (the test keeps its own). */
        void send(final int... fds) throws IOException
        {
            writeByteBuffer.clear().limit(writePosition);
            assertThat(scm.send(fd, writeByteBuffer, fds, fds.length)).isEqualTo(writePosition);
            writePosition = 0;
        }

        Peer deliver(final int subscriptionId, final long sequence, final String topic, final String payload)
        {
            return deliver(subscriptionId, 0x0000000100000002L, sequence, topic, payload);
        }

        Peer deliver(
            final int subscriptionId, final long publisherId, final long sequence, final String topic,
            final String payload)
        {
            final byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
            final byte[] payloadBytes = payload.getBytes(StandardCharsets.UTF_8);
            final UnsafeBuffer source = new UnsafeBuffer(new byte[topicBytes.length + payloadBytes.length]);
            source.putBytes(0, topicBytes);
            source.putBytes(topicBytes.length, payloadBytes);
            writePosition += DeliverFrame.encode(
                writeBuffer, writePosition, subscriptionId, 0x0A0B0C0D, publisherId, sequence,
                1_700_000_000_000_000_000L, 1000, 4242, source, 0, topicBytes.length, payloadBytes.length);
            return this;
        }

        Peer gap(final int subscriptionId, final long from, final long count, final int reason)
        {
            return gap(subscriptionId, 0x0000000100000002L, from, count, reason);
        }

        Peer gap(final int subscriptionId, final long publisherId, final long from, final long count, final int reason)
        {
            writePosition += GapFrame.encode(
                writeBuffer, writePosition, subscriptionId, 0x0A0B0C0D, publisherId, from, count, reason);
            return this;
        }

        Peer error(final int code, final int ref, final String reason)
        {
            writePosition += ErrorFrame.encode(writeBuffer, writePosition, code, ref, reason);
            return this;
        }

        Peer ping(final int type, final long token)
        {
            writePosition += PingFrame.encode(writeBuffer, writePosition, type, token);
            return this;
        }

        /** Sends what was built as one datagram. */
        void send() throws IOException
        {
            if (scm != null)
            {
                send(new int[0]);
                return;
            }
            writeByteBuffer.clear().limit(writePosition);
            assertThat(channel.write(writeByteBuffer)).isEqualTo(writePosition);
            writePosition = 0;
        }

        public void close() throws IOException
        {
            if (shm != null)
            {
                shm.close();
                clientWake.close();
                brokerWake.close();
            }
            while (!receivedFds.isEmpty())
            {
                Fds.close(receivedFds.poll());
            }
            channel.close();
        }

        static String errorName(final int code)
        {
            return ErrorCode.name(code);
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.LibC;
import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Memfd payloads of 0 B, 64 KiB, 64 KiB + 1, 1 MiB and 256 MiB from one raw publisher to 16 raw subscribers that
 * read with recvmsg and map what they get: every subscriber sees every payload byte for byte (CRC32), in order with
 * the small inline messages the publisher interleaves, and the broker reads and writes no payload byte (its socket
 * byte counters stay at frame sizes) and keeps no descriptor once all have read.
 */
class MemfdPayloadTest
{
    private static final String MARKER = "ingress-memfd";
    private static final int SUBSCRIBERS = 16;
    private static final long[] SIZES = {0, 64 * 1024, 64 * 1024 + 1, 1024 * 1024, 256L * 1024 * 1024};
    private static final int CHUNK = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void everySubscriberGetsEveryPayloadIdenticalAndInOrder() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final int before = FdClient.openDescriptors(MARKER);
        final List<String> expected = new ArrayList<>();
        final ExecutorService readers = Executors.newFixedThreadPool(SUBSCRIBERS);
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test")))
        {
            final List<FdClient> subscribers = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++)
            {
                final FdClient s = new FdClient(socket).hello(true);
                s.send(Frames.concat(Frames.subscribe(1, "mem.>"), Frames.ping(7)));
                awaitPong(s);
                subscribers.add(s);
            }
            final int messages = 2 * SIZES.length + 1;
            final List<Future<List<String>>> got = new ArrayList<>();
            for (final FdClient s : subscribers)
            {
                got.add(readers.submit(() -> read(s, messages)));
            }
            final long readBefore = broker.counters().get(BrokerCounters.BYTES_READ);
            try (FdClient publisher = new FdClient(socket).hello(true))
            {
                int small = 0;
                for (final long size : SIZES)
                {
                    publisher.send(Frames.publish("mem.small", "s" + small));
                    expected.add("inline s" + small++);
                    try (Memfd payload = Memfd.create(MARKER, size))
                    {
                        final long crc = fill(payload, size);
                        payload.seal();
                        publisher.send(FdClient.publishMemfd("mem.big", size), payload.fd());
                        expected.add("memfd " + size + " crc " + crc);
                    }
                }
                publisher.send(Frames.publish("mem.small", "s" + small));
                expected.add("inline s" + small);
                for (final Future<List<String>> f : got)
                {
                    assertThat(f.get(90, TimeUnit.SECONDS)).containsExactlyElementsOf(expected);
                }
            }
            final long payloadBytes = java.util.Arrays.stream(SIZES).sum();
            System.out.printf("%d memfd payloads (%d bytes) and %d inline messages to %d subscribers: broker read %d " +
                "socket bytes, wrote %d; descriptors passed %d, bytes passed by reference %d%n", SIZES.length,
                payloadBytes, SIZES.length + 1, SUBSCRIBERS, broker.counters().get(BrokerCounters.BYTES_READ) -
                readBefore, broker.counters().get(BrokerCounters.BYTES_WRITTEN),
                broker.counters().get(BrokerCounters.DESCRIPTORS_PASSED),
                broker.counters().get(BrokerCounters.DESCRIPTOR_BYTES_PASSED));
            assertThat(broker.counters().get(BrokerCounters.BYTES_READ) - readBefore)
                .as("socket bytes the broker read: frames only, never a memfd payload byte").isLessThan(4096);
            assertThat(broker.counters().get(BrokerCounters.BYTES_WRITTEN))
                .as("socket bytes the broker wrote: frames only").isLessThan(payloadBytes / 1000);
            assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED)).isEqualTo(SIZES.length);
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.counters().get(BrokerCounters.DESCRIPTORS_PASSED)
                == (long)SIZES.length * SUBSCRIBERS);
            for (final FdClient s : subscribers)
            {
                s.close();
            }
        }
        finally
        {
            readers.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(FdClient.openDescriptors(MARKER)).as("memfds left open in this process").isEqualTo(before));
    }

    /** Writes {@code size} pseudo-random bytes, 1 MiB at a time. @return their CRC32. */
    private static long fill(final Memfd memfd, final long size) throws IOException
    {
        final CRC32 crc = new CRC32();
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        final SplittableRandom random = new SplittableRandom(size);
        for (long at = 0; at < size; at += CHUNK)
        {
            final int n = (int)Math.min(CHUNK, size - at);
            chunk.clear();
            while (chunk.position() + 8 <= n)
            {
                chunk.putLong(random.nextLong());
            }
            while (chunk.position() < n)
            {
                chunk.put((byte)random.nextInt());
            }
            chunk.flip();
            crc.update(chunk.duplicate());
            memfd.write(at, chunk);
        }
        return crc.getValue();
    }

    private static void awaitPong(final FdClient s) throws IOException
    {
        final long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline)
        {
            final FdClient.Datagram d = s.receive(100);
            if (d != null && Protocol.frameType(d.buffer(), 0) == FrameType.PONG)
            {
                return;
            }
        }
        throw new AssertionError("no PONG");
    }

    /** Reads {@code messages} deliveries, mapping each memfd payload, in the order they came. */
    private static List<String> read(final FdClient s, final int messages) throws IOException
    {
        final List<String> got = new ArrayList<>();
        final DeliverFdsFrame fds = new DeliverFdsFrame();
        final long deadline = System.currentTimeMillis() + 60_000;
        while (got.size() < messages && System.currentTimeMillis() < deadline)
        {
            final FdClient.Datagram d = s.receive(1_000);
            if (d == null)
            {
                continue;
            }
            assertThat(d.controlTruncated()).isFalse();
            final UnsafeBuffer b = d.buffer();
            int nextFd = 0;
            for (int at = 0; at < d.bytes().length; at += Protocol.frameLength(b, at))
            {
                final int type = Protocol.frameType(b, at);
                if (type == FrameType.DELIVER_FDS)
                {
                    fds.wrap(b, at);
                    final int fd = d.fds()[nextFd];
                    nextFd += fds.fdCount();
                    got.add("memfd " + fds.payloadSize() + " crc " + crc(fd, fds.payloadSize()));
                    LibC.close(fd);
                }
                else if (type == FrameType.DELIVER_RUN || type == FrameType.DELIVER)
                {
                    for (final Deliveries.Delivery delivery :
                        Deliveries.in(java.util.Arrays.copyOfRange(d.bytes(), at, at + Protocol.frameLength(b, at))))
                    {
                        got.add("inline " + delivery.payload());
                    }
                }
            }
            assertThat(nextFd).as("descriptors of the datagram").isEqualTo(d.fds().length);
        }
        return got;
    }

    private static long crc(final int fd, final long size) throws IOException
    {
        try (Mapping mapping = Mapping.readOnly(fd, size))
        {
            final CRC32 crc = new CRC32();
            crc.update(mapping.buffer());
            return crc.getValue();
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * While a block subscriber that does not read holds publishers back, a memfd publisher's PUBLISH_FDS datagram
 * counts as publishing: the broker leaves it with the kernel, descriptors and all (a peek takes none), and parks the
 * connection, instead of taking it past the bound. Once publishers may go, it is read with its descriptors and
 * delivered; the broker keeps no descriptor.
 */
class HeldDescriptorPublisherTest
{
    private static final String MARKER = "ingress-held";
    private static final int MESSAGES = 10;

    @TempDir
    Path dir;

    @Test
    void aMemfdPublisherIsParkedWithItsDescriptorsWhilePublishersAreHeld() throws Exception
    {
        final String socket = dir.resolve("held.sock").toString();
        final int before = FdClient.openDescriptors(MARKER);
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).nodeName("held")
            .maxQueueBytes(256 * 1024).stallTimeoutNs(TimeUnit.SECONDS.toNanos(60)));
            RawClient stalled = new RawClient(socket).hello();
            RawClient flooder = new RawClient(socket).hello();
            FdClient subscriber = new FdClient(socket).hello(true);
            FdClient publisher = new FdClient(socket).hello(true))
        {
            stalled.send(Frames.concat(Frames.subscribe(1, "flood.>"), Frames.ping(1)));
            assertThat(stalled.receive(5_000)).isNotNull(); // PONG: subscribed; it reads nothing more
            subscriber.send(Frames.concat(Frames.subscribe(1, "memfd.>"), Frames.ping(1)));
            assertThat(subscriber.receive(5_000)).isNotNull();
            final byte[] flood = Frames.publish("flood.x".getBytes(), new byte[1024]);
            final long deadline = System.currentTimeMillis() + 10_000;
            while (broker.counters().get(BrokerCounters.PUBLISHER_STALLS) == 0 && System.currentTimeMillis() < deadline)
            {
                flooder.trySend(flood);
            }
            assertThat(broker.counters().get(BrokerCounters.PUBLISHER_STALLS)).as("publishers held back").isPositive();

            for (int i = 0; i < MESSAGES; i++)
            {
                try (Memfd m = Memfd.create(MARKER, 4096))
                {
                    m.write(0, ByteBuffer.allocate(4).putInt(0, i));
                    m.seal();
                    publisher.send(FdClient.publishMemfd("memfd.x", 4096), m.fd());
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() ->
                broker.counters().get(BrokerCounters.PUBLISHERS_PARKED) > 0);
            assertThat(broker.counters().get(BrokerCounters.DESCRIPTORS_RECEIVED))
                .as("no PUBLISH_FDS taken while publishers are held back").isZero();

            stalled.drain(500); // it reads its queue: publishers may go again
            final DeliverFdsFrame frame = new DeliverFdsFrame();
            int received = 0;
            final long readDeadline = System.currentTimeMillis() + 10_000;
            while (received < MESSAGES && System.currentTimeMillis() < readDeadline)
            {
                final FdClient.Datagram d = subscriber.receive(100);
                if (d == null)
                {
                    continue;
                }
                final UnsafeBuffer b = d.buffer();
                int fd = 0;
                for (int at = 0; at < d.bytes().length; at += Protocol.frameLength(b, at))
                {
                    assertThat(Protocol.frameType(b, at)).isEqualTo(FrameType.DELIVER_FDS);
                    frame.wrap(b, at);
                    assertThat(frame.sequence()).isEqualTo(received + 1);
                    try (Mapping mapping = Mapping.readOnly(d.fds()[fd], frame.payloadSize()))
                    {
                        assertThat(mapping.buffer().getInt(0)).isEqualTo(received);
                    }
                    fd += frame.fdCount();
                    received++;
                }
                d.closeDescriptors();
            }
            assertThat(received).isEqualTo(MESSAGES);
            assertThat(broker.counters().rejected(ErrorCode.DESCRIPTOR_MISMATCH)).isZero();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(FdClient.openDescriptors(MARKER)).isEqualTo(before));
    }
}

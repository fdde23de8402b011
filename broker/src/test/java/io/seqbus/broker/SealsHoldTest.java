package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Loan;
import io.seqbus.client.Payload;
import io.seqbus.sys.LibC;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a subscriber maps is what the publisher sealed: through a real broker, the memfd a subscriber got refuses
 * write and ftruncate (EPERM), and a write through a loan's buffer after publish (a bug in the publisher) does not
 * change what the subscriber sees.
 */
class SealsHoldTest extends InProcessBrokerTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AtomicReference<Payload> kept = new AtomicReference<>();

    private BusClient subscriberKeepingPayloads() throws Exception
    {
        // 512 held messages: the defaults need RLIMIT_NOFILE above 45,000, and this machine allows 20,000.
        start(new BrokerContext().maxDescriptorMessagesHeld(512));
        final BusClient subscriber = open(BusClient.connect(new ClientOptions().socket(socket).clientName("sub")));
        subscriber.subscribe("sealed.>", message -> kept.set(message.keepPayload()));
        subscriber.sync(WAIT);
        return subscriber;
    }

    @Test
    void writeAndFtruncateOnThePublishedMemfdFailEperm() throws Exception
    {
        subscriberKeepingPayloads();
        final BusClient publisher = open(BusClient.connect(new ClientOptions().socket(socket).clientName("pub")));
        final ByteBuffer payload = ByteBuffer.allocateDirect(publisher.maxPayload() + 4096);
        payload.put(0, (byte)42);
        publisher.publish("sealed.big", payload);
        await().atMost(WAIT).until(() -> kept.get() != null);
        try (Payload got = kept.get())
        {
            assertThat(got.isMemfd()).isTrue();
            final int fd = LibC.fd(got.descriptor());
            final ByteBuffer bytes = ByteBuffer.allocateDirect(16);
            final long address = org.agrona.BufferUtil.address(bytes);
            assertThat(LibC.pwrite(fd, address, 16, 0)).isEqualTo(-1);
            assertThat(LibC.errno()).as("pwrite: EPERM").isEqualTo(LibC.EPERM);
            assertThat(LibC.ftruncate(fd, 0)).isEqualTo(-1);
            assertThat(LibC.errno()).as("ftruncate: EPERM").isEqualTo(LibC.EPERM);
            assertThat(LibC.ftruncate(fd, 1L << 30)).isEqualTo(-1);
            assertThat(LibC.errno()).as("growing: EPERM").isEqualTo(LibC.EPERM);
            assertThat(got.buffer().get(0)).isEqualTo((byte)42);
            assertThat(got.size()).isEqualTo(payload.capacity());
        }
    }

    @Test
    void aStaleWriteThroughALoanAfterPublishIsNotSeenBySubscribers() throws Exception
    {
        subscriberKeepingPayloads();
        final BusClient publisher = open(BusClient.connect(new ClientOptions().socket(socket).clientName("pub")));
        try (Loan loan = publisher.loan(1 << 20))
        {
            final ByteBuffer buffer = loan.buffer();
            buffer.put(0, (byte)7).put((1 << 20) - 1, (byte)9);
            publisher.publish("sealed.loan", loan);
            buffer.put(0, (byte)100).put((1 << 20) - 1, (byte)100); // the bug
            assertThat(buffer.get(0)).as("the publisher's own private copy").isEqualTo((byte)100);
            await().atMost(WAIT).until(() -> kept.get() != null);
        }
        try (Payload got = kept.get())
        {
            assertThat(got.buffer().get(0)).isEqualTo((byte)7);
            assertThat(got.buffer().get((1 << 20) - 1)).isEqualTo((byte)9);
        }
    }
}

package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Headers from the client's side against a scripted broker (SPEC.md, "Headers"): the PUBLISH carries the flag and
 * the block before the payload; the limits of the WELCOME's service trailer are checked at the call; a broker
 * without the trailer predates headers, and a publish with headers fails at once, sending nothing.
 */
class HeadersClientTest extends ScriptedBrokerTest
{
    private void connect(final boolean services) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .descriptors(false);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        if (services)
        {
            peer.welcomeServices(65536, 131072, 1, 64, 2, 4000).send();
        }
        else
        {
            peer.welcome(65536, 131072, 1).send();
        }
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void aPublishWithHeadersCarriesTheFlagAndTheBlockBeforeThePayload() throws Exception
    {
        connect(true);
        client.publish("h.a", "hi", Headers.of("k", "v", "k", "w"));
        client.publish("h.b", "plain", Headers.EMPTY);
        final ScriptedBroker.Frame first = peer.next(FrameType.PUBLISH);
        assertThat(first.buffer().getByte(Protocol.FLAGS_OFFSET)).isEqualTo((byte)Protocol.FLAG_HEADERS);
        final int block = PublishFrame.TOPIC_OFFSET + 3;
        assertThat(HeaderBlock.blockLength(first.buffer(), block)).isEqualTo(12);
        final byte[] payload = new byte[2];
        first.buffer().getBytes(block + 12, payload);
        assertThat(new String(payload, StandardCharsets.UTF_8)).isEqualTo("hi");
        final ScriptedBroker.Frame second = peer.next(FrameType.PUBLISH);
        assertThat(second.buffer().getByte(Protocol.FLAGS_OFFSET)).as("no headers: no flag").isZero();
    }

    @Test
    void publishingWithHeadersBuiltOnceAllocatesNothingPerMessage() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
        connect(true);
        final Headers headers = Headers.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-01"); // within 64 B
        final org.agrona.concurrent.UnsafeBuffer payload =
            new org.agrona.concurrent.UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(64));
        final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean(true);
        final Thread drainer = new Thread(() ->
        {
            try
            {
                while (draining.get())
                {
                    peer.discard();
                    Thread.onSpinWait();
                }
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        drainer.start();
        try
        {
            for (int i = 0; i < 20_000; i++)
            {
                client.publish("h.a", payload, 0, 64, headers);
                client.poll();
            }
            final long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 20_000; i++)
            {
                client.publish("h.a", payload, 0, 64, headers);
                client.poll();
            }
            final long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            assertThat(allocated).as("bytes allocated by 20,000 publishes with headers").isLessThan(20_000);
        }
        finally
        {
            draining.set(false);
            drainer.join(ScriptedBroker.WAIT.toMillis());
        }
    }

    @Test
    void theServiceTrailersLimitsAreCheckedAtTheCall() throws Exception
    {
        connect(true);
        assertThatThrownBy(() -> client.publish("h.a", "x", Headers.of("a", "1", "b", "2", "c", "3")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_headers of 2");
        assertThatThrownBy(() -> client.publish("h.a", "x", Headers.of("a", "v".repeat(60))))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_header_bytes of 64");
    }

    @Test
    void aBrokerWithoutServicesGetsNoHeaders() throws Exception
    {
        connect(false);
        assertThatThrownBy(() -> client.publish("h.a", "x".getBytes(StandardCharsets.UTF_8), Headers.of("k", "v")))
            .isInstanceOf(BusException.class).hasMessageContaining("does not support headers");
        client.publish("h.a", "plain");
        final ScriptedBroker.Frame frame = peer.next(FrameType.PUBLISH);
        assertThat(frame.buffer().getByte(Protocol.FLAGS_OFFSET)).as("the plain one, nothing before it").isZero();
    }
}

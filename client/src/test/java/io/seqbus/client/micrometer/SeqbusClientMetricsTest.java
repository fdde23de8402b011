package io.seqbus.client.micrometer;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import io.seqbus.wire.Protocol;
import io.seqbus.wire.WelcomeFrame;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Micrometer binder shows the client's counters under their names and tags.
 */
class SeqbusClientMetricsTest
{
    @TempDir
    Path dir;

    private AFUNIXDatagramChannel listener;
    private AFUNIXDatagramChannel peer;
    private BusClient client;

    @AfterEach
    void tearDown() throws Exception
    {
        if (client != null)
        {
            client.close();
        }
        if (peer != null)
        {
            peer.close();
        }
        if (listener != null)
        {
            listener.close();
        }
    }

    @Test
    void exposesTheClientsCountersAsMeters() throws Exception
    {
        connect();
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new SeqbusClientMetrics(client, Tags.of("bus", "orders")).bindTo(registry);
        client.publish("orders.eu.created", "{}");
        client.publish("orders.eu.created", "{}");

        assertThat(registry.get("seqbus.client.publishes").tags("bus", "orders", "result", "accepted")
            .functionCounter().count()).isEqualTo(2.0);
        assertThat(registry.get("seqbus.client.publishes").tag("result", "denied").functionCounter().count())
            .isZero();
        assertThat(registry.get("seqbus.client.datagrams").tag("direction", "in").functionCounter().count())
            .isEqualTo(1.0);
        assertThat(registry.get("seqbus.client.bytes").tag("direction", "out").functionCounter().count())
            .isEqualTo((double)client.stats().bytesOut()).isPositive();
        assertThat(registry.get("seqbus.client.connected").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("seqbus.client.subscriptions").gauge().value()).isZero();
        // A broker that offers no shared memory (this scripted one): the socket.
        assertThat(registry.get("seqbus.client.transport").tags("bus", "orders", "transport", "socket").gauge().value())
            .isEqualTo(1.0);
        assertThat(registry.get("seqbus.client.transport").tag("transport", "shm").gauge().value()).isZero();
        for (final String name : new String[] {"seqbus.client.errors", "seqbus.client.reconnects",
            "seqbus.client.delivered", "seqbus.client.handler.errors", "seqbus.client.gaps", "seqbus.client.lost",
            "seqbus.client.dropped", "seqbus.client.handler.drops", "seqbus.client.handler.unhandled"})
        {
            assertThat(registry.get(name).tag("bus", "orders").functionCounter().count()).as(name).isZero();
        }
    }

    /** Just enough broker for a client to connect: WELCOME to its HELLO. */
    private void connect() throws Exception
    {
        final Path socket = dir.resolve("bus.sock");
        listener = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        listener.bind(AFUNIXSocketAddress.of(socket));
        listener.socket().listen(4);
        final ClientOptions options = new ClientOptions().socket(socket.toString()).threadMode(ThreadMode.POLL);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = (AFUNIXDatagramChannel)listener.socket().accept().getChannel();
        final ByteBuffer bytes = ByteBuffer.allocateDirect(1024);
        peer.read(bytes);
        final int length = WelcomeFrame.encode(
            new UnsafeBuffer(bytes), 0, Protocol.VERSION, 65536, 131072, 1, 1, "h1");
        bytes.clear().limit(length);
        peer.write(bytes);
        client = connecting.get(10, TimeUnit.SECONDS);
    }
}

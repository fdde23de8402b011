package io.seqbus.broker.metrics;

import io.seqbus.broker.counters.BrokerCounters;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link MetricsServer#inherit}: the endpoint served on a listening TCP socket it did not open, as systemd passes
 * the metrics port (seqbus-metrics.socket). Here the socket is one this JVM opened, found by its descriptor number
 * as the broker would find systemd's: IPv4 and IPv6, the address read back, and the socket still listening after
 * the server closes (the port is systemd's, and the next broker serves on it).
 */
class InheritedMetricsPortTest
{
    private final BrokerMetrics metrics = new BrokerMetrics(new BrokerCounters(), () -> true);

    @Test
    void servesOnAnInheritedIpv4Port() throws Exception
    {
        servesAndLeavesTheSocketListening(InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void servesOnAnInheritedIpv6Port() throws Exception
    {
        servesAndLeavesTheSocketListening(InetAddress.getByName("::1"));
    }

    @Test
    void aDescriptorThatIsNoInternetSocketIsRefusedWithTheReason() throws Exception
    {
        final Path file = Files.createTempFile("inherited", ".txt");
        try (var in = Files.newInputStream(file))
        {
            final int fd = descriptorOf("/proc/self/fd", file.toRealPath().toString());
            assertThatThrownBy(() -> MetricsServer.inherit(fd, metrics, () -> new MetricsServer.Health(true, "{}")))
                .isInstanceOf(IOException.class).hasMessageContaining("\"metrics\"").hasMessageContaining("ListenStream=");
        }
        finally
        {
            Files.delete(file);
        }
    }

    private void servesAndLeavesTheSocketListening(final InetAddress host) throws Exception
    {
        try (ServerSocketChannel listener = ServerSocketChannel.open())
        {
            listener.bind(new InetSocketAddress(host, 0));
            final InetSocketAddress bound = (InetSocketAddress)listener.getLocalAddress();
            final int fd = listeningFd(bound.getPort());

            final MetricsServer server = MetricsServer.inherit(fd, metrics, () -> new MetricsServer.Health(true, "{}"));
            try
            {
                assertThat(server.address()).isEqualTo(bound);
                assertThat(get(bound, "/metrics")).startsWith("HTTP/1.1 200").contains("seqbus_healthy 1.0");
            }
            finally
            {
                server.close();
            }
            // Still listening: a connect is queued in its backlog rather than refused.
            try (Socket again = new Socket(bound.getAddress(), bound.getPort()))
            {
                assertThat(again.isConnected()).isTrue();
            }
        }
    }

    private static String get(final InetSocketAddress address, final String path) throws IOException
    {
        try (Socket socket = new Socket(address.getAddress(), address.getPort()))
        {
            socket.setSoTimeout(10_000);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The descriptor of this process's listening TCP socket on a port: its inode from /proc/net, then its fd. */
    private static int listeningFd(final int port) throws IOException
    {
        final String localPort = ":" + String.format(Locale.ROOT, "%04X", port);
        for (final String table : List.of("/proc/net/tcp", "/proc/net/tcp6"))
        {
            for (final String line : Files.readAllLines(Path.of(table)))
            {
                final String[] columns = line.trim().split("\\s+");
                if (columns.length > 9 && columns[1].endsWith(localPort) && "0A".equals(columns[3]))
                {
                    return descriptorOf("/proc/self/fd", "socket:[" + columns[9] + "]");
                }
            }
        }
        throw new AssertionError("no listening socket on port " + port + " in /proc/net/tcp or tcp6");
    }

    private static int descriptorOf(final String folder, final String target) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of(folder)))
        {
            for (final Path fd : (Iterable<Path>)fds::iterator)
            {
                try
                {
                    if (Files.readSymbolicLink(fd).toString().equals(target))
                    {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                }
                catch (final IOException ex)
                {
                    // closed meanwhile (the listing's own descriptor): not ours
                }
            }
        }
        throw new AssertionError("no descriptor of this process refers to " + target);
    }
}

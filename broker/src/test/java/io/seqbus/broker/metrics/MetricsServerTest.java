package io.seqbus.broker.metrics;

import io.seqbus.broker.counters.BrokerCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The metrics endpoint against clients that misbehave: ones that stop halfway through a request, send
 * nothing, trickle a byte a second, never read their reply, send too much, or crowd past the cap. Whatever
 * they do, a probe is answered promptly, and every connection they hold ends by its deadline.
 */
class MetricsServerTest
{
    /** How long a probe may take while others misbehave: far below any deadline of the server. */
    private static final Duration PROMPT = Duration.ofSeconds(2);
    /** Long enough for the server's deadlines to pass: request, then write, then linger. */
    private static final Duration PAST_DEADLINE = Duration.ofNanos(
        HttpConnection.REQUEST_TIMEOUT_NS + HttpConnection.WRITE_TIMEOUT_NS).plusSeconds(3);

    private final AtomicReference<MetricsServer.Health> health =
        new AtomicReference<>(new MetricsServer.Health(true, "{\"status\":\"up\"}"));
    private final List<SocketChannel> clients = new ArrayList<>();
    private BrokerMetrics metrics;
    private MetricsServer server;
    private long fdsBefore;

    @BeforeEach
    void start() throws Exception
    {
        metrics = new BrokerMetrics(new BrokerCounters(), () -> true);
        fdsBefore = openFds();
        server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics, health::get);
    }

    @AfterEach
    void stop() throws Exception
    {
        for (final SocketChannel client : clients)
        {
            client.close();
        }
        server.close();
        metrics.close();
    }

    @Test
    void servesTheRoutesItServedBefore() throws Exception
    {
        final Reply scrape = get("/metrics");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.head()).contains("Content-Type: text/plain; version=0.0.4; charset=utf-8",
            "Connection: close");
        assertThat(scrape.body()).contains("# TYPE seqbus_messages_published_total counter");
        assertThat(get("/metrics?name=x").status()).isEqualTo(200);

        assertThat(get("/health").body()).isEqualTo("{\"status\":\"up\"}");
        assertThat(get("/health").head()).contains("Content-Type: application/json");
        health.set(new MetricsServer.Health(false, "{\"status\":\"down\"}"));
        assertThat(get("/health")).extracting(Reply::status, Reply::body).containsExactly(503, "{\"status\":\"down\"}");

        assertThat(get("/other")).extracting(Reply::status, Reply::body)
            .containsExactly(404, "seqbus: /metrics or /health\n");

        final Reply head = request("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(head.status()).isEqualTo(503);
        assertThat(head.head()).contains("Content-Length: 17");
        assertThat(head.body()).isEmpty();
    }

    @Test
    void refusesWhatItDoesNotServe() throws Exception
    {
        final Reply post = request("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.head()).contains("Allow: GET, HEAD");

        assertThat(request("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(RequestHead.MAX_BYTES) +
            "\r\n\r\n").status()).isEqualTo(431);
        assertThat(request("GET /" + "a".repeat(RequestHead.MAX_BYTES) + " HTTP/1.1\r\n\r\n").status())
            .isEqualTo(400);
        assertThat(request("GET /metrics\r\n\r\n").status()).isEqualTo(400);
        assertThat(request("GET metrics HTTP/1.1\r\n\r\n").status()).isEqualTo(400);
        // Still serving after all that.
        assertThat(get("/health").status()).isEqualTo(200);
    }

    @Test
    void oneClientStuckMidRequestBlindsNoOneAndIsClosedAtItsDeadline() throws Exception
    {
        final SocketChannel stuck = connect("GET /metrics HTTP/1.1\r\n");

        await().atMost(PROMPT).untilAsserted(() ->
        {
            assertThat(get("/health").status()).isEqualTo(200);
            assertThat(get("/metrics").status()).isEqualTo(200);
        });
        assertThat(closedByServer(stuck)).as("still waiting for its request").isFalse();

        await().atMost(PAST_DEADLINE).until(() -> closedByServer(stuck));
    }

    @Test
    void fiftyStuckClientsOfThreeKindsBlindNoOneAndLeaveNoDescriptorBehind() throws Exception
    {
        final long fdsServing = openFds();
        final List<SocketChannel> stuck = new ArrayList<>();
        final List<SocketChannel> tricklers = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            stuck.add(connect("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
            stuck.add(connect(""));
            final SocketChannel trickler = connect("GET /health HTTP/1.1\r\nX-Slow: ");
            tricklers.add(trickler);
            stuck.add(trickler);
        }
        final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try
        {
            trickle.scheduleAtFixedRate(() -> tricklers.forEach((t) -> send(t, "a")), 0, 1, TimeUnit.SECONDS);
            for (int round = 0; round < 3; round++)
            {
                await().atMost(PROMPT).untilAsserted(() ->
                {
                    assertThat(get("/health").status()).isEqualTo(200);
                    assertThat(get("/metrics").status()).isEqualTo(200);
                });
            }
            assertThat(stuck).as("still waiting for their requests").noneMatch(MetricsServerTest::closedByServer);

            await().atMost(PAST_DEADLINE).untilAsserted(() ->
                assertThat(stuck).allMatch(MetricsServerTest::closedByServer));
        }
        finally
        {
            trickle.shutdownNow();
        }
        for (final SocketChannel client : clients)
        {
            client.close();
        }
        clients.clear();
        await().atMost(PROMPT).until(() -> openFds() == fdsServing);

        server.close();
        await().atMost(PROMPT).until(() -> openFds() == fdsBefore);
    }

    @Test
    void aClientThatNeverReadsABigReplyBlocksNoOne() throws Exception
    {
        // Far more than the kernel buffers of both sockets hold: the server must wait for this reader.
        health.set(new MetricsServer.Health(true, "\"" + "x".repeat(16 << 20) + "\""));
        final SocketChannel reader = SocketChannel.open();
        clients.add(reader);
        reader.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
        reader.connect(server.address());
        send(reader, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        reader.configureBlocking(false);
        await().atMost(PROMPT).until(() -> reader.read(ByteBuffer.allocate(16)) > 0);

        await().atMost(PROMPT).untilAsserted(() -> assertThat(get("/metrics").status()).isEqualTo(200));
        assertThat(get("/metrics").status()).isEqualTo(200);
    }

    @Test
    void overTheCapANewConnectionClosesTheOldest() throws Exception
    {
        final List<SocketChannel> idle = new ArrayList<>();
        for (int i = 0; i < HttpLoop.MAX_CONNECTIONS; i++)
        {
            idle.add(connect(""));
        }
        final SocketChannel newcomer = connect("");

        await().atMost(PROMPT).until(() -> closedByServer(idle.get(0)));
        assertThat(idle.subList(1, idle.size())).noneMatch(MetricsServerTest::closedByServer);
        assertThat(closedByServer(newcomer)).isFalse();
        await().atMost(PROMPT).untilAsserted(() -> assertThat(get("/health").status()).isEqualTo(200));
    }

    private SocketChannel connect(final String partialRequest) throws IOException
    {
        final SocketChannel channel = SocketChannel.open(server.address());
        clients.add(channel);
        send(channel, partialRequest);
        channel.configureBlocking(false);
        return channel;
    }

    private static void send(final SocketChannel channel, final String text)
    {
        try
        {
            final ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
        }
        catch (final IOException ex)
        {
            // the server closed it: what the deadline is for
        }
    }

    /** Without waiting: true once the server ended the connection (end of stream or reset). */
    private static boolean closedByServer(final SocketChannel channel)
    {
        try
        {
            return channel.read(ByteBuffer.allocate(1024)) < 0;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    private Reply get(final String path) throws IOException
    {
        return request("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }

    /** Sends a request and reads the reply to the end of stream, which the server sends after every reply. */
    private Reply request(final String request) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(server.address(), (int)PROMPT.toMillis());
            socket.setSoTimeout((int)PROMPT.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try
            {
                final InputStream in = socket.getInputStream();
                in.transferTo(bytes);
            }
            catch (final java.net.SocketException ex)
            {
                // a reset after the reply (the request was refused before it was all read) still leaves the reply
                if (bytes.size() == 0)
                {
                    throw ex;
                }
            }
            final String text = bytes.toString(StandardCharsets.UTF_8);
            final int split = text.indexOf("\r\n\r\n");
            assertThat(split).as("a complete head in: " + text).isPositive();
            return new Reply(Integer.parseInt(text.substring(9, 12)), text.substring(0, split), text.substring(split + 4));
        }
    }

    /**
     * Descriptors of sockets, pipes and selectors (epoll, eventfd): the kinds a server opens. Files are left
     * out, as the JVM opens a library's jar the first time one of its classes loads, and keeps it open.
     */
    private static long openFds() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.map(MetricsServerTest::target).filter((t) -> t.startsWith("socket:") ||
                t.startsWith("pipe:") || t.startsWith("anon_inode:")).count();
        }
    }

    private static String target(final Path fd)
    {
        try
        {
            return Files.readSymbolicLink(fd).toString();
        }
        catch (final IOException ex)
        {
            return ""; // closed meanwhile, or the descriptor of the listing itself
        }
    }

    private record Reply(int status, String head, String body)
    {
    }
}

package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The default handlers report through System.Logger "io.seqbus.client" (which the JDK routes to JUL, and
 * logging bridges pick up), never straight to stderr.
 */
class DefaultHandlersLogTest
{
    @TempDir
    Path dir;

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler()
    {
        public void publish(final LogRecord record)
        {
            records.add(record);
        }

        public void flush()
        {
        }

        public void close()
        {
        }
    };
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private Logger julLogger;
    private PrintStream originalErr;
    private ScriptedBroker broker;
    private Peer peer;
    private BusClient client;

    @BeforeEach
    void captureLogsAndStderr()
    {
        julLogger = Logger.getLogger("io.seqbus.client");
        julLogger.addHandler(capture);
        // JUL's own console handler would write to stderr: what is tested is that the client does not.
        julLogger.setUseParentHandlers(false);
        originalErr = System.err;
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() throws Exception
    {
        System.setErr(originalErr);
        julLogger.removeHandler(capture);
        julLogger.setUseParentHandlers(true);
        if (client != null)
        {
            client.close();
        }
        if (peer != null)
        {
            peer.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void gapsErrorsHandlerExceptionsAndLossesGoToTheLoggerNotToStderr() throws Exception
    {
        connect();
        client.subscribe("orders.>", message ->
        {
            throw new IllegalStateException("handler bug");
        });
        peer.next(FrameType.SUBSCRIBE);
        peer.deliver(1, 41, "orders.eu.created", "{}").gap(1, 42, 3, GapReason.DROPPED_OLDEST)
            .error(ErrorCode.INVALID_TOPIC, 0, "bad topic").send();
        within().until(() -> client.poll() >= 0 && records.size() >= 3);

        final LogRecord thrown = find("handler threw");
        assertThat(thrown.getLevel()).isEqualTo(Level.SEVERE);
        assertThat(thrown.getThrown()).hasMessage("handler bug");
        assertThat(thrown.getMessage()).contains("orders.eu.created", "seq 41", "subscription 1");
        assertThat(find("count=3").getLevel()).isEqualTo(Level.WARNING);
        assertThat(find("bad topic").getLevel()).isEqualTo(Level.WARNING);

        peer.close();
        peer = null;
        within().until(() -> client.poll() >= 0 && !client.isConnected());
        assertThat(find("seqbus broker").getLevel()).isEqualTo(Level.WARNING);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    private LogRecord find(final String text)
    {
        return records.stream().filter(r -> r.getMessage().contains(text)).findFirst()
            .orElseThrow(() -> new AssertionError("no record containing '" + text + "' in " +
                records.stream().map(LogRecord::getMessage).toList()));
    }

    private void connect() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1));
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    static org.awaitility.core.ConditionFactory within()
    {
        return await().atMost(ScriptedBroker.WAIT).pollInSameThread().pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(1));
    }
}

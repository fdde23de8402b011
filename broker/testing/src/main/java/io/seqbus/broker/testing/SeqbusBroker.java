package io.seqbus.broker.testing;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.Broker;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A real seqbus broker inside the test's JVM, on a socket in a fresh temporary folder, for testing a
 * service against the bus without installing or starting anything.
 *
 * <pre>{@code
 * class OrderServiceTest
 * {
 *     @RegisterExtension
 *     static SeqbusBroker broker = new SeqbusBroker();      // one broker for the class
 *
 *     @Test
 *     void publishesOrders()
 *     {
 *         try (BusClient bus = BusClient.connect(new ClientOptions().socket(broker.socket())))
 *         {
 *             // ...
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Registered on a {@code static} field, one broker serves every test of the class; on an instance
 * field, each test gets its own. Either way it is closed, and its folder removed, when the tests are
 * done. {@link #stop()} and {@link #start()} in a test simulate a broker restart (same socket).
 *
 * <p>The broker runs as {@code seqbus broker} would, with what a service's test never needs turned
 * off: no LAN bridge, no metrics endpoint, no config file, no systemd socket activation. So Aeron,
 * Micrometer and Jackson are neither loaded nor on the class path (this artifact excludes them from
 * its dependency on the broker). Its memory bounds are smaller than the daemon's so that it starts in
 * a test JVM of {@code -Xmx256m}: 32 MiB queued for all subscribers (4 MiB each, as the daemon), 256
 * connections, 16 MiB of subscriptions. Other settings can be given with {@link #configure}.
 */
public final class SeqbusBroker implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback
{
    /** Bytes queued for all subscribers together (the daemon's default is 256 MiB). */
    static final int TEST_QUEUED_BYTES = 32 * 1024 * 1024;
    /** Bytes of subscriptions held for all clients together (the daemon's default is 64 MiB). */
    static final int TEST_SUBSCRIPTION_BYTES = 16 * 1024 * 1024;

    private Consumer<BrokerContext> settings = (context) -> {};
    private Path folder;
    private String socket;
    private Broker broker;
    /** Started for the whole class (static field): the per-test callbacks leave it alone. */
    private boolean perClass;

    /**
     * Further broker settings, applied to each start after this extension's own.
     *
     * @param settings sets what the test needs, e.g. {@code c -> c.maxQueueBytes(65536)}.
     * @return this.
     */
    public SeqbusBroker configure(final Consumer<BrokerContext> settings)
    {
        this.settings = Objects.requireNonNull(settings, "settings");
        return this;
    }

    /**
     * @return the broker's socket path, for {@code ClientOptions.socket}; the same across
     * {@link #stop()} and {@link #start()}.
     * @throws IllegalStateException before the extension ran (outside a test).
     */
    public String socket()
    {
        if (socket == null)
        {
            throw new IllegalStateException("no broker yet: register SeqbusBroker with @RegisterExtension");
        }
        return socket;
    }

    /**
     * @return the running broker, or null between {@link #stop()} and {@link #start()}.
     */
    public Broker broker()
    {
        return broker;
    }

    /**
     * @return true while the broker runs.
     */
    public boolean isRunning()
    {
        return broker != null;
    }

    /**
     * Starts the broker on {@link #socket()}, if it is not running.
     */
    public void start()
    {
        if (broker != null)
        {
            return;
        }
        final BrokerContext context = new BrokerContext()
            .socket(socket)
            .socketActivation(false)
            .metrics("off")
            .lanChannel(null)
            // Sized for a test JVM: the broker refuses to start when its bounds do not fit the heap and
            // direct memory, and the daemon's defaults (256 MiB of queues, 4096 connections) want more
            // than a test's -Xmx256m. These need about 140 MiB of direct memory and 120 MiB of heap.
            .maxTotalQueuedBytes(TEST_QUEUED_BYTES)
            .maxQueuedBytesPerUid(TEST_QUEUED_BYTES)
            .maxConnections(256)
            .maxTotalSubscriptionBytes(TEST_SUBSCRIPTION_BYTES)
            .maxSubscriptionBytesPerUid(TEST_SUBSCRIPTION_BYTES);
        settings.accept(context);
        try
        {
            broker = Broker.launch(context);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start a broker on " + socket, ex);
        }
    }

    /**
     * Stops the broker as a restart would: clients hear SHUTTING_DOWN and, if they reconnect, wait
     * for {@link #start()}.
     */
    public void stop()
    {
        final Broker running = broker;
        broker = null;
        if (running != null)
        {
            running.close();
        }
    }

    @Override
    public void beforeAll(final ExtensionContext extensionContext) throws IOException
    {
        perClass = true;
        open();
    }

    @Override
    public void afterAll(final ExtensionContext extensionContext) throws IOException
    {
        shut();
    }

    @Override
    public void beforeEach(final ExtensionContext extensionContext) throws IOException
    {
        if (!perClass)
        {
            open();
        }
    }

    @Override
    public void afterEach(final ExtensionContext extensionContext) throws IOException
    {
        if (!perClass)
        {
            shut();
        }
    }

    private void open() throws IOException
    {
        // A folder of our own, mode 0700 as created: no other user can reach the socket or swap it.
        folder = Files.createTempDirectory("seqbus-test-");
        socket = folder.resolve("bus.sock").toString();
        start();
    }

    private void shut() throws IOException
    {
        try
        {
            stop();
        }
        finally
        {
            if (folder != null)
            {
                Files.deleteIfExists(folder.resolve("bus.sock"));
                Files.deleteIfExists(folder);
                folder = null;
            }
        }
    }
}

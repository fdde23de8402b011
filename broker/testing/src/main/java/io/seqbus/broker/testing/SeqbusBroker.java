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
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A real seqbus broker on a socket in a fresh temporary folder, in the test's JVM or a child JVM, for
 * testing a service against the bus without installing or starting anything, and with no JVM flags.
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
 *
 * <p><b>No JVM flags.</b> The broker's buffers (Agrona's {@code UnsafeBuffer}) need
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}; the client does not. A test JVM without that
 * flag gets its broker in a child JVM (the same java and class path, the broker's flags, {@code -Xmx256m}),
 * accepting connections about 0.6 s after {@link #start()} (a first start in-process takes about 0.4 s); a
 * test JVM with the flag runs it inside itself, unless {@link #inChildJvm()} asks for a child anyway. Either way the API is the same, except {@link #broker()}. A
 * child ends when the broker is stopped, when the tests are done, when the test JVM exits (a shutdown hook),
 * and when the test JVM dies by any means (its stdin, held by the test JVM, ends): no broker outlives its tests.
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
    private ChildBroker child;
    private boolean alwaysInChildJvm;
    private List<String> childJvmOptions = List.of();
    /** Started for the whole class (static field): the per-test callbacks leave it alone. */
    private boolean perClass;

    /**
     * Further broker settings, applied to each start after this extension's own. For a broker in a child JVM
     * they are applied here and cross as values: every setting {@code seqbus broker} has, the node id and the
     * ACL rules; an agent failure handler does not (the child logs a failure on the test's stderr).
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
     * Runs the broker in a child JVM even when this JVM could run it (it has the flag): to test as a JVM
     * without the flag would, or to keep the broker's threads and memory apart from the test's.
     *
     * @return this.
     */
    public SeqbusBroker inChildJvm()
    {
        alwaysInChildJvm = true;
        return this;
    }

    /**
     * Options for the child JVM, after its own ({@code -Xmx256m} and the broker's flags): a larger heap for
     * larger bounds given with {@link #configure}, say {@code -Xmx1g}. Ignored when the broker runs in this JVM.
     *
     * @param options JVM options.
     * @return this.
     */
    public SeqbusBroker childJvmOptions(final String... options)
    {
        childJvmOptions = List.of(options);
        return this;
    }

    /**
     * @return true when the broker runs (or will run) in a child JVM: asked for with {@link #inChildJvm()}, or
     * this JVM lacks {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}.
     */
    public boolean runsInChildJvm()
    {
        return alwaysInChildJvm || !Object.class.getModule().isExported("jdk.internal.misc", SeqbusBroker.class.getModule());
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
     * @return the running broker when it runs in this JVM; null between {@link #stop()} and {@link #start()},
     * and when it runs in a child JVM ({@link #runsInChildJvm()}).
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
        return broker != null || child != null;
    }

    /** @return the child JVM's process id while the broker runs in one, else -1. */
    long childPid()
    {
        return child != null ? child.pid() : -1;
    }

    /**
     * Starts the broker on {@link #socket()}, if it is not running.
     */
    public void start()
    {
        if (isRunning())
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
        if (runsInChildJvm())
        {
            child = ChildBroker.start(context, folder, childJvmOptions);
            return;
        }
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
        final ChildBroker runningChild = child;
        broker = null;
        child = null;
        if (running != null)
        {
            running.close();
        }
        if (runningChild != null)
        {
            runningChild.stop();
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
                Files.deleteIfExists(folder.resolve("broker.properties"));
                Files.deleteIfExists(folder);
                folder = null;
            }
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.Peer;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.BuildInfo;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.config.Settings;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.metrics.BrokerMetrics;
import io.seqbus.broker.metrics.MetricsEndpoint;
import io.seqbus.broker.metrics.MetricsServer;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.systemd.SocketActivation;
import io.seqbus.broker.systemd.SystemdNotifier;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A running broker: the listening socket and the agent thread that serves it.
 *
 * <pre>{@code
 * try (Broker broker = Broker.launch(new BrokerContext().socket("/tmp/bus.sock")))
 * {
 *     // serve until the process is told to stop
 * }
 * }</pre>
 */
public final class Broker implements AutoCloseable
{
    private final BrokerContext context;
    private final Listener listener;
    private final BrokerAgent agent;
    private final AgentRunner runner;
    private final BrokerHealth health;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Reloads reloads = new Reloads();
    private SystemdNotifier notifier;
    private BrokerMetrics metrics;
    private MetricsServer metricsServer;

    private volatile Throwable agentFailure;

    private Broker(final BrokerContext context) throws IOException
    {
        this.context = context;
        this.listener = ListeningSocket.open(context);
        try
        {
            this.agent = new BrokerAgent(context, listener, reloads::last);
        }
        catch (final IOException | RuntimeException ex)
        {
            listener.close();
            throw ex;
        }
        // The agent blocks in epoll_wait itself once idle for idle_spin_cycles: a message that comes
        // then wakes it at once. Before that it spins, then yields, and never parks: a park here
        // lasts 20-40 µs whatever is asked, and a message that came meanwhile waited it out (at 10k
        // msgs/s parks made one-hop p50 ~30 µs instead of ~20, and cost more CPU at 1k msgs/s, 49%
        // of a core instead of 15%, since a park-stretched spin phase never reached poll). Short
        // parks remain for when it may not block: while publishers are held back.
        this.runner = new AgentRunner(
            new BackoffIdleStrategy(10, Math.max(10, context.idleSpinCycles()),
                TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(20)),
            this::onAgentError,
            null,
            agent);
        this.health = new BrokerHealth(agent.counters(), listener, runner);
    }

    /**
     * An exception in a duty cycle is logged and the next cycle runs. An Error (out of memory,
     * say) ends the agent's thread: nothing is read or delivered any more, so the broker must
     * not look alive. The owner hears of it and should stop the process with a failure status,
     * for systemd (or whoever supervises it) to start a fresh one.
     */
    private void onAgentError(final Throwable ex)
    {
        if (!(ex instanceof Error))
        {
            Log.error("agent: " + ex);
            return;
        }
        agentFailure = ex;
        if (ex instanceof VirtualMachineError)
        {
            // Out of memory, closing (which builds frames and log lines) may fail or thrash the
            // collector for long: the socket goes first (new clients fail fast), then the owner
            // hears, and a daemon's owner exits at once.
            try
            {
                listener.close();
            }
            catch (final Throwable ignore)
            {
                // the owner must hear regardless
            }
            context.agentFailureHandler().accept(ex);
        }
        Log.error("the broker's thread stopped on " + ex + "; nothing is delivered any more");
        // The runner skips the agent's close when an Error ends its thread: close here, still on that
        // thread, so clients hear SHUTTING_DOWN and the socket goes, rather than hang on a broker that
        // reads nothing.
        try
        {
            agent.onClose();
        }
        catch (final Throwable closeFailure)
        {
            Log.error("closing after the failure: " + closeFailure);
        }
        finally
        {
            // Out of memory, the close itself may fail half way: the socket file goes regardless.
            listener.close();
        }
        if (!(ex instanceof VirtualMachineError))
        {
            context.agentFailureHandler().accept(ex);
        }
    }

    /** The agent, for tests in this package that hand it a command. */
    BrokerAgent agentForTest()
    {
        return agent;
    }

    /**
     * @return the Error that stopped the agent's thread, or null while it runs.
     */
    public Throwable agentFailure()
    {
        return agentFailure;
    }

    /**
     * Concludes the settings and checks that the bounds they set fit this JVM's heap and direct
     * memory and the process's RLIMIT_NOFILE (raised first: {@link DescriptorBudget}), as {@link #launch}
     * does before it binds anything.
     *
     * @param context settings.
     * @throws IllegalArgumentException naming what is not allowed, or what does not fit.
     */
    public static void checkFits(final BrokerContext context)
    {
        context.conclude();
        MemoryBudget.check(context);
        DescriptorBudget.raiseAndCheck(context);
    }

    /**
     * Binds the socket, or takes over the one systemd passed (socket activation), starts the
     * agent thread and, under systemd, tells it the broker is ready.
     *
     * @param context settings; validated here.
     * @return the running broker.
     * @throws IOException when the socket cannot be bound (in use by a live broker, say).
     */
    public static Broker launch(final BrokerContext context) throws IOException
    {
        checkFits(context);
        Log.level(Log.Level.of(context.logLevel()));
        final Broker broker = new Broker(context);
        try
        {
            broker.notifier = SystemdNotifier.fromEnvironment(
                System.getenv(), ProcessHandle.current().pid(), broker.agent.counters(), broker.agent::wakeUp);
        }
        catch (final IOException | RuntimeException ex)
        {
            broker.listener.close();
            throw ex;
        }
        AgentRunner.startOnThread(broker.runner);
        try
        {
            broker.startMetrics();
        }
        catch (final IOException | RuntimeException ex)
        {
            broker.close();
            throw ex;
        }
        final Listener listener = broker.listener;
        Log.info("broker " + BuildInfo.BROKER.describe() + " node=" + context.nodeName() + " listening on " +
            listener.address() + (listener.inherited() ? " (socket-activated)" : ""));
        ListeningSocket.warnWhereUnprotected(context, listener);
        if (broker.notifier != null)
        {
            broker.notifier.start(listener.address());
        }
        return broker;
    }

    private void startMetrics() throws IOException
    {
        final int handed = context.socketActivation() ? SocketActivation.namedFd(
            System.getenv(), ProcessHandle.current().pid(), SocketActivation.METRICS_FD_NAME) : SocketActivation.NONE;
        final InetSocketAddress endpoint = MetricsEndpoint.parse(context.metrics());
        if (endpoint == null && handed == SocketActivation.NONE)
        {
            return;
        }
        metrics = new BrokerMetrics(agent.counters(), health::isHealthy);
        metrics.bindBuild(BuildInfo.BROKER);
        if (agent.bridge() != null)
        {
            metrics.bindBridge(agent.bridgeCounters());
        }
        if (handed != SocketActivation.NONE)
        {
            // The socket unit holds the port (a scrape may be what started this broker): serve there, whatever
            // the metrics setting says, or that scrape and every later one would wait unanswered.
            metricsServer = MetricsServer.inherit(handed, metrics, health::report);
            final InetSocketAddress port = metricsServer.address();
            Log.info("metrics on http://" + hostPort(port) + "/metrics and /health (socket-activated)");
            if (endpoint == null || !new InetSocketAddress(endpoint.getHostString(), endpoint.getPort()).equals(port))
            {
                Log.warn("metrics = \"" + context.metrics() + "\" is not used: systemd passed the metrics port " +
                    hostPort(port) + " (FileDescriptorName=metrics); change ListenStream= in its socket unit instead");
            }
            return;
        }
        try
        {
            metricsServer = MetricsServer.start(endpoint, metrics, health::report);
        }
        catch (final IOException ex)
        {
            if (!Settings.METRICS.daemonDefaultValue().equals(context.metrics().trim()))
            {
                throw ex;
            }
            // Several brokers on one host (tests, a second instance): the default port is a
            // convenience, not a promise; an explicitly set one is.
            Log.warn(ex.getMessage() + "; serving no metrics");
            metrics.close();
            metrics = null;
            return;
        }
        Log.info("metrics on http://" + hostPort(metricsServer.address()) + "/metrics and /health");
    }

    private static String hostPort(final InetSocketAddress address)
    {
        final String host = address.getAddress() == null ? address.getHostString() :
            address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * @return where /metrics is served, with the real port; null when metrics are off.
     */
    public InetSocketAddress metricsAddress()
    {
        return metricsServer == null ? null : metricsServer.address();
    }

    /**
     * @return the broker's meters, or null when metrics are off.
     */
    public BrokerMetrics metrics()
    {
        return metrics;
    }

    /**
     * Healthy means the agent finished a duty cycle lately and the socket still accepts (see {@link BrokerHealth}).
     *
     * @return true when healthy; safe from any thread.
     */
    public boolean isHealthy()
    {
        return health.isHealthy();
    }

    /**
     * Applies a freshly loaded configuration to the running broker, as a reload (SIGHUP) does:
     * every changed setting that can change live is handed to the agent thread and applied at
     * the start of its next duty cycle; every changed setting that needs a restart is logged,
     * one line each, and left as it was.
     *
     * @param fresh the new settings, already concluded (validated).
     * @return what changed, applied or not.
     */
    public ReloadResult applyReload(final BrokerContext fresh)
    {
        return SettingsReload.apply(context, fresh, agent);
    }

    /**
     * A reload as SIGHUP asks for it: loads the settings afresh and applies them ({@link #applyReload}), or,
     * when they are invalid (or do not fit this JVM's memory), changes nothing. Either way the outcome is
     * logged and recorded with the next generation number for the STAT document, where {@code seqbus reload}
     * reads it. One reload at a time.
     *
     * @param freshSettings loads and concludes the settings; throws {@link IllegalArgumentException} (a
     *                      {@link io.seqbus.broker.config.ConfigException} names each problem) when they are invalid.
     * @return the outcome, as recorded.
     */
    public ReloadOutcome reload(final Supplier<BrokerContext> freshSettings)
    {
        return reloads.reload(freshSettings, this::applyReload);
    }

    /**
     * @return how the latest reload ended; safe from any thread.
     */
    public ReloadOutcome lastReload()
    {
        return reloads.last();
    }

    /**
     * @return the settings this broker runs with.
     */
    public BrokerContext context()
    {
        return context;
    }

    /**
     * @return counters the agent keeps; safe to read from any thread.
     */
    public BrokerCounters counters()
    {
        return agent.counters();
    }

    /**
     * @return the LAN bridge's counters (all 0 without a bridge); safe to read from any thread.
     */
    public BridgeCounters bridgeCounters()
    {
        return agent.bridgeCounters();
    }

    /**
     * @return the other brokers heard on the LAN, with last-heard time and traffic; empty without a bridge.
     * Safe to call from any thread.
     */
    public List<Peer> lanPeers()
    {
        return agent.bridge() == null ? List.of() : agent.bridge().peers();
    }

    /**
     * Stops accepting, tells systemd (if it listens) that the broker is stopping, delivers what
     * is queued for up to {@link BrokerContext#drainTimeoutNs()}, then tells every client the broker
     * is stopping, closes their connections and removes the socket file (not an inherited one).
     * Safe to call more than once, from any thread.
     */
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        final long timeoutMs = TimeUnit.NANOSECONDS.toMillis(context.drainTimeoutNs());
        Log.info("stopping: accepting no more connections, delivering what is queued (up to " + timeoutMs + " ms)");
        if (notifier != null)
        {
            notifier.stopping();
        }
        agent.requestDrain();
        boolean drained = false;
        try
        {
            // A stopped agent drains nothing: no waiting for it then.
            drained = agentFailure == null && agent.awaitDrained(context.drainTimeoutNs());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (metricsServer != null)
        {
            metricsServer.close();
        }
        if (metrics != null)
        {
            metrics.close();
        }
        // The runner stops the duty cycle; waking the agent ends a blocking poll early (at worst
        // the agent notices within one idle poll, Configuration.IDLE_BLOCK_MS).
        agent.wakeUp();
        runner.close();
        if (agentFailure != null)
        {
            Log.warn("stopping after the failure: " + agent.queuedBytes() + " bytes stayed undelivered");
        }
        else if (!drained)
        {
            Log.warn("stopping: gave up delivering after " + timeoutMs + " ms; " +
                agent.queuedBytes() + " bytes stayed undelivered");
        }
        if (notifier != null)
        {
            notifier.close();
        }
        Log.info("broker stopped");
    }
}

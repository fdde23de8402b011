package io.seqbus.broker;

import io.seqbus.broker.config.Setting;
import io.seqbus.broker.config.Settings;
import io.seqbus.broker.metrics.BrokerMetrics;
import io.seqbus.broker.metrics.MetricsEndpoint;
import io.seqbus.broker.metrics.MetricsServer;
import io.aeron.ChannelUri;
import io.aeron.CommonContext;
import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.acl.Accounts;
import io.seqbus.broker.acl.AclRule;
import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.LanKey;
import io.seqbus.broker.bridge.Peer;
import io.seqbus.broker.net.Listener;
import io.seqbus.broker.systemd.SocketActivation;
import io.seqbus.broker.systemd.SystemdNotifier;
import io.seqbus.wire.BusSocket;
import io.seqbus.wire.Bytes;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.SlowConsumerPolicy;
import io.seqbus.wire.Topics;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A running broker: the listening socket and the agent thread that serves it.
 *
 * <pre>{@code
 * try (Broker broker = Broker.launch(new Broker.Context().socket("/tmp/bus.sock")))
 * {
 *     // serve until the process is told to stop
 * }
 * }</pre>
 */
public final class Broker implements AutoCloseable
{
    /** Names under which systemd may pass the broker's socket: the unit's name, with and without suffix. */
    private static final String[] SOCKET_FD_NAMES = {"seqbus", "seqbus.socket"};

    private final Context context;
    private final Listener listener;
    private final BrokerAgent agent;
    private final AgentRunner runner;
    private final AtomicBoolean closed = new AtomicBoolean();
    private SystemdNotifier notifier;
    private BrokerMetrics metrics;
    private MetricsServer metricsServer;

    private volatile Throwable agentFailure;

    private Broker(final Context context) throws IOException
    {
        this.context = context;
        this.listener = openListener(context);
        try
        {
            this.agent = new BrokerAgent(context, listener);
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

    private static Listener openListener(final Context context) throws IOException
    {
        final int fd = context.socketActivation() ?
            SocketActivation.listenFd(System.getenv(), ProcessHandle.current().pid(), SOCKET_FD_NAMES) :
            SocketActivation.NONE;
        if (fd == SocketActivation.NONE)
        {
            return Listener.bind(context.socket(), context.listenBacklog(), context.socketFile());
        }
        return Listener.inherit(fd);
    }

    /**
     * Binds the socket, or takes over the one systemd passed (socket activation), starts the
     * agent thread and, under systemd, tells it the broker is ready.
     *
     * @param context settings; validated here.
     * @return the running broker.
     * @throws IOException when the socket cannot be bound (in use by a live broker, say).
     */
    public static Broker launch(final Context context) throws IOException
    {
        context.conclude();
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
        Log.info("broker node=" + context.nodeName() + " listening on " + listener.address() +
            (listener.inherited() ? " (socket-activated)" : ""));
        warnAboutSocket(context, listener);
        if (broker.notifier != null)
        {
            broker.notifier.start(listener.address());
        }
        return broker;
    }

    /**
     * An abstract socket has no file, so no permissions: every local user may connect, and the ACL is all. A
     * socket systemd passed has the mode and group its unit gave it.
     */
    private static void warnAboutSocket(final Context context, final Listener listener)
    {
        final String address = listener.address();
        if (BusSocket.isAbstract(address) && "allow".equals(context.aclDefault()))
        {
            Log.warn("the abstract socket " + address + " is open to every local user (it has no file permissions) " +
                "and acl.default = allow lets any user no rule names publish and subscribe to everything; set " +
                "acl.default = \"deny\" with [[acl.rule]] entries, or listen on a socket path");
        }
        if ((BusSocket.isAbstract(address) || listener.inherited()) &&
            (!context.socketMode().isEmpty() || !context.socketGroup().isEmpty()))
        {
            Log.warn("socket_mode and socket_group do not apply to " + (listener.inherited() ?
                "a socket systemd passed (its unit's SocketMode= and SocketGroup= do)" : "the abstract socket " + address));
        }
    }

    private void startMetrics() throws IOException
    {
        final InetSocketAddress endpoint = MetricsEndpoint.parse(context.metrics());
        if (endpoint == null)
        {
            return;
        }
        metrics = new BrokerMetrics(agent.counters(), this::isHealthy);
        if (agent.bridge() != null)
        {
            metrics.bindBridge(agent.bridgeCounters());
        }
        try
        {
            metricsServer = MetricsServer.start(endpoint, metrics, this::health);
        }
        catch (final IOException ex)
        {
            if (!Configuration.METRICS_DEFAULT.equals(context.metrics().trim()))
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
        final InetSocketAddress bound = metricsServer.address();
        Log.info("metrics on http://" + bound.getHostString() + ":" + bound.getPort() + "/metrics and /health");
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
     * Healthy means the agent finished a duty cycle within {@link Configuration#HEALTH_MAX_CYCLE_AGE_MS}
     * (it wakes at least every {@link Configuration#IDLE_BLOCK_MS} even when idle) and the socket
     * still accepts: the listener is open and, for a path, the socket file is still there.
     *
     * @return true when healthy; safe from any thread.
     */
    public boolean isHealthy()
    {
        return cycleAgeMs() <= Configuration.HEALTH_MAX_CYCLE_AGE_MS && socketAccepts();
    }

    private long cycleAgeMs()
    {
        final long last = agent.counters().get(BrokerCounters.AGENT_LAST_CYCLE_NANOTIME);
        return last == 0 ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - last);
    }

    private boolean socketAccepts()
    {
        if (!listener.channel().isOpen() || runner.isClosed())
        {
            return false;
        }
        final String socket = context.socket();
        return BusSocket.isAbstract(socket) || Files.exists(Path.of(socket));
    }

    private MetricsServer.Health health()
    {
        final long age = cycleAgeMs();
        final boolean accepts = socketAccepts();
        final boolean healthy = age <= Configuration.HEALTH_MAX_CYCLE_AGE_MS && accepts;
        final BrokerCounters c = agent.counters();
        return new MetricsServer.Health(healthy, "{\"status\":\"" + (healthy ? "up" : "down") + "\"" +
            ",\"agent_last_cycle_ms\":" + (age == Long.MAX_VALUE ? -1 : age) +
            ",\"socket_accepting\":" + accepts +
            ",\"clients\":" + c.get(BrokerCounters.CONNECTIONS_OPEN) +
            ",\"subscriptions\":" + c.get(BrokerCounters.SUBSCRIPTIONS) + "}\n");
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
    public ReloadResult applyReload(final Context fresh)
    {
        final List<String> applied = new ArrayList<>();
        final List<String> needRestart = new ArrayList<>();
        final List<Setting<?>> live = new ArrayList<>();
        for (final Setting<?> setting : Settings.ALL)
        {
            final Object before = setting.get(context);
            final Object after = setting.get(fresh);
            if (java.util.Objects.equals(before, after))
            {
                continue;
            }
            final String change = setting.key() + ": " + before + " -> " + after;
            if (setting.reload() == Setting.Reload.LIVE)
            {
                applied.add(change);
                live.add(setting);
            }
            else
            {
                needRestart.add(change);
                Log.warn("reload: " + change + " needs a restart; still " + before);
            }
        }
        final boolean aclChanged = !fresh.accessControl.equals(context.accessControl);
        if (aclChanged)
        {
            applied.add("acl: " + context.accessControl + " -> " + fresh.accessControl);
        }
        if (!live.isEmpty() || aclChanged)
        {
            final Runnable apply = () ->
            {
                for (final Setting<?> setting : live)
                {
                    setting.copy(fresh, context);
                }
                Log.level(Log.Level.of(context.logLevel()));
                if (aclChanged)
                {
                    context.aclRules = fresh.aclRules;
                    context.accessControl = fresh.accessControl;
                    agent.applyAccessControl(fresh.accessControl);
                }
            };
            while (!agent.submit(apply))
            {
                Thread.onSpinWait();
            }
            for (final String change : applied)
            {
                Log.info("reload: " + change);
            }
        }
        return new ReloadResult(applied, needRestart);
    }

    /**
     * What a reload changed.
     *
     * @param applied     changes handed to the running broker, as {@code key: old -> new}.
     * @param needRestart changes left alone until a restart, as {@code key: old -> new}.
     */
    public record ReloadResult(List<String> applied, List<String> needRestart)
    {
    }

    /**
     * @return the settings this broker runs with.
     */
    public Context context()
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
     * is queued for up to {@link Context#drainTimeoutNs()}, then tells every client the broker
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

    /**
     * All the settings of a broker, with defaults from {@link Configuration}.
     */
    public static final class Context
    {
        private String socket = System.getProperty(Configuration.SOCKET_PROP_NAME);
        // The socket file: mode and group as configured, and as concluded (-1: the umask's, the process's);
        // the per-user folder when the socket is the default one, checked before binding.
        private String socketMode = Configuration.stringProperty(Configuration.SOCKET_MODE_PROP_NAME, "");
        private String socketGroup = Configuration.stringProperty(Configuration.SOCKET_GROUP_PROP_NAME, "");
        private int socketModeBits = -1;
        private int socketGid = -1;
        private Path socketFolder;
        private long socketFolderUid = -1;
        private String nodeName = System.getProperty(Configuration.NODE_NAME_PROP_NAME);
        private int nodeId;
        private int maxPayload = Configuration.intProperty(
            Configuration.MAX_PAYLOAD_PROP_NAME, Configuration.MAX_PAYLOAD_DEFAULT);
        private int maxDatagram = Configuration.intProperty(
            Configuration.MAX_DATAGRAM_PROP_NAME, Configuration.MAX_DATAGRAM_DEFAULT);
        private int maxSubscriptionsPerConnection = Configuration.intProperty(
            Configuration.MAX_SUBSCRIPTIONS_PROP_NAME, Configuration.MAX_SUBSCRIPTIONS_DEFAULT);
        private int maxConnections = Configuration.intProperty(
            Configuration.MAX_CONNECTIONS_PROP_NAME, Configuration.MAX_CONNECTIONS_DEFAULT);
        private int maxQueueBytes = Configuration.intProperty(
            Configuration.MAX_QUEUE_BYTES_PROP_NAME, Configuration.MAX_QUEUE_BYTES_DEFAULT);
        private long stallTimeoutNs = TimeUnit.MILLISECONDS.toNanos(Configuration.intProperty(
            Configuration.STALL_TIMEOUT_PROP_NAME,
            (int)TimeUnit.NANOSECONDS.toMillis(Configuration.STALL_TIMEOUT_DEFAULT_NS)));
        private SlowConsumerPolicy defaultPolicy = SlowConsumerPolicy.fromLabel(System.getProperty(
            Configuration.DEFAULT_POLICY_PROP_NAME, Configuration.DEFAULT_POLICY_DEFAULT));
        private int listenBacklog = Configuration.intProperty(
            Configuration.LISTEN_BACKLOG_PROP_NAME, Configuration.LISTEN_BACKLOG_DEFAULT);
        private int readBurst = Configuration.intProperty(
            Configuration.READ_BURST_PROP_NAME, Configuration.READ_BURST_DEFAULT);
        private boolean socketActivation = Boolean.parseBoolean(System.getProperty(
            Configuration.SOCKET_ACTIVATION_PROP_NAME, Boolean.toString(Configuration.SOCKET_ACTIVATION_DEFAULT)));
        private long drainTimeoutNs = TimeUnit.MILLISECONDS.toNanos(Configuration.intProperty(
            Configuration.DRAIN_TIMEOUT_PROP_NAME,
            (int)TimeUnit.NANOSECONDS.toMillis(Configuration.DRAIN_TIMEOUT_DEFAULT_NS)));
        private int statTopTopics = Configuration.intProperty(
            Configuration.STAT_TOP_TOPICS_PROP_NAME, Configuration.STAT_TOP_TOPICS_DEFAULT);
        private String metrics = System.getProperty(
            Configuration.METRICS_PROP_NAME, Configuration.METRICS_EMBEDDED_DEFAULT);
        private String logLevel = System.getProperty(Configuration.LOG_LEVEL_PROP_NAME,
            Boolean.getBoolean("seqbus.debug") ? "debug" : Configuration.LOG_LEVEL_DEFAULT);
        private String lanChannel = System.getProperty(Configuration.LAN_CHANNEL_PROP_NAME);
        private int lanStream = Configuration.intProperty(
            Configuration.LAN_STREAM_PROP_NAME, Configuration.LAN_STREAM_DEFAULT);
        private String lanTopics = Configuration.stringProperty(Configuration.LAN_TOPICS_PROP_NAME, "");
        private String lanPeers = Configuration.stringProperty(Configuration.LAN_PEERS_PROP_NAME, "");
        private String lanFlowControl = Configuration.stringProperty(
            Configuration.LAN_FLOW_CONTROL_PROP_NAME, Configuration.LAN_FLOW_CONTROL_DEFAULT);
        private String aeronDir = System.getProperty(Configuration.AERON_DIR_PROP_NAME);
        private String aeronDriver = Configuration.stringProperty(
            Configuration.AERON_DRIVER_PROP_NAME, Configuration.AERON_DRIVER_DEFAULT);
        private int lanAnnounceIntervalMs = Configuration.intProperty(
            Configuration.LAN_ANNOUNCE_INTERVAL_PROP_NAME, Configuration.LAN_ANNOUNCE_INTERVAL_DEFAULT);
        private int maxConnectionsPerUid = Configuration.intProperty(
            Configuration.MAX_CONNECTIONS_PER_UID_PROP_NAME, Configuration.MAX_CONNECTIONS_PER_UID_DEFAULT);
        private int maxClosedSessions = Configuration.intProperty(
            Configuration.MAX_CLOSED_SESSIONS_PROP_NAME, Configuration.MAX_CLOSED_SESSIONS_DEFAULT);
        private int maxClosedSessionsPerUid = Configuration.intProperty(
            Configuration.MAX_CLOSED_SESSIONS_PER_UID_PROP_NAME, Configuration.MAX_CLOSED_SESSIONS_PER_UID_DEFAULT);
        private int maxTopicLength = Configuration.intProperty(
            Configuration.MAX_TOPIC_LENGTH_PROP_NAME, Configuration.MAX_TOPIC_LENGTH_DEFAULT);
        private int maxTotalQueuedBytes = Configuration.intProperty(
            Configuration.MAX_TOTAL_QUEUED_BYTES_PROP_NAME, Configuration.MAX_TOTAL_QUEUED_BYTES_DEFAULT);
        private int maxQueueBytesLimit = Configuration.intProperty(
            Configuration.MAX_QUEUE_BYTES_LIMIT_PROP_NAME, Configuration.MAX_QUEUE_BYTES_LIMIT_DEFAULT);
        private int maxQueuedBytesPerUid = Configuration.intProperty(
            Configuration.MAX_QUEUED_BYTES_PER_UID_PROP_NAME, Configuration.MAX_QUEUED_BYTES_PER_UID_DEFAULT);
        private int maxSubscriptionBytesPerConnection = Configuration.intProperty(
            Configuration.MAX_SUBSCRIPTION_BYTES_PER_CONNECTION_PROP_NAME,
            Configuration.MAX_SUBSCRIPTION_BYTES_PER_CONNECTION_DEFAULT);
        private int maxSubscriptionBytesPerUid = Configuration.intProperty(
            Configuration.MAX_SUBSCRIPTION_BYTES_PER_UID_PROP_NAME, Configuration.MAX_SUBSCRIPTION_BYTES_PER_UID_DEFAULT);
        private int maxTotalSubscriptionBytes = Configuration.intProperty(
            Configuration.MAX_TOTAL_SUBSCRIPTION_BYTES_PROP_NAME, Configuration.MAX_TOTAL_SUBSCRIPTION_BYTES_DEFAULT);
        private int handshakeTimeoutMs = Configuration.intProperty(
            Configuration.HANDSHAKE_TIMEOUT_PROP_NAME, Configuration.HANDSHAKE_TIMEOUT_DEFAULT_MS);
        private int maxFramesPerSecond = Configuration.intProperty(
            Configuration.MAX_FRAMES_PER_SECOND_PROP_NAME, Configuration.MAX_FRAMES_PER_SECOND_DEFAULT);
        private int idleSpinCycles = Configuration.intProperty(
            Configuration.IDLE_SPIN_CYCLES_PROP_NAME, Configuration.IDLE_SPIN_CYCLES_DEFAULT);
        private Consumer<Throwable> agentFailureHandler = (ex) -> { };
        private String aclDefault = Configuration.stringProperty(
            Configuration.ACL_DEFAULT_PROP_NAME, Configuration.ACL_DEFAULT_DEFAULT);
        private List<AclRule> aclRules = List.of();
        private AccessControl accessControl;
        private String lanKeyFile = Configuration.stringProperty(Configuration.LAN_KEY_FILE_PROP_NAME, "");
        private byte[] lanKey;

        /**
         * Fills in what was left unset and checks every value.
         *
         * @return this.
         * @throws IllegalArgumentException naming the setting, the value and what is allowed.
         */
        public Context conclude()
        {
            if (socket == null || socket.isBlank())
            {
                defaultSocket(System.getenv(), DefaultSocket.uid());
            }
            concludeSocketFile();
            if (nodeName == null || nodeName.isBlank())
            {
                nodeName = hostName();
            }
            if (nodeName.getBytes(StandardCharsets.UTF_8).length > Protocol.MAX_NAME_LENGTH)
            {
                throw new IllegalArgumentException(
                    "node name '" + nodeName + "' is longer than " + Protocol.MAX_NAME_LENGTH + " bytes");
            }
            if (nodeId == 0)
            {
                nodeId = nodeIdOf(nodeName);
            }
            final int largestDeliver = DeliverFrame.frameLength(Protocol.MAX_TOPIC_LENGTH, maxPayload);
            require(maxDatagram >= 1024 && maxDatagram <= 196_608, Configuration.MAX_DATAGRAM_PROP_NAME,
                maxDatagram, "1024..196608 (one datagram must fit a socket's default send buffer)");
            require(maxPayload >= 0 && largestDeliver <= maxDatagram, Configuration.MAX_PAYLOAD_PROP_NAME,
                maxPayload, "0.." + (maxDatagram - DeliverFrame.frameLength(Protocol.MAX_TOPIC_LENGTH, 0)) +
                " (a DELIVER with the longest topic must fit max datagram " + maxDatagram + ")");
            require(maxSubscriptionsPerConnection >= 1, Configuration.MAX_SUBSCRIPTIONS_PROP_NAME,
                maxSubscriptionsPerConnection, "1 or more");
            require(maxConnections >= 1, Configuration.MAX_CONNECTIONS_PROP_NAME, maxConnections, "1 or more");
            require(maxQueueBytes >= maxDatagram, Configuration.MAX_QUEUE_BYTES_PROP_NAME, maxQueueBytes,
                "at least max datagram (" + maxDatagram + ")");
            require(stallTimeoutNs > 0, Configuration.STALL_TIMEOUT_PROP_NAME, stallTimeoutNs, "more than 0");
            require(listenBacklog >= 1, Configuration.LISTEN_BACKLOG_PROP_NAME, listenBacklog, "1 or more");
            require(readBurst >= 1, Configuration.READ_BURST_PROP_NAME, readBurst, "1 or more");
            require(drainTimeoutNs >= 0 && drainTimeoutNs <= TimeUnit.SECONDS.toNanos(60),
                Configuration.DRAIN_TIMEOUT_PROP_NAME, TimeUnit.NANOSECONDS.toMillis(drainTimeoutNs),
                "0..60000 ms (systemd stops waiting after TimeoutStopSec, 90 s by default)");
            require(statTopTopics >= 0 && statTopTopics <= 1000, Configuration.STAT_TOP_TOPICS_PROP_NAME,
                statTopTopics, "0..1000");
            if (Log.Level.of(logLevel) == null)
            {
                throw new IllegalArgumentException(Configuration.LOG_LEVEL_PROP_NAME + "=" + logLevel +
                    " is not a level; allowed: debug, info, warn, error");
            }
            require(maxConnectionsPerUid >= 1, Configuration.MAX_CONNECTIONS_PER_UID_PROP_NAME, maxConnectionsPerUid,
                "1 or more");
            require(maxClosedSessions >= 0, Configuration.MAX_CLOSED_SESSIONS_PROP_NAME, maxClosedSessions,
                "0 (remember none) or more");
            require(maxClosedSessionsPerUid >= 0 && maxClosedSessionsPerUid <= maxClosedSessions,
                Configuration.MAX_CLOSED_SESSIONS_PER_UID_PROP_NAME, maxClosedSessionsPerUid,
                "0..max_closed_sessions (" + maxClosedSessions + ")");
            require(maxTopicLength >= 1 && maxTopicLength <= Protocol.MAX_TOPIC_LENGTH,
                Configuration.MAX_TOPIC_LENGTH_PROP_NAME, maxTopicLength, "1.." + Protocol.MAX_TOPIC_LENGTH);
            require(maxTotalQueuedBytes >= maxDatagram, Configuration.MAX_TOTAL_QUEUED_BYTES_PROP_NAME,
                maxTotalQueuedBytes, "at least max datagram (" + maxDatagram + ")");
            require(maxQueueBytesLimit >= 1024, Configuration.MAX_QUEUE_BYTES_LIMIT_PROP_NAME, maxQueueBytesLimit,
                "1024 or more");
            require(maxQueuedBytesPerUid >= 1024, Configuration.MAX_QUEUED_BYTES_PER_UID_PROP_NAME, maxQueuedBytesPerUid,
                "1024 or more");
            require(maxSubscriptionBytesPerConnection >= 4096,
                Configuration.MAX_SUBSCRIPTION_BYTES_PER_CONNECTION_PROP_NAME, maxSubscriptionBytesPerConnection,
                "4096 or more");
            require(maxSubscriptionBytesPerUid >= maxSubscriptionBytesPerConnection,
                Configuration.MAX_SUBSCRIPTION_BYTES_PER_UID_PROP_NAME, maxSubscriptionBytesPerUid,
                "at least max_subscription_bytes_per_connection (" + maxSubscriptionBytesPerConnection + ")");
            require(maxTotalSubscriptionBytes >= maxSubscriptionBytesPerUid,
                Configuration.MAX_TOTAL_SUBSCRIPTION_BYTES_PROP_NAME, maxTotalSubscriptionBytes,
                "at least max_subscription_bytes_per_uid (" + maxSubscriptionBytesPerUid + ")");
            require(handshakeTimeoutMs >= 1, Configuration.HANDSHAKE_TIMEOUT_PROP_NAME, handshakeTimeoutMs, "1 or more");
            require(maxFramesPerSecond >= 0, Configuration.MAX_FRAMES_PER_SECOND_PROP_NAME, maxFramesPerSecond,
                "0 (no limit) or more");
            require(idleSpinCycles >= 0, Configuration.IDLE_SPIN_CYCLES_PROP_NAME, idleSpinCycles, "0 or more");
            if (!"allow".equals(aclDefault) && !"deny".equals(aclDefault))
            {
                throw new IllegalArgumentException(Configuration.ACL_DEFAULT_PROP_NAME + "=" + aclDefault +
                    " is not allowed; allowed: allow, deny");
            }
            accessControl = "allow".equals(aclDefault) && aclRules.isEmpty() ?
                AccessControl.ALLOW_ALL : new AccessControl("allow".equals(aclDefault), aclRules);
            MetricsEndpoint.parse(metrics);
            concludeLan();
            MemoryBudget.check(this);
            return this;
        }

        private void concludeSocketFile()
        {
            socketMode = socketMode == null ? "" : socketMode.trim();
            socketGroup = socketGroup == null ? "" : socketGroup.trim();
            socketModeBits = -1;
            if (!socketMode.isEmpty())
            {
                if (!socketMode.matches("0?[0-7]{3}"))
                {
                    throw new IllegalArgumentException("socket_mode = \"" + socketMode + "\" is not a mode; allowed: " +
                        "permission bits in octal, 000..0777, e.g. \"0660\" (owner and group may connect), or empty " +
                        "for 0777 less the umask");
                }
                socketModeBits = Integer.parseInt(socketMode, 8);
            }
            socketGid = -1;
            if (!socketGroup.isEmpty())
            {
                socketGid = socketGroup.matches("[0-9]{1,9}") ? Integer.parseInt(socketGroup) :
                    Accounts.gidOf(socketGroup);
                if (socketGid < 0)
                {
                    throw new IllegalArgumentException("socket_group = \"" + socketGroup + "\" names no group; " +
                        "allowed: a group name or a gid, or empty for the broker's own group");
                }
            }
        }

        private void concludeLan()
        {
            if (lanChannel != null && lanChannel.isBlank())
            {
                lanChannel = null;
            }
            // Read even without a bridge, so a bad key file is found before the bridge is turned on.
            lanKey = lanKeyFile.isEmpty() ? null : LanKey.load(lanKeyFile);
            lanTopics = lanTopics == null ? "" : lanTopics.trim();
            lanPeers = lanPeers == null ? "" : lanPeers.trim();
            for (final String pattern : lanTopicList())
            {
                if (!Topics.isValidPattern(pattern))
                {
                    throw new IllegalArgumentException(Configuration.LAN_TOPICS_PROP_NAME + "=" + lanTopics +
                        " has an invalid pattern '" + pattern + "'; allowed: comma-separated patterns such as " +
                        "orders.>,prices.*.eu (see SPEC.md, Topics)");
                }
            }
            if (!"embedded".equals(aeronDriver) && !"external".equals(aeronDriver))
            {
                throw new IllegalArgumentException(Configuration.AERON_DRIVER_PROP_NAME + "=" + aeronDriver +
                    " is not allowed; allowed: embedded or external");
            }
            require(lanAnnounceIntervalMs >= 10 && lanAnnounceIntervalMs <= 60_000,
                Configuration.LAN_ANNOUNCE_INTERVAL_PROP_NAME, lanAnnounceIntervalMs, "10..60000");
            if (lanChannel == null)
            {
                if (!lanPeers.isEmpty())
                {
                    throw new IllegalArgumentException(Configuration.LAN_PEERS_PROP_NAME + "=" + lanPeers +
                        " needs " + Configuration.LAN_CHANNEL_PROP_NAME + " (this broker's own unicast endpoint)");
                }
                return;
            }
            if (!lanChannel.startsWith("aeron:udp?"))
            {
                throw new IllegalArgumentException(Configuration.LAN_CHANNEL_PROP_NAME + "=" + lanChannel +
                    " is not allowed; allowed: an Aeron UDP channel such as " +
                    "aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24");
            }
            require(lanStream != 0, Configuration.LAN_STREAM_PROP_NAME, lanStream, "any int but 0");
            final ChannelUri uri;
            try
            {
                uri = ChannelUri.parse(lanChannel);
            }
            catch (final RuntimeException ex)
            {
                throw new IllegalArgumentException(Configuration.LAN_CHANNEL_PROP_NAME + "=" + lanChannel +
                    " is not an Aeron channel: " + ex.getMessage(), ex);
            }
            if (uri.get(CommonContext.FLOW_CONTROL_PARAM_NAME) != null)
            {
                throw new IllegalArgumentException(Configuration.LAN_CHANNEL_PROP_NAME + "=" + lanChannel +
                    " sets fc; allowed: a channel without fc (flow control is " +
                    Configuration.LAN_FLOW_CONTROL_PROP_NAME + ")");
            }
            if (uri.get(CommonContext.ENDPOINT_PARAM_NAME) == null)
            {
                throw new IllegalArgumentException(Configuration.LAN_CHANNEL_PROP_NAME + "=" + lanChannel +
                    " has no endpoint; allowed: aeron:udp?endpoint=GROUP:PORT|interface=NET/BITS (multicast) or " +
                    "aeron:udp?endpoint=OWN_ADDRESS:PORT with " + Configuration.LAN_PEERS_PROP_NAME);
            }
            for (final String peer : lanPeerList())
            {
                final int colon = peer.lastIndexOf(':');
                boolean ok = colon > 0 && colon < peer.length() - 1;
                if (ok)
                {
                    try
                    {
                        final int port = Integer.parseInt(peer.substring(colon + 1));
                        ok = port > 0 && port < 65536;
                    }
                    catch (final NumberFormatException ex)
                    {
                        ok = false;
                    }
                }
                if (!ok)
                {
                    throw new IllegalArgumentException(Configuration.LAN_PEERS_PROP_NAME + "=" + lanPeers +
                        " has '" + peer + "'; allowed: comma-separated host:port");
                }
            }
            if (!lanFlowControl.matches("(min|tagged)(,[a-z]:[^,|]+)*"))
            {
                throw new IllegalArgumentException(Configuration.LAN_FLOW_CONTROL_PROP_NAME + "=" + lanFlowControl +
                    " is not allowed; allowed: min or tagged with Aeron's options, e.g. min,t:500ms or " +
                    "tagged,g:1/2 (never max: it leaves a lossy receiver behind silently)");
            }
            if (aeronDir == null || aeronDir.isBlank())
            {
                aeronDir = "embedded".equals(aeronDriver) ?
                    "/dev/shm/seqbus-aeron-" + nodeName.replaceAll("[^A-Za-z0-9._-]", "_") + "-" +
                    ProcessHandle.current().pid() :
                    CommonContext.getAeronDirectoryName();
            }
        }

        private static void require(final boolean ok, final String name, final long value, final String allowed)
        {
            if (!ok)
            {
                throw new IllegalArgumentException(name + "=" + value + " is out of range; allowed: " + allowed);
            }
        }

        /**
         * @return {@link #lanTopics()} split into patterns; empty when nothing is shared.
         */
        public List<String> lanTopicList()
        {
            return split(lanTopics);
        }

        /**
         * @return {@link #lanPeers()} split into {@code host:port} entries; empty for multicast.
         */
        public List<String> lanPeerList()
        {
            return split(lanPeers);
        }

        private static List<String> split(final String list)
        {
            final ArrayList<String> out = new ArrayList<>();
            if (list != null)
            {
                for (final String item : list.split(","))
                {
                    if (!item.isBlank())
                    {
                        out.add(item.trim());
                    }
                }
            }
            return out;
        }

        /**
         * @param name of a node.
         * @return the node id subscribers see for it: a non-zero hash of the name.
         */
        public static int nodeIdOf(final String name)
        {
            final UnsafeBuffer bytes = new UnsafeBuffer(name.getBytes(StandardCharsets.UTF_8));
            final int h = Bytes.fnv1a32(bytes, 0, bytes.capacity());
            return h == 0 ? 1 : h;
        }

        private static String hostName()
        {
            try
            {
                return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            }
            catch (final IOException ex)
            {
                return "localhost";
            }
        }

        /** @return socket path or {@code @name}. */
        public String socket()
        {
            return socket;
        }

        /**
         * @param socket path, or {@code @name} for an abstract socket.
         * @return this.
         */
        public Context socket(final String socket)
        {
            this.socket = socket;
            this.socketFolder = null;
            return this;
        }

        /** The default socket by {@link DefaultSocket}'s rule for this environment and uid, and its checks. */
        Context defaultSocket(final Map<String, String> env, final long uid)
        {
            socket = DefaultSocket.resolve(env, uid);
            socketFolder = DefaultSocket.privateDirectory(env, uid);
            socketFolderUid = uid;
            return this;
        }

        /** @return the socket file's permission bits in octal, e.g. {@code 0660}; empty for 0777 less the umask. */
        public String socketMode()
        {
            return socketMode;
        }

        /**
         * @param socketMode the socket file's permission bits in octal, e.g. {@code 0660}; empty for 0777 less the
         *                   umask. Not for an abstract socket.
         * @return this.
         */
        public Context socketMode(final String socketMode)
        {
            this.socketMode = socketMode;
            return this;
        }

        /** @return the socket file's group, a name or a number; empty for the broker's own. */
        public String socketGroup()
        {
            return socketGroup;
        }

        /**
         * @param socketGroup the socket file's group, a name or a number; empty for the broker's own.
         * @return this.
         */
        public Context socketGroup(final String socketGroup)
        {
            this.socketGroup = socketGroup;
            return this;
        }

        /** @return where and how the socket file is made, as concluded. */
        public Listener.SocketFile socketFile()
        {
            return new Listener.SocketFile(socketFolder, socketFolderUid, socketModeBits, socketGid);
        }

        /** @return node name. */
        public String nodeName()
        {
            return nodeName;
        }

        /**
         * @param nodeName this broker's node name.
         * @return this.
         */
        public Context nodeName(final String nodeName)
        {
            this.nodeName = nodeName;
            return this;
        }

        /** @return node id; 0 until {@link #conclude()} derives it from the name. */
        public int nodeId()
        {
            return nodeId;
        }

        /**
         * @param nodeId explicit node id, 0 to derive it from the node name.
         * @return this.
         */
        public Context nodeId(final int nodeId)
        {
            this.nodeId = nodeId;
            return this;
        }

        /** @return largest payload accepted. */
        public int maxPayload()
        {
            return maxPayload;
        }

        /**
         * @param maxPayload largest payload accepted, bytes.
         * @return this.
         */
        public Context maxPayload(final int maxPayload)
        {
            this.maxPayload = maxPayload;
            return this;
        }

        /** @return largest datagram. */
        public int maxDatagram()
        {
            return maxDatagram;
        }

        /**
         * @param maxDatagram largest datagram, bytes.
         * @return this.
         */
        public Context maxDatagram(final int maxDatagram)
        {
            this.maxDatagram = maxDatagram;
            return this;
        }

        /** @return subscriptions allowed per connection. */
        public int maxSubscriptionsPerConnection()
        {
            return maxSubscriptionsPerConnection;
        }

        /**
         * @param max subscriptions allowed per connection.
         * @return this.
         */
        public Context maxSubscriptionsPerConnection(final int max)
        {
            this.maxSubscriptionsPerConnection = max;
            return this;
        }

        /** @return connections allowed at once. */
        public int maxConnections()
        {
            return maxConnections;
        }

        /**
         * @param maxConnections connections allowed at once.
         * @return this.
         */
        public Context maxConnections(final int maxConnections)
        {
            this.maxConnections = maxConnections;
            return this;
        }

        /** @return default queue bound per subscriber, bytes. */
        public int maxQueueBytes()
        {
            return maxQueueBytes;
        }

        /**
         * @param maxQueueBytes default queue bound per subscriber, bytes.
         * @return this.
         */
        public Context maxQueueBytes(final int maxQueueBytes)
        {
            this.maxQueueBytes = maxQueueBytes;
            return this;
        }

        /** @return stall timeout under the block policy, ns. */
        public long stallTimeoutNs()
        {
            return stallTimeoutNs;
        }

        /**
         * @param stallTimeoutNs how long a full subscriber may hold publishers back, ns.
         * @return this.
         */
        public Context stallTimeoutNs(final long stallTimeoutNs)
        {
            this.stallTimeoutNs = stallTimeoutNs;
            return this;
        }

        /** @return the policy of subscriptions that choose none (never DEFAULT). */
        public SlowConsumerPolicy defaultPolicy()
        {
            return defaultPolicy;
        }

        /**
         * @param policy for subscriptions that choose none; DEFAULT means block.
         * @return this.
         */
        public Context defaultPolicy(final SlowConsumerPolicy policy)
        {
            this.defaultPolicy = policy == SlowConsumerPolicy.DEFAULT ? SlowConsumerPolicy.BLOCK : policy;
            return this;
        }

        /** @return listen backlog. */
        public int listenBacklog()
        {
            return listenBacklog;
        }

        /**
         * @param listenBacklog connections the kernel queues before accept.
         * @return this.
         */
        public Context listenBacklog(final int listenBacklog)
        {
            this.listenBacklog = listenBacklog;
            return this;
        }

        /** @return datagrams read per connection per duty cycle. */
        public int readBurst()
        {
            return readBurst;
        }

        /**
         * @param readBurst datagrams read per connection per duty cycle.
         * @return this.
         */
        public Context readBurst(final int readBurst)
        {
            this.readBurst = readBurst;
            return this;
        }

        /** @return whether a socket passed by systemd ({@code LISTEN_FDS}) is used instead of binding. */
        public boolean socketActivation()
        {
            return socketActivation;
        }

        /**
         * @param socketActivation whether a socket passed by systemd is used instead of binding.
         * @return this.
         */
        public Context socketActivation(final boolean socketActivation)
        {
            this.socketActivation = socketActivation;
            return this;
        }

        /** @return how long a stopping broker keeps delivering what is queued, ns. */
        public long drainTimeoutNs()
        {
            return drainTimeoutNs;
        }

        /**
         * @param drainTimeoutNs how long a stopping broker keeps delivering what is queued, ns.
         * @return this.
         */
        public Context drainTimeoutNs(final long drainTimeoutNs)
        {
            this.drainTimeoutNs = drainTimeoutNs;
            return this;
        }

        /** @return topics {@code seqbus stat} lists; 0: per-topic tracking off. */
        public int statTopTopics()
        {
            return statTopTopics;
        }

        /**
         * @param statTopTopics topics {@code seqbus stat} lists, busiest first; 0 turns tracking off.
         * @return this.
         */
        public Context statTopTopics(final int statTopTopics)
        {
            this.statTopTopics = statTopTopics;
            return this;
        }

        /** @return where metrics are served: HOST:PORT or {@code off}. */
        public String metrics()
        {
            return metrics;
        }

        /**
         * @param metrics HOST:PORT (port 0: any free port) or {@code off}.
         * @return this.
         */
        public Context metrics(final String metrics)
        {
            this.metrics = metrics;
            return this;
        }

        /** @return least severe log level printed. */
        public String logLevel()
        {
            return logLevel;
        }

        /**
         * @param logLevel debug, info, warn or error.
         * @return this.
         */
        public Context logLevel(final String logLevel)
        {
            this.logLevel = logLevel;
            return this;
        }

        /** @return Aeron channel of the LAN bridge, or null for no bridge. */
        public String lanChannel()
        {
            return lanChannel;
        }

        /**
         * @param lanChannel Aeron channel of the LAN bridge; null or blank for none.
         * @return this.
         */
        public Context lanChannel(final String lanChannel)
        {
            this.lanChannel = lanChannel == null || lanChannel.isBlank() ? null : lanChannel;
            return this;
        }

        /** @return Aeron stream id of the LAN bridge. */
        public int lanStream()
        {
            return lanStream;
        }

        /**
         * @param lanStream Aeron stream id of the LAN bridge.
         * @return this.
         */
        public Context lanStream(final int lanStream)
        {
            this.lanStream = lanStream;
            return this;
        }

        /** @return comma-separated patterns of shared topics. */
        public String lanTopics()
        {
            return lanTopics;
        }

        /**
         * @param lanTopics comma-separated patterns of the topics shared with the LAN.
         * @return this.
         */
        public Context lanTopics(final String lanTopics)
        {
            this.lanTopics = lanTopics;
            return this;
        }

        /** @return comma-separated {@code host:port} of the unicast peers; empty for multicast. */
        public String lanPeers()
        {
            return lanPeers;
        }

        /**
         * @param lanPeers comma-separated {@code host:port} of every broker's unicast LAN endpoint.
         * @return this.
         */
        public Context lanPeers(final String lanPeers)
        {
            this.lanPeers = lanPeers;
            return this;
        }

        /** @return Aeron flow control of the bridge's publication. */
        public String lanFlowControl()
        {
            return lanFlowControl;
        }

        /**
         * @param lanFlowControl Aeron {@code fc} value: {@code min} or {@code tagged} with options.
         * @return this.
         */
        public Context lanFlowControl(final String lanFlowControl)
        {
            this.lanFlowControl = lanFlowControl;
            return this;
        }

        /** @return Aeron directory. */
        public String aeronDir()
        {
            return aeronDir;
        }

        /**
         * @param aeronDir Aeron directory; null for the default.
         * @return this.
         */
        public Context aeronDir(final String aeronDir)
        {
            this.aeronDir = aeronDir == null || aeronDir.isBlank() ? null : aeronDir;
            return this;
        }

        /** @return {@code embedded} or {@code external}. */
        public String aeronDriver()
        {
            return aeronDriver;
        }

        /**
         * @param aeronDriver {@code embedded} or {@code external}.
         * @return this.
         */
        public Context aeronDriver(final String aeronDriver)
        {
            this.aeronDriver = aeronDriver;
            return this;
        }

        /** @return true when the media driver runs inside the broker. */
        public boolean embeddedDriver()
        {
            return "embedded".equals(aeronDriver);
        }

        /** @return connections one uid may hold at once. */
        public int maxConnectionsPerUid()
        {
            return maxConnectionsPerUid;
        }

        /**
         * @param maxConnectionsPerUid connections one uid may hold at once.
         * @return this.
         */
        public Context maxConnectionsPerUid(final int maxConnectionsPerUid)
        {
            this.maxConnectionsPerUid = maxConnectionsPerUid;
            return this;
        }

        /** @return closed session publishers remembered, to check their resume. */
        public int maxClosedSessions()
        {
            return maxClosedSessions;
        }

        /**
         * @param maxClosedSessions closed session publishers remembered in all.
         * @return this.
         */
        public Context maxClosedSessions(final int maxClosedSessions)
        {
            this.maxClosedSessions = maxClosedSessions;
            return this;
        }

        /** @return closed session publishers of one uid remembered. */
        public int maxClosedSessionsPerUid()
        {
            return maxClosedSessionsPerUid;
        }

        /**
         * @param maxClosedSessionsPerUid closed session publishers of one uid remembered.
         * @return this.
         */
        public Context maxClosedSessionsPerUid(final int maxClosedSessionsPerUid)
        {
            this.maxClosedSessionsPerUid = maxClosedSessionsPerUid;
            return this;
        }

        /** @return longest topic or pattern accepted, bytes. */
        public int maxTopicLength()
        {
            return maxTopicLength;
        }

        /**
         * @param maxTopicLength longest topic or pattern accepted, bytes, 1..255.
         * @return this.
         */
        public Context maxTopicLength(final int maxTopicLength)
        {
            this.maxTopicLength = maxTopicLength;
            return this;
        }

        /** @return bytes queued for all clients together before publishers are held back. */
        public int maxTotalQueuedBytes()
        {
            return maxTotalQueuedBytes;
        }

        /**
         * @param maxTotalQueuedBytes bytes queued for all clients together before publishers are held back.
         * @return this.
         */
        public Context maxTotalQueuedBytes(final int maxTotalQueuedBytes)
        {
            this.maxTotalQueuedBytes = maxTotalQueuedBytes;
            return this;
        }

        /** @return the most a SUBSCRIBE may ask for as its max_queue_bytes, bytes. */
        public int maxQueueBytesLimit()
        {
            return maxQueueBytesLimit;
        }

        /**
         * @param maxQueueBytesLimit the most a SUBSCRIBE may ask for as its max_queue_bytes, bytes.
         * @return this.
         */
        public Context maxQueueBytesLimit(final int maxQueueBytesLimit)
        {
            this.maxQueueBytesLimit = maxQueueBytesLimit;
            return this;
        }

        /** @return bytes queued for all connections of one uid before their policies apply. */
        public int maxQueuedBytesPerUid()
        {
            return maxQueuedBytesPerUid;
        }

        /**
         * @param maxQueuedBytesPerUid bytes queued for all connections of one uid before their policies apply.
         * @return this.
         */
        public Context maxQueuedBytesPerUid(final int maxQueuedBytesPerUid)
        {
            this.maxQueuedBytesPerUid = maxQueuedBytesPerUid;
            return this;
        }

        /** @return heap the subscriptions of one connection may take, bytes, as charged. */
        public int maxSubscriptionBytesPerConnection()
        {
            return maxSubscriptionBytesPerConnection;
        }

        /**
         * @param maxSubscriptionBytesPerConnection heap the subscriptions of one connection may take, bytes, as charged.
         * @return this.
         */
        public Context maxSubscriptionBytesPerConnection(final int maxSubscriptionBytesPerConnection)
        {
            this.maxSubscriptionBytesPerConnection = maxSubscriptionBytesPerConnection;
            return this;
        }

        /** @return heap the subscriptions of one uid may take, bytes, as charged. */
        public int maxSubscriptionBytesPerUid()
        {
            return maxSubscriptionBytesPerUid;
        }

        /**
         * @param maxSubscriptionBytesPerUid heap the subscriptions of one uid may take, bytes, as charged.
         * @return this.
         */
        public Context maxSubscriptionBytesPerUid(final int maxSubscriptionBytesPerUid)
        {
            this.maxSubscriptionBytesPerUid = maxSubscriptionBytesPerUid;
            return this;
        }

        /** @return heap all subscriptions may take, bytes, as charged. */
        public int maxTotalSubscriptionBytes()
        {
            return maxTotalSubscriptionBytes;
        }

        /**
         * @param maxTotalSubscriptionBytes heap all subscriptions may take, bytes, as charged.
         * @return this.
         */
        public Context maxTotalSubscriptionBytes(final int maxTotalSubscriptionBytes)
        {
            this.maxTotalSubscriptionBytes = maxTotalSubscriptionBytes;
            return this;
        }

        /** @return how long a new connection may take to send HELLO, ms. */
        public int handshakeTimeoutMs()
        {
            return handshakeTimeoutMs;
        }

        /**
         * @param handshakeTimeoutMs how long a new connection may take to send HELLO, ms.
         * @return this.
         */
        public Context handshakeTimeoutMs(final int handshakeTimeoutMs)
        {
            this.handshakeTimeoutMs = handshakeTimeoutMs;
            return this;
        }

        /** @return frames one connection may send per second; 0: no limit. */
        public int maxFramesPerSecond()
        {
            return maxFramesPerSecond;
        }

        /**
         * @param maxFramesPerSecond frames one connection may send per second; 0: no limit.
         * @return this.
         */
        public Context maxFramesPerSecond(final int maxFramesPerSecond)
        {
            this.maxFramesPerSecond = maxFramesPerSecond;
            return this;
        }

        /**
         * @return told, on the agent's thread as it ends, the Error that stopped it.
         */
        public Consumer<Throwable> agentFailureHandler()
        {
            return agentFailureHandler;
        }

        /**
         * @param agentFailureHandler told, on the agent's thread as it ends, the Error that stopped it
         *                            (default: nothing; {@code seqbus broker} exits with status 70).
         * @return this.
         */
        public Context agentFailureHandler(final Consumer<Throwable> agentFailureHandler)
        {
            this.agentFailureHandler = Objects.requireNonNull(agentFailureHandler, "agentFailureHandler");
            return this;
        }

        /**
         * @return empty duty cycles the agent spends before it sleeps in epoll_wait.
         */
        public int idleSpinCycles()
        {
            return idleSpinCycles;
        }

        /**
         * @param idleSpinCycles empty duty cycles the agent spends before it sleeps in epoll_wait; 0 sleeps at once.
         * @return this.
         */
        public Context idleSpinCycles(final int idleSpinCycles)
        {
            this.idleSpinCycles = idleSpinCycles;
            return this;
        }

        /** @return {@code allow} or {@code deny}: what peers no ACL rule names may do. */
        public String aclDefault()
        {
            return aclDefault;
        }

        /**
         * @param aclDefault {@code allow} or {@code deny}.
         * @return this.
         */
        public Context aclDefault(final String aclDefault)
        {
            this.aclDefault = aclDefault;
            return this;
        }

        /** @return the access rules, names resolved. */
        public List<AclRule> aclRules()
        {
            return aclRules;
        }

        /**
         * @param aclRules the access rules, names resolved (from {@code [[acl.rule]]} of the config file).
         * @return this.
         */
        public Context aclRules(final List<AclRule> aclRules)
        {
            this.aclRules = List.copyOf(aclRules);
            return this;
        }

        /** @return the compiled access control; set by {@link #conclude()}. */
        public AccessControl accessControl()
        {
            return accessControl;
        }

        /** @return the file holding the LAN bridge's key; empty for none. */
        public String lanKeyFile()
        {
            return lanKeyFile;
        }

        /**
         * @param lanKeyFile the file holding the LAN bridge's key in hex, open to its owner only; empty: none.
         * @return this.
         */
        public Context lanKeyFile(final String lanKeyFile)
        {
            this.lanKeyFile = lanKeyFile == null ? "" : lanKeyFile.trim();
            return this;
        }

        /** @return the LAN bridge's key as read from {@link #lanKeyFile()} by {@link #conclude()}; null for none. */
        public byte[] lanKey()
        {
            return lanKey;
        }

        /** @return announcement period on the LAN, ms. */
        public int lanAnnounceIntervalMs()
        {
            return lanAnnounceIntervalMs;
        }

        /**
         * @param lanAnnounceIntervalMs announcement period on the LAN, ms.
         * @return this.
         */
        public Context lanAnnounceIntervalMs(final int lanAnnounceIntervalMs)
        {
            this.lanAnnounceIntervalMs = lanAnnounceIntervalMs;
            return this;
        }
    }
}

package io.seqbus.broker.config;

import io.seqbus.broker.acl.AccessControl;
import io.seqbus.broker.acl.Accounts;
import io.seqbus.broker.acl.AclRule;
import io.aeron.CommonContext;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.SlowConsumerPolicy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * All the settings of a broker, as {@code Broker.launch} takes them. Each starts at its default
 * from {@link Settings} (or the {@code -Dseqbus.*} system property named there); the setters
 * change them; {@link #conclude()} derives what was left unset and checks every value against
 * the same table, so a refusal names the setting's key and says what is allowed.
 *
 * <p>Longer than most files here: it is a holder of some forty settings, a getter and a setter
 * each, with nothing else to split off (the checks live in {@link Settings}, {@link SettingType},
 * {@link LanBridgeSettings} and {@link NodeIdentity}).
 */
public final class BrokerContext
{
    private String socket;
    // The socket file: mode and group as configured, and as concluded (-1: the umask's, the process's);
    // the per-user folder when the socket is the default one, checked before binding.
    private String socketMode;
    private String socketGroup;
    private int socketModeBits = -1;
    private int socketGid = -1;
    private Path socketFolder;
    private long socketFolderUid = -1;
    private String nodeName;
    private int nodeId;
    private int maxPayload;
    private int maxDatagram;
    private int maxSubscriptionsPerConnection;
    private int maxConnections;
    private int maxQueueBytes;
    private long stallTimeoutNs;
    private SlowConsumerPolicy defaultPolicy;
    private int listenBacklog;
    private int readBurst;
    private boolean socketActivation;
    private long drainTimeoutNs;
    private int statTopTopics;
    private String metrics;
    private String logLevel;
    private String lanChannel;
    private int lanStream;
    private String lanTopics;
    private String lanPeers;
    private String lanFlowControl;
    private String aeronDir;
    private String aeronDriver;
    private int lanAnnounceIntervalMs;
    private int maxConnectionsPerUid;
    private int maxClosedSessions;
    private int maxClosedSessionsPerUid;
    private int maxTopicLength;
    private int maxTotalQueuedBytes;
    private int maxQueueBytesLimit;
    private int maxQueuedBytesPerUid;
    private int maxSubscriptionBytesPerConnection;
    private int maxSubscriptionBytesPerUid;
    private int maxTotalSubscriptionBytes;
    private int handshakeTimeoutMs;
    private int maxFramesPerSecond;
    private int idleSpinCycles;
    private int maxDescriptorsPerMessage;
    private int maxDescriptorsPerDatagram;
    private long maxMemfdSize;
    private int maxHeaderBytes;
    private int maxHeaders;
    private int maxRequestTimeoutMs;
    private long maxDescriptorBytesPerSubscriber;
    private long maxDescriptorBytesTotal;
    private int maxDescriptorMessagesHeld;
    private int maxDescriptorsInFlight;
    private long lanMaxPayload;
    private boolean shm;
    private int shmRingBytes;
    private long maxShmBytesPerUid;
    private long maxShmBytesTotal;
    private int maxPendingRequestsPerConnection;
    private int maxPendingRequestsTotal;
    private int maxPendingRequestsPerUid;
    private Consumer<Throwable> agentFailureHandler = (ex) -> { };
    private String aclDefault;
    private List<AclRule> aclRules = List.of();
    private AccessControl accessControl;
    private String lanKeyFile;
    private byte[] lanKey;

    /**
     * Every setting at its default, or at the value of its {@code -Dseqbus.*} system property.
     *
     * @throws SettingException when a system property holds a value that is not allowed.
     */
    public BrokerContext()
    {
        for (final Setting<?> setting : Settings.ALL)
        {
            setting.applyDefault(this);
        }
        if (System.getProperty(Settings.LOG_LEVEL.property()) == null && Boolean.getBoolean("seqbus.debug"))
        {
            logLevel = "debug";
        }
    }

    /**
     * Fills in what was left unset and checks every value against {@link Settings}.
     *
     * @return this.
     * @throws SettingException naming the setting, the value and what is allowed.
     */
    public BrokerContext conclude()
    {
        if (socket == null || socket.isBlank())
        {
            defaultSocket(System.getenv(), DefaultSocket.uid());
        }
        if (nodeName == null || nodeName.isBlank())
        {
            nodeName = NodeIdentity.hostName();
        }
        lanChannel = lanChannel == null || lanChannel.isBlank() ? null : lanChannel;
        lanTopics = lanTopics == null ? "" : lanTopics.trim();
        lanPeers = lanPeers == null ? "" : lanPeers.trim();
        for (final Setting<?> setting : Settings.ALL)
        {
            if (!setting.type().dependsOnOthers())
            {
                setting.check(this);
            }
        }
        for (final Setting<?> setting : Settings.ALL)
        {
            if (setting.type().dependsOnOthers())
            {
                setting.check(this);
            }
        }
        concludeSocketFile();
        if (nodeId == 0)
        {
            nodeId = NodeIdentity.idOf(nodeName);
        }
        accessControl = "allow".equals(aclDefault) && aclRules.isEmpty() ?
            AccessControl.ALLOW_ALL : new AccessControl("allow".equals(aclDefault), aclRules);
        // Read even without a bridge, so a bad key file is found before the bridge is turned on.
        lanKey = lanKeyFile.isEmpty() ? null : LanKey.load(lanKeyFile);
        LanBridgeSettings.check(this, lanTopicList(), lanPeerList());
        if (lanChannel != null && (aeronDir == null || aeronDir.isBlank()))
        {
            aeronDir = embeddedDriver() ?
                "/dev/shm/seqbus-aeron-" + nodeName.replaceAll("[^A-Za-z0-9._-]", "_") + "-" +
                ProcessHandle.current().pid() :
                CommonContext.getAeronDirectoryName();
        }
        return this;
    }

    private void concludeSocketFile()
    {
        socketMode = socketMode == null ? "" : socketMode.trim();
        socketGroup = socketGroup == null ? "" : socketGroup.trim();
        socketModeBits = socketMode.isEmpty() ? -1 : Integer.parseInt(socketMode, 8);
        socketGid = -1;
        if (!socketGroup.isEmpty())
        {
            socketGid = socketGroup.matches("[0-9]{1,9}") ? Integer.parseInt(socketGroup) :
                Accounts.gidOf(socketGroup);
            if (socketGid < 0)
            {
                throw SettingException.of(Settings.SOCKET_GROUP, SettingType.quote(socketGroup), "names no group; " +
                    "allowed: a group name or a gid, or empty for the broker's own group");
            }
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

    /** @return socket path or {@code @name}. */
    public String socket()
    {
        return socket;
    }

    /**
     * @param socket path, or {@code @name} for an abstract socket.
     * @return this.
     */
    public BrokerContext socket(final String socket)
    {
        this.socket = socket;
        this.socketFolder = null;
        return this;
    }

    /**
     * The default socket by {@link DefaultSocket}'s rule for an environment and uid, and the checks of its folder.
     *
     * @param env the environment.
     * @param uid the broker's uid.
     * @return this.
     */
    public BrokerContext defaultSocket(final Map<String, String> env, final long uid)
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
    public BrokerContext socketMode(final String socketMode)
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
    public BrokerContext socketGroup(final String socketGroup)
    {
        this.socketGroup = socketGroup;
        return this;
    }

    /** @return the per-user folder of the default socket, checked before binding; null for another socket. */
    public Path socketFolder()
    {
        return socketFolder;
    }

    /** @return the uid that must own {@link #socketFolder()}; -1 without one. */
    public long socketFolderUid()
    {
        return socketFolderUid;
    }

    /** @return the socket file's permission bits as concluded; -1: 0777 less the umask. */
    public int socketModeBits()
    {
        return socketModeBits;
    }

    /** @return the socket file's gid as concluded; -1: the broker's own group. */
    public int socketGid()
    {
        return socketGid;
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
    public BrokerContext nodeName(final String nodeName)
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
    public BrokerContext nodeId(final int nodeId)
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
    public BrokerContext maxPayload(final int maxPayload)
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
    public BrokerContext maxDatagram(final int maxDatagram)
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
    public BrokerContext maxSubscriptionsPerConnection(final int max)
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
    public BrokerContext maxConnections(final int maxConnections)
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
    public BrokerContext maxQueueBytes(final int maxQueueBytes)
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
    public BrokerContext stallTimeoutNs(final long stallTimeoutNs)
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
    public BrokerContext defaultPolicy(final SlowConsumerPolicy policy)
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
    public BrokerContext listenBacklog(final int listenBacklog)
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
    public BrokerContext readBurst(final int readBurst)
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
    public BrokerContext socketActivation(final boolean socketActivation)
    {
        this.socketActivation = socketActivation;
        return this;
    }

    /** @return whether shared-memory rings are offered to clients that ask. */
    public boolean shm()
    {
        return shm;
    }

    /**
     * @param shm whether shared-memory rings are offered to clients that ask.
     * @return this.
     */
    public BrokerContext shm(final boolean shm)
    {
        this.shm = shm;
        return this;
    }

    /** @return bytes of each ring of a shared-memory client, a power of two. */
    public int shmRingBytes()
    {
        return shmRingBytes;
    }

    /**
     * @param shmRingBytes bytes of each ring of a shared-memory client, a power of two.
     * @return this.
     */
    public BrokerContext shmRingBytes(final int shmRingBytes)
    {
        this.shmRingBytes = shmRingBytes;
        return this;
    }

    /** @return shared-memory bytes the clients of one uid may hold together. */
    public long maxShmBytesPerUid()
    {
        return maxShmBytesPerUid;
    }

    /**
     * @param maxShmBytesPerUid shared-memory bytes the clients of one uid may hold together.
     * @return this.
     */
    public BrokerContext maxShmBytesPerUid(final long maxShmBytesPerUid)
    {
        this.maxShmBytesPerUid = maxShmBytesPerUid;
        return this;
    }

    /** @return shared-memory bytes all clients may hold together. */
    public long maxShmBytesTotal()
    {
        return maxShmBytesTotal;
    }

    /**
     * @param maxShmBytesTotal shared-memory bytes all clients may hold together.
     * @return this.
     */
    public BrokerContext maxShmBytesTotal(final long maxShmBytesTotal)
    {
        this.maxShmBytesTotal = maxShmBytesTotal;
        return this;
    }

    /** @return requests one connection may have pending. */
    public int maxPendingRequestsPerConnection()
    {
        return maxPendingRequestsPerConnection;
    }

    /**
     * @param max requests one connection may have pending.
     * @return this.
     */
    public BrokerContext maxPendingRequestsPerConnection(final int max)
    {
        this.maxPendingRequestsPerConnection = max;
        return this;
    }

    /** @return requests pending over all connections. */
    public int maxPendingRequestsTotal()
    {
        return maxPendingRequestsTotal;
    }

    /**
     * @param max requests pending over all connections.
     * @return this.
     */
    public BrokerContext maxPendingRequestsTotal(final int max)
    {
        this.maxPendingRequestsTotal = max;
        return this;
    }

    /** @return requests pending over all connections of one uid. */
    public int maxPendingRequestsPerUid()
    {
        return maxPendingRequestsPerUid;
    }

    /**
     * @param max requests pending over all connections of one uid.
     * @return this.
     */
    public BrokerContext maxPendingRequestsPerUid(final int max)
    {
        this.maxPendingRequestsPerUid = max;
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
    public BrokerContext drainTimeoutNs(final long drainTimeoutNs)
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
    public BrokerContext statTopTopics(final int statTopTopics)
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
    public BrokerContext metrics(final String metrics)
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
    public BrokerContext logLevel(final String logLevel)
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
    public BrokerContext lanChannel(final String lanChannel)
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
    public BrokerContext lanStream(final int lanStream)
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
    public BrokerContext lanTopics(final String lanTopics)
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
    public BrokerContext lanPeers(final String lanPeers)
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
    public BrokerContext lanFlowControl(final String lanFlowControl)
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
    public BrokerContext aeronDir(final String aeronDir)
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
    public BrokerContext aeronDriver(final String aeronDriver)
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
    public BrokerContext maxConnectionsPerUid(final int maxConnectionsPerUid)
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
    public BrokerContext maxClosedSessions(final int maxClosedSessions)
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
    public BrokerContext maxClosedSessionsPerUid(final int maxClosedSessionsPerUid)
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
    public BrokerContext maxTopicLength(final int maxTopicLength)
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
    public BrokerContext maxTotalQueuedBytes(final int maxTotalQueuedBytes)
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
    public BrokerContext maxQueueBytesLimit(final int maxQueueBytesLimit)
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
    public BrokerContext maxQueuedBytesPerUid(final int maxQueuedBytesPerUid)
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
    public BrokerContext maxSubscriptionBytesPerConnection(final int maxSubscriptionBytesPerConnection)
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
    public BrokerContext maxSubscriptionBytesPerUid(final int maxSubscriptionBytesPerUid)
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
    public BrokerContext maxTotalSubscriptionBytes(final int maxTotalSubscriptionBytes)
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
    public BrokerContext handshakeTimeoutMs(final int handshakeTimeoutMs)
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
    public BrokerContext maxFramesPerSecond(final int maxFramesPerSecond)
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
    public BrokerContext agentFailureHandler(final Consumer<Throwable> agentFailureHandler)
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
    public BrokerContext idleSpinCycles(final int idleSpinCycles)
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
    public BrokerContext aclDefault(final String aclDefault)
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
    public BrokerContext aclRules(final List<AclRule> aclRules)
    {
        this.aclRules = List.copyOf(aclRules);
        return this;
    }

    /** @return the compiled access control; set by {@link #conclude()}. */
    public AccessControl accessControl()
    {
        return accessControl;
    }

    /**
     * Takes the access rules, and the access control compiled from them, from another concluded context: what a
     * reload applies on the agent's thread.
     *
     * @param other a concluded context.
     * @return this.
     */
    public BrokerContext accessControlFrom(final BrokerContext other)
    {
        this.aclRules = other.aclRules;
        this.accessControl = other.accessControl;
        return this;
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
    public BrokerContext lanKeyFile(final String lanKeyFile)
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
    public BrokerContext lanAnnounceIntervalMs(final int lanAnnounceIntervalMs)
    {
        this.lanAnnounceIntervalMs = lanAnnounceIntervalMs;
        return this;
    }

    /** @return descriptors one message may carry, the payload memfd included. */
    public int maxDescriptorsPerMessage()
    {
        return maxDescriptorsPerMessage;
    }

    /**
     * @param maxDescriptorsPerMessage descriptors one message may carry, the payload memfd included.
     * @return this.
     */
    public BrokerContext maxDescriptorsPerMessage(final int maxDescriptorsPerMessage)
    {
        this.maxDescriptorsPerMessage = maxDescriptorsPerMessage;
        return this;
    }

    /** @return descriptors one datagram may carry; the receive control buffer's size. */
    public int maxDescriptorsPerDatagram()
    {
        return maxDescriptorsPerDatagram;
    }

    /**
     * @param maxDescriptorsPerDatagram descriptors one datagram may carry; the receive control buffer's size.
     * @return this.
     */
    public BrokerContext maxDescriptorsPerDatagram(final int maxDescriptorsPerDatagram)
    {
        this.maxDescriptorsPerDatagram = maxDescriptorsPerDatagram;
        return this;
    }

    /** @return largest memfd payload accepted, bytes. */
    public long maxMemfdSize()
    {
        return maxMemfdSize;
    }

    /**
     * @param maxMemfdSize largest memfd payload accepted, bytes.
     * @return this.
     */
    public BrokerContext maxMemfdSize(final long maxMemfdSize)
    {
        this.maxMemfdSize = maxMemfdSize;
        return this;
    }

    /** @return largest header block on a message, bytes. */
    public int maxHeaderBytes()
    {
        return maxHeaderBytes;
    }

    /**
     * @param maxHeaderBytes largest header block on a message, bytes.
     * @return this.
     */
    public BrokerContext maxHeaderBytes(final int maxHeaderBytes)
    {
        this.maxHeaderBytes = maxHeaderBytes;
        return this;
    }

    /** @return most entries in one header block. */
    public int maxHeaders()
    {
        return maxHeaders;
    }

    /**
     * @param maxHeaders most entries in one header block.
     * @return this.
     */
    public BrokerContext maxHeaders(final int maxHeaders)
    {
        this.maxHeaders = maxHeaders;
        return this;
    }

    /** @return longest timeout a request may ask for, ms. */
    public int maxRequestTimeoutMs()
    {
        return maxRequestTimeoutMs;
    }

    /**
     * @param maxRequestTimeoutMs longest timeout a request may ask for, ms.
     * @return this.
     */
    public BrokerContext maxRequestTimeoutMs(final int maxRequestTimeoutMs)
    {
        this.maxRequestTimeoutMs = maxRequestTimeoutMs;
        return this;
    }

    /** @return memfd bytes queued plus unread per subscriber before its policy applies. */
    public long maxDescriptorBytesPerSubscriber()
    {
        return maxDescriptorBytesPerSubscriber;
    }

    /**
     * @param maxDescriptorBytesPerSubscriber memfd bytes queued plus unread per subscriber before its policy applies.
     * @return this.
     */
    public BrokerContext maxDescriptorBytesPerSubscriber(final long maxDescriptorBytesPerSubscriber)
    {
        this.maxDescriptorBytesPerSubscriber = maxDescriptorBytesPerSubscriber;
        return this;
    }

    /** @return memfd bytes queued plus unread for all subscribers together. */
    public long maxDescriptorBytesTotal()
    {
        return maxDescriptorBytesTotal;
    }

    /**
     * @param maxDescriptorBytesTotal memfd bytes queued plus unread for all subscribers together.
     * @return this.
     */
    public BrokerContext maxDescriptorBytesTotal(final long maxDescriptorBytesTotal)
    {
        this.maxDescriptorBytesTotal = maxDescriptorBytesTotal;
        return this;
    }

    /** @return messages with descriptors held at once (the pool's size). */
    public int maxDescriptorMessagesHeld()
    {
        return maxDescriptorMessagesHeld;
    }

    /**
     * @param maxDescriptorMessagesHeld messages with descriptors held at once (the pool's size).
     * @return this.
     */
    public BrokerContext maxDescriptorMessagesHeld(final int maxDescriptorMessagesHeld)
    {
        this.maxDescriptorMessagesHeld = maxDescriptorMessagesHeld;
        return this;
    }

    /** @return descriptors sent and not yet read by subscribers, all together. */
    public int maxDescriptorsInFlight()
    {
        return maxDescriptorsInFlight;
    }

    /**
     * @param maxDescriptorsInFlight descriptors sent and not yet read by subscribers, all together.
     * @return this.
     */
    public BrokerContext maxDescriptorsInFlight(final int maxDescriptorsInFlight)
    {
        this.maxDescriptorsInFlight = maxDescriptorsInFlight;
        return this;
    }

    /** @return largest memfd payload on a shared topic, bytes. */
    public long lanMaxPayload()
    {
        return lanMaxPayload;
    }

    /**
     * @param lanMaxPayload largest memfd payload on a shared topic, bytes.
     * @return this.
     */
    public BrokerContext lanMaxPayload(final long lanMaxPayload)
    {
        this.lanMaxPayload = lanMaxPayload;
        return this;
    }
}

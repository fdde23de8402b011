package io.seqbus.client;

import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.WireStrings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link BusClient} connects and behaves. Setters return this for chaining; every
 * option has a default, so {@code BusClient.connect(new ClientOptions())} reaches the broker
 * at the default socket.
 * <p>
 * (Why one long file: every option with its default, its range and its doc, in one place, as Aeron's
 * {@code Context} classes are; the code is plain setters and getters.)
 */
public final class ClientOptions
{
    /**
     * Whether a client asks for shared-memory delivery unless told otherwise ({@link #sharedMemory(boolean)}, the
     * environment {@value #SHARED_MEMORY_ENV}): the one place the default is decided.
     */
    public static final boolean DEFAULT_SHARED_MEMORY = true;
    /**
     * Whether the client's thread spins for {@link #idleSpin(Duration)} only when spinning pays
     * ({@link #adaptiveSpin(boolean)}) unless told otherwise.
     */
    public static final boolean DEFAULT_ADAPTIVE_SPIN = true;
    /**
     * Where a {@link BusClient#request} future that has callbacks is completed unless told otherwise
     * ({@link #requestExecutor(Executor)}): the common pool, never the client's thread.
     */
    public static final Executor DEFAULT_REQUEST_EXECUTOR = ForkJoinPool.commonPool();
    /** The environment variable that overrides {@link #sharedMemory(boolean)}: {@code on} or {@code off}. */
    public static final String SHARED_MEMORY_ENV = "SEQBUS_SHARED_MEMORY";

    private String socket;
    // The per-user folder of the default socket, checked before every connect; null for an explicit socket.
    private Path privateDirectory;
    private long uid;
    private String clientName = "java-" + ProcessHandle.current().pid();
    private ThreadMode threadMode = ThreadMode.DEDICATED;
    private String threadName = "seqbus-client";
    private boolean sleepInPoll = true;
    private Duration idleSpin = Duration.ofNanos(100_000);
    private boolean busySpin;
    private boolean adaptiveSpin = DEFAULT_ADAPTIVE_SPIN;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration publishTimeout = Duration.ofSeconds(5);
    private Duration refusalTtl = Duration.ofSeconds(1);
    private Duration closeTimeout = Duration.ofSeconds(1);
    private Executor requestExecutor = DEFAULT_REQUEST_EXECUTOR;
    private Duration connectRetry = Duration.ZERO;
    private boolean reconnect = true;
    private Duration reconnectBackoffMin = Duration.ofMillis(10);
    private Duration reconnectBackoffMax = Duration.ofSeconds(1);
    private int pollDatagramLimit = 64;
    // null: descriptors when the native calls load (the default); else the caller's choice.
    private Boolean descriptors;
    // null: DEFAULT_SHARED_MEMORY when the native calls load; else the caller's choice.
    private Boolean sharedMemory;
    // Handlers off the I/O thread: null runs them there.
    private java.util.concurrent.Executor handlerExecutor;
    // The environment SEQBUS_SHARED_MEMORY is read from: the process's, or a test's.
    private Map<String, String> environment;
    // -1: the broker's max_payload.
    private int memfdThreshold = -1;
    // The defaults log through System.Logger "io.seqbus.client" (see ClientLog), never to stderr directly.
    private GapHandler gapHandler = ClientLog::gap;
    private ErrorHandler errorHandler = new ErrorHandler()
    {
        public void onError(final BusError error)
        {
            ClientLog.error(error);
        }

        public void onHandlerException(final Throwable throwable, final Subscription subscription, final Message message)
        {
            ClientLog.handlerException(throwable, subscription, message);
        }
    };
    private ConnectionListener connectionListener = new ConnectionListener()
    {
        public void onDisconnected(final BusClient client, final BusException cause)
        {
            ClientLog.disconnected(client, cause);
        }
    };

    /**
     * Options with every default.
     */
    public ClientOptions()
    {
        defaultSocket(System.getenv(), DefaultSocket.uid());
    }

    /** The socket by {@link DefaultSocket}'s rule for this environment and uid, checked before each connect. */
    ClientOptions defaultSocket(final Map<String, String> env, final long uid)
    {
        this.socket = DefaultSocket.resolve(env, uid);
        this.privateDirectory = DefaultSocket.privateDirectory(env, uid);
        this.uid = uid;
        return this;
    }

    /**
     * @param socket the broker's socket: a path, or {@code @name} for a Linux abstract socket.
     *               Default: {@link DefaultSocket#resolve()}, whose per-user folder is checked before
     *               each connect (a socket given here is the caller's choice and is not).
     * @return this.
     */
    public ClientOptions socket(final String socket)
    {
        Objects.requireNonNull(socket, "socket");
        if (socket.isEmpty() || "@".equals(socket))
        {
            throw new IllegalArgumentException("socket must be a path or @name: '" + socket + "'");
        }
        this.socket = socket;
        this.privateDirectory = null;
        return this;
    }

    /**
     * @return the broker's socket.
     */
    public String socket()
    {
        return socket;
    }

    /** @return the per-user folder of the default socket, or null for a socket given explicitly. */
    Path privateDirectory()
    {
        return privateDirectory;
    }

    /** @return whose the per-user folder must be. */
    long uid()
    {
        return uid;
    }

    /**
     * @param clientName shown to operators, at most 64 bytes of UTF-8. Default {@code java-PID}.
     * @return this.
     */
    public ClientOptions clientName(final String clientName)
    {
        Objects.requireNonNull(clientName, "clientName");
        if (WireStrings.utf8Length(clientName) > Protocol.MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("clientName longer than 64 bytes of UTF-8: " + clientName);
        }
        this.clientName = clientName;
        return this;
    }

    /**
     * @return the client name.
     */
    public String clientName()
    {
        return clientName;
    }

    /**
     * @param threadMode who reads the socket and runs handlers. Default {@link ThreadMode#DEDICATED}.
     * @return this.
     */
    public ClientOptions threadMode(final ThreadMode threadMode)
    {
        this.threadMode = Objects.requireNonNull(threadMode, "threadMode");
        return this;
    }

    /**
     * @return the thread mode.
     */
    public ThreadMode threadMode()
    {
        return threadMode;
    }

    /**
     * @param threadName of the client's thread in {@link ThreadMode#DEDICATED}. Default {@code seqbus-client}.
     * @return this.
     */
    public ClientOptions threadName(final String threadName)
    {
        this.threadName = Objects.requireNonNull(threadName, "threadName");
        return this;
    }

    /**
     * @return the thread name.
     */
    public String threadName()
    {
        return threadName;
    }

    /**
     * @param busySpin whether the client's thread in {@link ThreadMode#DEDICATED} waits between looks for work by
     *                 spinning alone, never yielding or parking, and spins its whole {@link #idleSpin(Duration)}
     *                 every time, adaptive or not: the lowest latency, for a core of its own (with
     *                 {@link #sleepInPoll(boolean) sleepInPoll(false)} it never sleeps at all). Default false: it
     *                 spins 10 times, yields 1,000 times, then parks 1-20 µs.
     * @return this.
     */
    public ClientOptions busySpin(final boolean busySpin)
    {
        this.busySpin = busySpin;
        return this;
    }

    /**
     * @return whether the client's thread spins alone while it waits for work.
     */
    public boolean busySpin()
    {
        return busySpin;
    }

    /**
     * @param sleepInPoll whether the client's thread in {@link ThreadMode#DEDICATED}, once idle,
     *                    sleeps in poll(2) on its socket: no CPU while nothing happens, and a
     *                    delivery wakes it at once, where a parked thread would see it only when
     *                    the park ends. Default true. False leaves idling to the idle strategy
     *                    alone, e.g. a busy spin on a core of its own.
     * @return this.
     */
    public ClientOptions sleepInPoll(final boolean sleepInPoll)
    {
        this.sleepInPoll = sleepInPoll;
        return this;
    }

    /**
     * @return whether the client's thread sleeps in poll(2) when idle.
     */
    public boolean sleepInPoll()
    {
        return sleepInPoll;
    }

    /**
     * @param idleSpin how long the client's thread in {@link ThreadMode#DEDICATED} keeps looking for
     *                 work after its last before it sleeps in poll(2): CPU against latency. A delivery
     *                 that comes within it is read at once; one that comes later wakes the thread, which
     *                 costs some µs more. Under steady traffic faster than one message per idleSpin the
     *                 thread never sleeps. A publishing client's thread sends batches while it is awake.
     *                 The most it spins: with {@link #adaptiveSpin(boolean)} (the default) it spins only when
     *                 that pays. Default 100 µs; 0 sleeps after the first look that finds nothing.
     * @return this.
     */
    public ClientOptions idleSpin(final Duration idleSpin)
    {
        if (idleSpin.isNegative() || idleSpin.compareTo(Duration.ofSeconds(1)) > 0)
        {
            throw new IllegalArgumentException("idleSpin must be between 0 and 1 s: " + idleSpin);
        }
        this.idleSpin = idleSpin;
        return this;
    }

    /**
     * @return how long the client's thread looks for work before it sleeps in poll(2).
     */
    public Duration idleSpin()
    {
        return idleSpin;
    }

    /**
     * @param adaptiveSpin whether the client's thread (in {@link ThreadMode#DEDICATED}, and in
     *                     {@link BusClient#poll(Duration)}) spins for {@link #idleSpin(Duration)} only when it pays:
     *                     not while this thread waits for a CPU on a run queue more than 10% of the time (the
     *                     cores are oversubscribed, and its spin would take a core from the broker or a neighbour;
     *                     it looks again some 100s of ms later), and not while its messages have not come within
     *                     the spin lately (a message every 10 ms). It sleeps in poll(2) at once instead. Where the
     *                     thread's run-queue wait cannot be read ({@code /proc/thread-self/schedstat}) only the
     *                     second rule applies; without {@code seqbus-sys} on the class path (a dependency of the
     *                     client jar) neither does. Default {@link #DEFAULT_ADAPTIVE_SPIN} (true); false spins
     *                     {@code idleSpin} after every message, as {@link #busySpin(boolean)} does.
     * @return this.
     */
    public ClientOptions adaptiveSpin(final boolean adaptiveSpin)
    {
        this.adaptiveSpin = adaptiveSpin;
        return this;
    }

    /**
     * @return whether the spin after work is adaptive.
     */
    public boolean adaptiveSpin()
    {
        return adaptiveSpin;
    }

    /**
     * @param connectTimeout how long to wait for WELCOME after connecting. Default 5 s.
     * @return this.
     */
    public ClientOptions connectTimeout(final Duration connectTimeout)
    {
        this.connectTimeout = positive(connectTimeout, "connectTimeout");
        return this;
    }

    /**
     * @return the connect timeout.
     */
    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    /**
     * @param publishTimeout how long a blocking publish, subscribe or flush waits for room in a full socket
     *                       or for a reconnect before it throws. Default 5 s.
     * @return this.
     */
    public ClientOptions publishTimeout(final Duration publishTimeout)
    {
        this.publishTimeout = positive(publishTimeout, "publishTimeout");
        return this;
    }

    /**
     * @return the publish timeout.
     */
    public Duration publishTimeout()
    {
        return publishTimeout;
    }

    /**
     * @param refusalTtl how long the client believes the broker's ACCESS_DENIED for a topic it published to:
     *                   meanwhile publishes to that topic fail at the call ({@link PublishResult#DENIED}, or a
     *                   {@link BusException} from publish) without reaching the broker; then the next one is sent
     *                   with a PING after it, and the broker's answer decides (its rules may have changed on a
     *                   reload): an ERROR renews the refusal, a PONG without one ends it. Default 1 s.
     * @return this.
     */
    public ClientOptions refusalTtl(final Duration refusalTtl)
    {
        this.refusalTtl = positive(refusalTtl, "refusalTtl");
        return this;
    }

    /**
     * @param closeTimeout the longest {@link BusClient#close()} waits: first for the batch to leave (while
     *                     connected), then for a handler that is running to return. A handler still running
     *                     then finishes on the client's thread after close returned; no other handler starts
     *                     once close began. Default 1 s.
     * @return this.
     */
    public ClientOptions closeTimeout(final Duration closeTimeout)
    {
        this.closeTimeout = positive(closeTimeout, "closeTimeout");
        return this;
    }

    /**
     * @param requestExecutor where a {@link BusClient#request} future that has callbacks ({@code thenApply},
     *                        {@code whenComplete}...) when its RESPONSE arrives is completed, so those callbacks
     *                        never run on the client's thread (where a callback that waits for the bus would wait
     *                        for itself). A future nobody chained to (a caller in {@code get()}/{@code join()}) is
     *                        completed on the client's thread directly: that only wakes the caller. Default
     *                        {@link #DEFAULT_REQUEST_EXECUTOR}.
     * @return this.
     */
    public ClientOptions requestExecutor(final Executor requestExecutor)
    {
        this.requestExecutor = Objects.requireNonNull(requestExecutor, "requestExecutor");
        return this;
    }

    /**
     * @return where request futures with callbacks are completed.
     */
    public Executor requestExecutor()
    {
        return requestExecutor;
    }

    /**
     * @return how long a publish refusal is believed.
     */
    public Duration refusalTtl()
    {
        return refusalTtl;
    }

    /**
     * @return the close timeout.
     */
    public Duration closeTimeout()
    {
        return closeTimeout;
    }

    /**
     * Waiting for the broker at start (jnats calls it reconnect-on-connect). With a positive bound,
     * {@link BusClient#connect} does not fail when the broker is absent, refuses the connection or sends no
     * WELCOME: it tries again with {@link #reconnectBackoff} delays until it is connected or the bound has
     * passed, and then throws a {@link BusException} saying how long it tried and why the last attempt
     * failed. An attempt under way at the bound (a broker that accepted but has not sent WELCOME yet) is
     * let finish first, so the wait may exceed the bound by at most {@link #connectTimeout}. A socket folder that fails the safety checks and a broker that refuses this client for good
     * (a protocol error, an unsupported version) still fail at once. {@link BusClient#connect} blocks
     * meanwhile: a service gets a client only once it is connected, so nothing it publishes waits unseen.
     *
     * @param connectRetry how long to keep trying the first connect; {@link Duration#ZERO} (the default)
     *                     fails at the first failure.
     * @return this.
     */
    public ClientOptions connectRetry(final Duration connectRetry)
    {
        Objects.requireNonNull(connectRetry, "connectRetry");
        if (connectRetry.isNegative())
        {
            throw new IllegalArgumentException("connectRetry must not be negative: " + connectRetry);
        }
        this.connectRetry = connectRetry;
        return this;
    }

    /**
     * @return how long the first connect keeps trying; zero for not at all.
     */
    public Duration connectRetry()
    {
        return connectRetry;
    }

    /**
     * @param reconnect whether to reconnect after the connection is lost. Default true.
     * @return this.
     */
    public ClientOptions reconnect(final boolean reconnect)
    {
        this.reconnect = reconnect;
        return this;
    }

    /**
     * @return true if the client reconnects.
     */
    public boolean reconnect()
    {
        return reconnect;
    }

    /**
     * @param min first delay before reconnecting, doubled after each failed attempt. Default 10 ms.
     * @param max longest delay between attempts. Default 1 s.
     * @return this.
     */
    public ClientOptions reconnectBackoff(final Duration min, final Duration max)
    {
        positive(min, "min");
        positive(max, "max");
        if (max.compareTo(min) < 0)
        {
            throw new IllegalArgumentException("reconnect backoff max " + max + " is below min " + min);
        }
        this.reconnectBackoffMin = min;
        this.reconnectBackoffMax = max;
        return this;
    }

    /**
     * @return the first reconnect delay.
     */
    public Duration reconnectBackoffMin()
    {
        return reconnectBackoffMin;
    }

    /**
     * @return the longest reconnect delay.
     */
    public Duration reconnectBackoffMax()
    {
        return reconnectBackoffMax;
    }

    /**
     * @param pollDatagramLimit most datagrams one poll reads before it returns. Default 64.
     * @return this.
     */
    public ClientOptions pollDatagramLimit(final int pollDatagramLimit)
    {
        if (pollDatagramLimit < 1)
        {
            throw new IllegalArgumentException("pollDatagramLimit must be at least 1: " + pollDatagramLimit);
        }
        this.pollDatagramLimit = pollDatagramLimit;
        return this;
    }

    /**
     * @return the most datagrams one poll reads.
     */
    public int pollDatagramLimit()
    {
        return pollDatagramLimit;
    }

    /**
     * Descriptors through the bus (SPEC.md, "Descriptors"): with them, HELLO asks for {@code DESCRIPTORS}, the client
     * reads and writes its socket with recvmsg/sendmsg, publishes payloads of any size as sealed memfds (above
     * {@link #memfdThreshold(int)}), lends memory to fill in place ({@link BusClient#loan(int)}), passes other
     * descriptors ({@link BusClient#publish(String, java.nio.ByteBuffer, java.io.FileDescriptor...)}) and receives
     * them ({@link Message#isMemfdPayload()}, {@link Message#takeDescriptors()}).
     * <p>
     * They need the native calls of {@code seqbus-sys}, through JNA (a dependency of the client jar). The default is
     * true when those load, and false otherwise: a service that leaves JNA off its class path connects and publishes
     * inline as before, and JNA is never loaded without descriptors. A broker that does not pass descriptors (an
     * older one) answers without the limits; the client then sends and expects none. Publishes with descriptors
     * still in the batch when a reconnect lands on such a broker are dropped and reported to the
     * {@link ErrorHandler} (code {@link ErrorCode#CLIENT}).
     * <p>
     * Each descriptor a subscriber receives counts against its RLIMIT_NOFILE until let go (when the handler returns,
     * or when a kept {@link Payload} is closed). Before each receive the client checks there is room for as many as
     * one datagram may bring; short of it, it stops reading (the broker's slow-consumer policy for it applies, nothing
     * is lost silently) and tells the {@link ErrorHandler} once, until there is room again. A receive the kernel cut
     * anyway (another thread opened files meanwhile) loses those messages: a gap {@link GapReason#DESCRIPTORS_LOST}
     * says how many, exactly.
     *
     * @param descriptors true to pass descriptors (then {@link BusClient#connect} fails when JNA does not load),
     *                    false never to load the native calls (and so no {@link #sharedMemory(boolean) shared
     *                    memory} either).
     * @return this.
     */
    public ClientOptions descriptors(final boolean descriptors)
    {
        this.descriptors = descriptors;
        return this;
    }

    /**
     * @return whether the client asks the broker for descriptors: the value set, else whether the native calls
     * load (which this call then tries).
     */
    public boolean descriptors()
    {
        return descriptors != null ? descriptors : NativeDescriptors.unavailable() == null;
    }

    /**
     * Shared-memory delivery (docs/design/shared-memory.md; SPEC.md, "Shared memory"): with it, HELLO asks for
     * {@code SHARED_MEMORY}, and when the broker offers it (its {@code shm} setting, and room under its limits) every
     * frame after the handshake travels through two rings in a memfd the broker maps for this client, not through the
     * socket; the socket stays open for descriptors and as the sign that the broker is there. Nothing else changes:
     * topics, order, the broker's slow-consumer policies, gaps and reconnects behave as on the socket. A broker that
     * does not offer it leaves the client on the socket, without error; a mapping that fails makes the client
     * reconnect without asking, said once to the {@link ErrorHandler}. {@link ClientStats#transport()} says which the
     * connection uses.
     * <p>
     * It rides on {@link #descriptors(boolean) descriptors} (SHM_READY hands the memfd over; a broker offers shared
     * memory only to a connection that passes descriptors), so it needs the native calls of {@code seqbus-sys} through
     * JNA; without them, or with {@code descriptors(false)}, the client stays on the socket. The environment variable {@value #SHARED_MEMORY_ENV} ({@code on}
     * or {@code off}) overrides this setting, so a whole test run or benchmark can switch transports; {@code on}
     * still needs the native calls.
     *
     * @param sharedMemory true to ask for shared memory (then {@link BusClient#connect} fails when descriptors are off
     *                     or JNA does not load, unless {@value #SHARED_MEMORY_ENV} is set), false to stay on the
     *                     socket. Default
     *                     {@link #DEFAULT_SHARED_MEMORY} when the native calls load.
     * @return this.
     */
    public ClientOptions sharedMemory(final boolean sharedMemory)
    {
        this.sharedMemory = sharedMemory;
        return this;
    }

    /**
     * @return whether the client asks for shared memory: {@value #SHARED_MEMORY_ENV} when set, else the value set,
     * else {@link #DEFAULT_SHARED_MEMORY} if the native calls load (which this call then tries).
     * @throws IllegalArgumentException when {@value #SHARED_MEMORY_ENV} is neither {@code on} nor {@code off}.
     */
    public boolean sharedMemory()
    {
        return sharedMemory(environment());
    }

    /** For tests: read {@value #SHARED_MEMORY_ENV} from this map, not from the process's environment. */
    ClientOptions environment(final Map<String, String> environment)
    {
        this.environment = environment;
        return this;
    }

    /** @return the environment {@value #SHARED_MEMORY_ENV} is read from. */
    Map<String, String> environment()
    {
        return environment != null ? environment : System.getenv();
    }

    /** {@link #sharedMemory()} for this environment. */
    boolean sharedMemory(final Map<String, String> env)
    {
        final Boolean override = sharedMemoryOverride(env);
        if (override != null)
        {
            return override && NativeDescriptors.unavailable() == null;
        }
        if (sharedMemory != null)
        {
            return sharedMemory;
        }
        return DEFAULT_SHARED_MEMORY && NativeDescriptors.unavailable() == null;
    }

    /** @return true when shared memory was asked for by {@link #sharedMemory(boolean)} and no environment says off. */
    boolean sharedMemoryRequired(final Map<String, String> env)
    {
        return sharedMemoryOverride(env) == null && Boolean.TRUE.equals(sharedMemory);
    }

    /** @return what {@value #SHARED_MEMORY_ENV} says, or null when it is unset or empty. */
    static Boolean sharedMemoryOverride(final Map<String, String> env)
    {
        final String value = env.get(SHARED_MEMORY_ENV);
        if (value == null || value.isEmpty())
        {
            return null;
        }
        switch (value.trim().toLowerCase(Locale.ROOT))
        {
            case "on":
                return Boolean.TRUE;
            case "off":
                return Boolean.FALSE;
            default:
                throw new IllegalArgumentException(SHARED_MEMORY_ENV + " must be on or off, not '" + value + "'");
        }
    }

    /** @return true when {@link #descriptors(boolean)} was called with true. */
    boolean descriptorsRequired()
    {
        return Boolean.TRUE.equals(descriptors);
    }

    /**
     * @param memfdThreshold payloads longer than this many bytes are published as a sealed memfd rather than inline,
     *                       on a connection that passes descriptors; at most the broker's {@code max_payload} counts
     *                       (a longer payload cannot go inline). Default: the broker's {@code max_payload}, so a
     *                       payload goes inline whenever it can. 0 sends every non-empty payload as a memfd.
     * @return this.
     */
    public ClientOptions memfdThreshold(final int memfdThreshold)
    {
        if (memfdThreshold < 0)
        {
            throw new IllegalArgumentException("memfdThreshold must not be negative: " + memfdThreshold);
        }
        this.memfdThreshold = memfdThreshold;
        return this;
    }

    /**
     * @return the bytes above which a payload goes as a memfd; -1 for the default, the broker's {@code max_payload}.
     */
    public int memfdThreshold()
    {
        return memfdThreshold;
    }

    /**
     * @param gapHandler for subscriptions that have none of their own. Default: one line at {@code WARNING} on the
     *                   {@link System.Logger} {@code io.seqbus.client}.
     * @return this.
     */
    public ClientOptions gapHandler(final GapHandler gapHandler)
    {
        this.gapHandler = Objects.requireNonNull(gapHandler, "gapHandler");
        return this;
    }

    /**
     * @return the client-wide gap handler.
     */
    public GapHandler gapHandler()
    {
        return gapHandler;
    }

    /**
     * @param errorHandler told about every ERROR frame and handler exception. Default: logs on the
     *                     {@link System.Logger} {@code io.seqbus.client}, errors at {@code WARNING}, handler
     *                     exceptions with their subscription, topic and sequence at {@code ERROR}.
     * @return this.
     */
    public ClientOptions errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
        return this;
    }

    /**
     * @return the error handler.
     */
    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    /**
     * @param connectionListener told when the connection comes and goes. Default: logs each loss at {@code WARNING} on
     *                           the {@link System.Logger} {@code io.seqbus.client}.
     * @return this.
     */
    public ClientOptions connectionListener(final ConnectionListener connectionListener)
    {
        this.connectionListener = Objects.requireNonNull(connectionListener, "connectionListener");
        return this;
    }

    /**
     * @return the connection listener.
     */
    public ConnectionListener connectionListener()
    {
        return connectionListener;
    }

    /**
     * @param handlerExecutor runs the message handlers of every subscription that names no executor of its own, off
     *                        the client's I/O thread, as {@link SubscriptionOptions#executor(java.util.concurrent.Executor)}
     *                        describes (a copy per message, order kept per subscription, a bounded queue). Default
     *                        null: handlers run on the I/O thread, without a copy. The client does not shut it down.
     * @return this.
     */
    public ClientOptions handlerExecutor(final java.util.concurrent.Executor handlerExecutor)
    {
        this.handlerExecutor = handlerExecutor;
        return this;
    }

    /**
     * @return the client's default executor for handlers, or null for the I/O thread.
     */
    public java.util.concurrent.Executor handlerExecutor()
    {
        return handlerExecutor;
    }

    private static Duration positive(final Duration value, final String name)
    {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero())
        {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
        return value;
    }
}

package io.seqbus.examples.orders;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Message;
import io.seqbus.client.ThreadMode;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The consuming side: takes every created order and hands the work to a pool of threads, so a slow
 * order does not hold up reading the bus; stops without losing what it took.
 *
 * <p>Work is taken off the client's thread onto a bounded queue. When the queue is full the client's
 * own thread does the work ({@link ThreadPoolExecutor.CallerRunsPolicy}): it reads the bus more slowly,
 * the subscription's queue at the broker fills, and the broker's slow-consumer policy applies, as it
 * would without an executor. An unbounded queue would instead hide a consumer that cannot keep up
 * until the heap runs out. With more than one worker, orders are worked on in parallel and may finish
 * out of order.
 */
public final class OrderConsumer
{
    /** The orders this consumer works on: every region. */
    public static final String PATTERN = "orders.*.created";

    private final ClientOptions options;
    private final ThreadPoolExecutor workers;
    private final Consumer<String> work;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong processed = new AtomicLong();
    private volatile BusClient bus;
    private volatile boolean started;

    /**
     * @param options  where to connect.
     * @param threads  worker threads.
     * @param queue    orders that may wait for a worker.
     * @param work     what to do with an order's JSON; runs on a worker.
     */
    public OrderConsumer(final ClientOptions options, final int threads, final int queue, final Consumer<String> work)
    {
        this.options = Objects.requireNonNull(options, "options");
        this.work = Objects.requireNonNull(work, "work");
        this.workers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue), new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /**
     * Connects and subscribes; returns once the subscription is in force at the broker.
     */
    public void start()
    {
        bus = BusClient.connect(options);
        bus.subscribe(PATTERN, this::onMessage);
        bus.sync(Duration.ofSeconds(5));
        started = true;
    }

    /** @return true once {@link #start()} succeeded. */
    public boolean isStarted()
    {
        return started;
    }

    private void onMessage(final Message message)
    {
        // The message is a view over the client's receive buffer, valid only during this call: copy
        // what the worker needs before handing it over.
        final String json = message.payloadAsString();
        accepted.incrementAndGet();
        workers.execute(() ->
        {
            work.accept(json);
            processed.incrementAndGet();
        });
    }

    /**
     * Stops taking orders, then lets the workers finish every order already taken.
     *
     * @param timeout how long the workers may take to finish.
     * @return true when every order taken was processed in time.
     */
    public boolean stop(final Duration timeout) throws InterruptedException
    {
        // First the bus: once close() returns no handler runs, so nothing more is handed to the
        // workers. Then the pool: it finishes what is queued and takes nothing new.
        final BusClient client = bus;
        if (client != null)
        {
            client.close();
        }
        workers.shutdown();
        return workers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS) &&
            processed.get() == accepted.get();
    }

    /** @return orders taken from the bus. */
    public long accepted()
    {
        return accepted.get();
    }

    /** @return orders whose work is done. */
    public long processed()
    {
        return processed.get();
    }

    /** @return the worker pool (for tests). */
    ExecutorService workers()
    {
        return workers;
    }

    /**
     * {@code OrderConsumer [SOCKET] [WORK_MILLIS] [THREADS]}: prints {@code ready} once subscribed,
     * {@code processed ID} per order, and on SIGTERM (or SIGINT) {@code stopped: processed N of M}
     * once the orders it took are done, then exits 0 (1 if they could not be finished in 10 s).
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final ClientOptions options = new ClientOptions().clientName("order-consumer").threadMode(ThreadMode.DEDICATED);
        if (args.length > 0)
        {
            options.socket(args[0]);
        }
        final long workMillis = args.length > 1 ? Long.parseLong(args[1]) : 100;
        final int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        final OrderConsumer consumer = new OrderConsumer(options, threads, 1000, (json) ->
        {
            simulateWork(workMillis);
            System.out.println("processed " + OrderJson.id(json));
        });
        // Registered before start: a SIGTERM at any moment after this line finds the hook.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutDown(consumer), "order-consumer-shutdown"));
        consumer.start();
        System.out.println("ready");
        Thread.currentThread().join();   // the client's and the workers' threads do the rest
    }

    /**
     * Runs in the shutdown hook. The JVM ends a SIGTERM with status 143 (128 + 15) whatever the hooks
     * did; a consumer that stopped having finished its work says so with 0, as systemd and
     * orchestrators read it, hence halt() once everything is done and printed.
     */
    private static void shutDown(final OrderConsumer consumer)
    {
        if (!consumer.isStarted())
        {
            // start() failed (no broker, say) and the JVM is exiting with its own status: keep it.
            return;
        }
        boolean finished = false;
        try
        {
            finished = consumer.stop(Duration.ofSeconds(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        System.out.println("stopped: processed " + consumer.processed() + " of " + consumer.accepted());
        System.out.flush();
        Runtime.getRuntime().halt(finished ? 0 : 1);
    }

    private static void simulateWork(final long millis)
    {
        try
        {
            Thread.sleep(millis);   // stands for a database write or a call to another service
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}

package io.seqbus.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in a child JVM on Java 21+ by the broker module's {@code ExecutorOrderTest} (the project builds for 17, so the
 * virtual-thread executor is found by reflection): handlers of several subscriptions on
 * {@code Executors.newVirtualThreadPerTaskExecutor()}, order per subscription kept, nothing lost, and a pull
 * subscription read from a virtual thread. Prints {@code VIRTUAL true}, {@code ORDER ok N}, {@code PULL ok N},
 * {@code DONE}; any failure exits non-zero with the reason on stderr.
 * <p>
 * Arguments: the broker's socket.
 */
public final class VirtualThreadHandlersMain
{
    private static final int SUBSCRIPTIONS = 4;
    private static final int MESSAGES = 2_000;

    private VirtualThreadHandlersMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final ExecutorService virtual =
            (ExecutorService)Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        final AtomicBoolean allVirtual = new AtomicBoolean(true);
        final AtomicBoolean inOrder = new AtomicBoolean(true);
        final AtomicLong handled = new AtomicLong();
        final ClientOptions options = new ClientOptions().socket(args[0]).threadMode(ThreadMode.DEDICATED);
        try (BusClient subscriber = BusClient.connect(options); BusClient publisher = BusClient.connect(options))
        {
            final List<Subscription> subscriptions = new ArrayList<>();
            for (int s = 0; s < SUBSCRIPTIONS; s++)
            {
                final long[] last = {0};
                subscriptions.add(subscriber.subscribe("vt." + s, message ->
                {
                    if (!(Boolean)isVirtual(Thread.currentThread()))
                    {
                        allVirtual.set(false);
                    }
                    final long value = Long.parseLong(message.payloadAsString());
                    if (value != last[0] + 1)
                    {
                        inOrder.set(false);
                    }
                    last[0] = value;
                    handled.incrementAndGet();
                }, new SubscriptionOptions().policy(SlowConsumerPolicy.BLOCK).executor(virtual)));
            }
            final Subscription pulled = subscriber.subscribe("vt.>", SubscriptionOptions.pull().maxPending(
                SUBSCRIPTIONS * MESSAGES).policy(SlowConsumerPolicy.BLOCK));
            subscriber.sync(Duration.ofSeconds(20));
            for (int i = 1; i <= MESSAGES; i++)
            {
                for (int s = 0; s < SUBSCRIPTIONS; s++)
                {
                    publisher.publish("vt." + s, Long.toString(i));
                }
            }
            publisher.flush();
            final long[] pulledCount = {0};
            final AtomicBoolean pullInOrder = new AtomicBoolean(true);
            final Thread reader = (Thread)Thread.class.getMethod("startVirtualThread", Runnable.class).invoke(null,
                (Runnable)() ->
                {
                    long expected = 1;
                    int inRound = 0;
                    while (pulledCount[0] < (long)SUBSCRIPTIONS * MESSAGES)
                    {
                        final Message message = pulled.next(Duration.ofSeconds(20));
                        if (message == null || Long.parseLong(message.payloadAsString()) != expected)
                        {
                            pullInOrder.set(false);
                            return;
                        }
                        pulledCount[0]++;
                        if (++inRound == SUBSCRIPTIONS)
                        {
                            inRound = 0;
                            expected++;
                        }
                    }
                });
            reader.join(TimeUnit.SECONDS.toMillis(60));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (handled.get() < (long)SUBSCRIPTIONS * MESSAGES && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            check(handled.get() == (long)SUBSCRIPTIONS * MESSAGES, "handled " + handled.get());
            check(inOrder.get(), "a subscription's messages out of order");
            check(pullInOrder.get() && pulledCount[0] == (long)SUBSCRIPTIONS * MESSAGES,
                "pulled " + pulledCount[0] + " in order " + pullInOrder.get());
            for (final Subscription subscription : subscriptions)
            {
                check(subscription.stats().handlerDrops() == 0, "drops in " + subscription.stats());
            }
            System.out.println("VIRTUAL " + allVirtual.get());
            System.out.println("ORDER ok " + handled.get());
            System.out.println("PULL ok " + pulledCount[0]);
        }
        virtual.shutdown();
        System.out.println("DONE");
    }

    private static Object isVirtual(final Thread thread)
    {
        try
        {
            return Thread.class.getMethod("isVirtual").invoke(thread);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void check(final boolean condition, final String what)
    {
        if (!condition)
        {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
    }
}

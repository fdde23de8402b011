package io.seqbus.client;

import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscription with an executor hears its gaps in order with its messages, on the executor: messages 1..3, the
 * broker's drop GAP for 4..5, messages 6..8, seen in that order by the handlers on an 8-thread pool, however far the
 * pool is behind the I/O thread when the GAP is read.
 */
class ExecutorGapOrderTest extends ScriptedBrokerTest
{
    private static final long A = 0x8000_0000_0000_00A1L;

    @Test
    void aGapIsToldBetweenTheMessagesAroundItOnTheExecutor() throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        connectWith(new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.DEDICATED)
            .errorHandler((e) -> { }));
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        try
        {
            final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            final ConcurrentLinkedQueue<String> gapThreads = new ConcurrentLinkedQueue<>();
            // The first message's handler holds the pool's drain until the I/O thread has read everything: the GAP
            // is then behind every message before it, as when a handler is slow.
            final CountDownLatch everythingRead = new CountDownLatch(1);
            final Subscription s = client.subscribe("jobs", (m) ->
            {
                if (m.sequence() == 1)
                {
                    await().atMost(ScriptedBroker.WAIT).until(() -> everythingRead.await(1, TimeUnit.MILLISECONDS));
                }
                seen.add("m" + m.sequence());
            }, new SubscriptionOptions().executor(pool).gapHandler((g) ->
            {
                seen.add("gap" + g.fromSequence() + "+" + g.count());
                gapThreads.add(Thread.currentThread().getName());
            }));
            final int id = peer.next(FrameType.SUBSCRIBE).as(new io.seqbus.wire.SubscribeFrame()).subscriptionId();

            peer.deliver(id, A, 1, "jobs", "1").deliver(id, A, 2, "jobs", "2").deliver(id, A, 3, "jobs", "3")
                .gap(id, A, 4, 2, GapReason.DROPPED_OLDEST)
                .deliver(id, A, 6, "jobs", "6").deliver(id, A, 7, "jobs", "7").deliver(id, A, 8, "jobs", "8").send();
            // Counted on the I/O thread as it reads: all six messages and the gap are read and queued.
            await().atMost(ScriptedBroker.WAIT).until(() -> s.stats().delivered() == 6 && s.stats().gaps() == 1);
            everythingRead.countDown();

            await().atMost(ScriptedBroker.WAIT).until(() -> seen.size() == 7);
            assertThat(List.copyOf(seen)).containsExactly("m1", "m2", "m3", "gap4+2", "m6", "m7", "m8");
            assertThat(gapThreads).as("the gap handler ran on the executor, not the I/O thread")
                .allSatisfy((name) -> assertThat(name).startsWith("pool-"));
            assertThat(s.stats().lost()).isEqualTo(2);
        }
        finally
        {
            pool.shutdownNow();
        }
    }
}

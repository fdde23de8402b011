package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.BusException;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.ErrorHandler;
import io.seqbus.client.Message;
import io.seqbus.client.Subscription;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.GapReason;
import io.seqbus.client.SlowConsumerPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A session publisher's connection closes while the broker stays up, with publishes the broker never read: the
 * subscriber's connection never broke, yet the loss it is told (the sum of gap counts) equals the true loss (what
 * the publisher sent without an error, less what arrived), and a subscription that never saw the publisher hears
 * nothing (SPEC.md, GAP reason PUBLISHER_RESUMED).
 * <p>
 * The real way a broker closes a publisher with its publishes unread: the publisher also subscribes, with the block
 * policy and a small queue, and stops reading. Its own publishes fill its queue, the broker holds every publisher
 * back (so the publisher's datagrams pile up unread in its socket), and after the stall timeout the broker evicts
 * it as a slow consumer, dropping what it had not read. The publisher's client reconnects with its session.
 */
class PublisherResumedTest extends InProcessBrokerTest
{
    private static final ErrorHandler QUIET = new ErrorHandler()
    {
        public void onError(final BusError error)
        {
        }

        public void onHandlerException(final Throwable ex, final Subscription subscription, final Message message)
        {
        }
    };

    @Test
    void theLossOfAPublisherEvictedWithPublishesUnreadIsToldExactly() throws Exception
    {
        start(new BrokerContext().stallTimeoutNs(Duration.ofMillis(200).toNanos()));
        final AtomicLong received = new AtomicLong();
        final AtomicLong lastSequence = new AtomicLong();
        final AtomicLong told = new AtomicLong();
        final ConcurrentLinkedQueue<String> gaps = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> quietGaps = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> otherConnectionGaps = new ConcurrentLinkedQueue<>();
        final AtomicInteger publisherConnects = new AtomicInteger();

        final BusClient sub = open(BusClient.connect(new ClientOptions().socket(socket)
            .threadMode(ThreadMode.DEDICATED).errorHandler(QUIET)));
        sub.subscribe("data.>", (m) ->
        {
            received.incrementAndGet();
            lastSequence.set(m.sequence());
        }, new SubscriptionOptions().gapHandler((g) ->
        {
            told.addAndGet(g.count());
            gaps.add(g.toString());
        }));
        // Same connection, never sees the publisher: the GAP the broker sends the connection is not for it.
        sub.subscribe("quiet.>", (m) -> { }, new SubscriptionOptions().gapHandler((g) -> quietGaps.add(g.toString())));
        sub.sync(Duration.ofSeconds(5));
        final BusClient other = open(BusClient.connect(new ClientOptions().socket(socket)
            .threadMode(ThreadMode.DEDICATED).errorHandler(QUIET).gapHandler((g) -> otherConnectionGaps.add(g.toString()))));
        other.subscribe("quiet.>", (m) -> { });
        other.sync(Duration.ofSeconds(5));

        final BusClient pub = open(BusClient.connect(new ClientOptions().socket(socket)
            .threadMode(ThreadMode.POLL).reconnect(true).publishTimeout(Duration.ofMillis(500))
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).errorHandler(QUIET)
            .connectionListener(new ConnectionListener()
            {
                public void onConnected(final BusClient client)
                {
                    publisherConnects.incrementAndGet();
                }

                public void onDisconnected(final BusClient client, final BusException cause)
                {
                }
            })));
        final Subscription own = pub.subscribe("data.>", (m) -> { },
            new SubscriptionOptions().policy(SlowConsumerPolicy.BLOCK).maxQueueBytes(16 * 1024));
        pub.sync(Duration.ofSeconds(5));
        final long publisherId = pub.publisherId();

        // The publisher publishes steadily and never polls, so it never reads its own deliveries.
        final byte[] payload = new byte[1024];
        long sent = 0;
        while (counter(BrokerCounters.SLOW_CONSUMER_EVICTIONS) == 0)
        {
            try
            {
                pub.publish("data.x", payload);
                sent++;
            }
            catch (final BusException ex)
            {
                // Not sent: the broker held it back until the publish timed out, or the connection was gone.
            }
        }
        await().atMost(Duration.ofSeconds(20)).pollInSameThread().pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(1)).until(() ->
            {
                pub.poll();
                return publisherConnects.get() == 2 && pub.isConnected();
            });
        own.close();
        pub.sync(Duration.ofSeconds(5));
        assertThat(pub.publisherId()).as("a session keeps its publisher id").isEqualTo(publisherId);

        // Steady publishing goes on after the resume.
        for (int i = 0; i < 100; i++)
        {
            pub.publish("data.x", payload);
            sent++;
        }
        pub.sync(Duration.ofSeconds(5));
        final long total = sent;
        await().atMost(Duration.ofSeconds(20)).until(() -> lastSequence.get() == total);
        sub.sync(Duration.ofSeconds(5));
        other.sync(Duration.ofSeconds(5));

        System.out.println("PublisherResumedTest: sent " + sent + ", received " + received.get() + ", told " +
            told.get() + " in " + gaps);
        assertThat(counter(BrokerCounters.SESSIONS_RESUMED_WITH_LOSS)).isEqualTo(1);
        assertThat(counter(BrokerCounters.CLOSED_SESSIONS)).as("the resume took the entry").isZero();
        assertThat(received.get()).as("the broker dropped publishes it had not read").isLessThan(sent);
        assertThat(told.get()).as("gaps %s", gaps).isEqualTo(sent - received.get());
        assertThat(gaps).singleElement().asString()
            .contains("reason=PUBLISHER_RESUMED").contains("publisher=" + publisherId);
        assertThat(quietGaps).as("a subscription that never saw the publisher").isEmpty();
        assertThat(otherConnectionGaps).as("a connection that never saw the publisher").isEmpty();
        assertThat(counter(BrokerCounters.RESUMED_LOSS_GAPS)).as("one GAP per subscriber connection").isEqualTo(2);
    }
}

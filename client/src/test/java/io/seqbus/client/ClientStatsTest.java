package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The counters of a client and of its subscriptions, and the context a handler exception is reported with,
 * against a scripted broker.
 */
class ClientStatsTest extends ScriptedBrokerTest
{
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Throwable> plainFailures = new CopyOnWriteArrayList<>();

    @Test
    void countsDeliveriesGapsLossDropsHandlerErrorsPublishesRefusalsAndReconnects() throws Exception
    {
        connect(new ErrorHandler()
        {
            public void onError(final BusError error)
            {
            }

            public void onHandlerException(final Throwable throwable, final Subscription subscription, final Message message)
            {
                failures.add(throwable.getMessage() + " " + subscription.pattern() + " " + message.topic() + " " +
                    message.sequence());
            }
        });
        final Subscription orders = client.subscribe("orders.>", message ->
        {
            if (message.sequence() == 2)
            {
                throw new IllegalStateException("bad order");
            }
        }, new SubscriptionOptions().gapHandler(gap -> { }));
        final Subscription audit = client.subscribe("audit.>", message -> { }, new SubscriptionOptions().gapHandler(gap -> { }));
        peer.next(FrameType.SUBSCRIBE);
        peer.next(FrameType.SUBSCRIBE);
        peer.deliver(1, 1, "orders.eu.created", "a").deliver(1, 2, "orders.eu.created", "b")
            .deliver(1, 3, "orders.eu.created", "c").gap(1, 4, 5, GapReason.DROPPED_OLDEST)
            .gap(1, 9, 2, GapReason.NODE_LOST).gap(0, 0, 0, GapReason.NODE_LOST).deliver(2, 7, "audit.x", "d").send();
        assertThat(client.tryPublish("orders.us.created", "e")).isEqualTo(PublishResult.OK);
        assertThat(client.tryPublish("audit.y", "f")).isEqualTo(PublishResult.OK);
        peer.error(ErrorCode.ACCESS_DENIED, 0, "publish 'audit.y' refused: uid 0 may not publish there").send();
        within().until(() -> client.poll() >= 0 && client.refusal("audit.y") != null);
        assertThat(client.tryPublish("audit.y", "g")).isEqualTo(PublishResult.DENIED);

        assertThat(orders.stats()).isEqualTo(new SubscriptionStats(3, 1, 3, 7, 5, 0, 0));
        assertThat(audit.stats()).isEqualTo(new SubscriptionStats(1, 0, 1, 0, 0, 0, 0));
        assertThat(failures).containsExactly("bad order orders.> orders.eu.created 2");
        final ClientStats stats = client.stats();
        assertThat(stats.delivered()).isEqualTo(4);
        assertThat(stats.handlerErrors()).isEqualTo(1);
        assertThat(stats.gaps()).isEqualTo(4);
        assertThat(stats.lost()).isEqualTo(7);
        assertThat(stats.dropped()).isEqualTo(5);
        assertThat(stats.published()).isEqualTo(2);
        assertThat(stats.publishesRefused()).isEqualTo(1);
        assertThat(stats.publishesDenied()).isEqualTo(1);
        assertThat(stats.errors()).isEqualTo(1);
        assertThat(stats.reconnects()).isZero();
        assertThat(stats.datagramsIn()).isEqualTo(3);
        assertThat(stats.bytesIn()).isPositive();
        assertThat(stats.datagramsOut()).isGreaterThanOrEqualTo(3);
        assertThat(stats.bytesOut()).isPositive();

        peer.close();
        final CompletableFuture<Peer> accepting = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return broker.accept();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        within().until(() -> client.poll() >= 0 && accepting.isDone());
        peer = accepting.get();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        within().until(() -> client.poll() >= 0 && client.stats().reconnects() == 1);
        assertThat(orders.stats().gaps()).isEqualTo(4);
        assertThat(orders.stats().lost()).isEqualTo(7);
    }

    @Test
    void anErrorHandlerWrittenForTheOneArgumentFormStillHearsOfHandlerExceptions() throws Exception
    {
        connect(new ErrorHandler()
        {
            public void onError(final BusError error)
            {
            }

            public void onHandlerException(final Throwable throwable)
            {
                plainFailures.add(throwable);
            }
        });
        client.subscribe("orders.>", message ->
        {
            throw new IllegalStateException("bad order");
        });
        peer.next(FrameType.SUBSCRIBE);
        peer.deliver(1, 1, "orders.eu.created", "a").send();
        within().until(() -> client.poll() >= 0 && !plainFailures.isEmpty());
        assertThat(plainFailures.get(0)).hasMessage("bad order");
    }

    private void connect(final ErrorHandler errorHandler) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).errorHandler(errorHandler);
        connectWith(options);
    }
}

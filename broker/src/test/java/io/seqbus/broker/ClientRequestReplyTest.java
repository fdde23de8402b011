package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Message;
import io.seqbus.client.NoRespondersException;
import io.seqbus.client.RespondersGoneException;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.ResponseFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The Java client's {@code request} and {@code Message.reply} against a real broker: each way a request ends, as
 * the future says it, and where its callbacks run.
 */
class ClientRequestReplyTest
{
    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<BusClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws java.io.IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test"));
    }

    @AfterEach
    void stop()
    {
        for (final BusClient c : clients)
        {
            c.close();
        }
        broker.close();
    }

    @Test
    void aRequestGetsTheReplyAndWhoSentIt() throws Exception
    {
        final BusClient service = client("service");
        service.subscribe("svc.echo", (Message m) ->
        {
            assertThat(m.isRequest()).isTrue();
            m.reply(("echo " + m.payloadAsString()).getBytes(StandardCharsets.UTF_8));
        });
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");
        final Message reply = requester.request("svc.echo", "hi".getBytes(StandardCharsets.UTF_8),
            Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("echo hi");
        assertThat(reply.topic()).isEqualTo("svc.echo");
        assertThat(reply.replierPid()).isEqualTo((int)ProcessHandle.current().pid());
        assertThat(reply.replierUid()).isGreaterThanOrEqualTo(0);
        assertThat(reply.isRequest()).isFalse();

        final ByteBuffer direct = ByteBuffer.allocateDirect(3).put(new byte[]{'x', 'y', 'z'}).flip().position(1);
        assertThat(requester.request("svc.echo", direct, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)
            .payloadAsString()).isEqualTo("echo yz");
        assertThat(direct.position()).isEqualTo(1);
    }

    @Test
    void aRequestToAQueueGroupGoesToOneMemberAndTheMembersShareThem() throws Exception
    {
        final int members = 3;
        final int requests = 480;
        final java.util.concurrent.atomic.AtomicIntegerArray served =
            new java.util.concurrent.atomic.AtomicIntegerArray(members);
        for (int i = 0; i < members; i++)
        {
            final int member = i;
            final BusClient service = client("worker-" + i);
            service.subscribe("svc.work", (Message m) ->
            {
                served.incrementAndGet(member);
                m.reply(Integer.toString(member).getBytes(StandardCharsets.UTF_8));
            }, new io.seqbus.client.SubscriptionOptions().group("workers"));
            service.sync(Duration.ofSeconds(5));
        }
        final BusClient requester = client("requester");
        final int[] repliedBy = new int[members];
        int previous = -1;
        for (int r = 0; r < requests; r++)
        {
            final Message reply = requester.request("svc.work", new byte[]{1}, Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS);
            final int member = Integer.parseInt(reply.payloadAsString());
            // One request at a time, each in a duty cycle of its own: the turn moves on with every one, so a
            // service's instances share work at once instead of one taking a run of them.
            assertThat(member).as("request %d went to the member that served the one before", r).isNotEqualTo(previous);
            previous = member;
            repliedBy[member]++;
        }
        int total = 0;
        for (int i = 0; i < members; i++)
        {
            total += served.get(i);
            // Each member served its share: a third, as the rotation goes.
            assertThat(served.get(i)).as("member " + i).isEqualTo(requests / members);
            assertThat(repliedBy[i]).isEqualTo(served.get(i));
        }
        assertThat(total).as("each request went to exactly one member").isEqualTo(requests);
    }

    @Test
    void noSubscriberFailsAtOnceWithNoResponders()
    {
        final BusClient requester = client("requester");
        final CompletableFuture<Message> f = requester.request("svc.none", new byte[0], Duration.ofMinutes(5));
        final Throwable failure = catchThrowable(() -> f.get(10, TimeUnit.SECONDS));
        assertThat(failure).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NoRespondersException.class);
        assertThat(failure.getCause()).hasMessageContaining("svc.none");
    }

    @Test
    void aReplierThatClosesFailsItsRequestsWithRespondersGone() throws Exception
    {
        final BusClient service = client("service");
        final CountDownLatch received = new CountDownLatch(1);
        service.subscribe("svc.slow", (Message m) -> received.countDown());
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");
        final CompletableFuture<Message> f = requester.request("svc.slow", new byte[0], Duration.ofMinutes(5));
        assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();
        service.close();
        final Throwable failure = catchThrowable(() -> f.get(10, TimeUnit.SECONDS));
        assertThat(failure).hasCauseInstanceOf(RespondersGoneException.class);
    }

    @Test
    void theClientsTimerEndsARequestNobodyAnswers() throws Exception
    {
        final BusClient service = client("service");
        service.subscribe("svc.mute", (Message m) -> { });
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");
        final CompletableFuture<Message> f = requester.request("svc.mute", new byte[0], Duration.ofMillis(100));
        final Throwable failure = catchThrowable(() -> f.get(10, TimeUnit.SECONDS));
        assertThat(failure).hasCauseInstanceOf(TimeoutException.class);
        await().until(() -> broker.counters().get(BrokerCounters.REQUESTS_PENDING) == 0);
        assertThat(broker.counters().get(BrokerCounters.REQUESTS_OUTCOME + ResponseFrame.TIMED_OUT)).isEqualTo(1);
    }

    @Test
    void aCallbackChainedToTheFutureNeverRunsOnTheClientsThread() throws Exception
    {
        final BusClient service = client("service");
        final AtomicReference<Thread> handlerThread = new AtomicReference<>();
        service.subscribe("svc.echo", (Message m) -> m.reply(m.payloadAsBytes()));
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");
        requester.subscribe("probe", (Message m) -> handlerThread.set(Thread.currentThread()));
        requester.publish("probe", "x");
        await().until(() -> handlerThread.get() != null);

        for (int i = 0; i < 20; i++)
        {
            final AtomicReference<Thread> callbackThread = new AtomicReference<>();
            requester.request("svc.echo", new byte[]{1}, Duration.ofSeconds(5))
                .thenAccept(m -> callbackThread.set(Thread.currentThread())).get(10, TimeUnit.SECONDS);
            assertThat(callbackThread.get()).isNotSameAs(handlerThread.get());
        }
        // A callback that itself waits for a request (on the client's thread it would wait for itself).
        final String nested = requester.request("svc.echo", "a".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5))
            .thenApply(m -> requester.request("svc.echo", "b".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5))
                .join().payloadAsString())
            .get(10, TimeUnit.SECONDS);
        assertThat(nested).isEqualTo("b");
    }

    @Test
    void replyOnANonRequestIsRefusedAndALaterReplyByTokenWorks() throws Exception
    {
        final BusClient service = client("service");
        final AtomicReference<Throwable> refused = new AtomicReference<>();
        final AtomicReference<Long> token = new AtomicReference<>();
        service.subscribe("plain", (Message m) -> refused.set(catchThrowable(() -> m.reply(new byte[0]))));
        service.subscribe("svc.later", (Message m) -> token.set(m.replyToken()));
        service.sync(Duration.ofSeconds(5));
        final BusClient requester = client("requester");
        requester.publish("plain", "x");
        await().until(() -> refused.get() != null);
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class);

        final CompletableFuture<Message> f = requester.request("svc.later", new byte[0], Duration.ofSeconds(10));
        await().until(() -> token.get() != null);
        service.reply(token.get(), "later".getBytes(StandardCharsets.UTF_8));
        assertThat(f.get(10, TimeUnit.SECONDS).payloadAsString()).isEqualTo("later");
    }

    private BusClient client(final String name)
    {
        final BusClient c = BusClient.connect(
            new ClientOptions().socket(socket).clientName(name).threadMode(ThreadMode.DEDICATED));
        clients.add(c);
        return c;
    }
}

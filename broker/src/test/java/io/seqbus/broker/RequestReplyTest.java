package io.seqbus.broker;

import io.seqbus.wire.SubscribeFrame;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.DeliverRequestFrame;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.ReplyFrame;
import io.seqbus.wire.RequestFrame;
import io.seqbus.wire.ResponseFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Request/reply against a real broker over real sockets, frame by frame (SPEC.md, "Requests and replies"): each
 * way a request ends, and each REPLY the broker must drop.
 */
class RequestReplyTest
{
    @TempDir
    Path dir;
    private Broker broker;
    private String socket;
    private final List<RawClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test").maxPendingRequestsPerConnection(2));
    }

    @AfterEach
    void stop() throws IOException
    {
        for (final RawClient c : clients)
        {
            c.close();
        }
        broker.close();
    }

    @Test
    void aRequestNobodySubscribesToFailsAtOnceWithNoResponders() throws IOException
    {
        final RawClient requester = client();
        requester.send(request(7, 60_000, "svc.nobody", "hi"));
        final ResponseFrame response = response(requester);
        assertThat(response.requestId()).isEqualTo(7);
        assertThat(response.status()).isEqualTo(ResponseFrame.NO_RESPONDERS);
        assertThat(response.payloadLength()).isZero();
        assertThat(outcome(ResponseFrame.NO_RESPONDERS)).isEqualTo(1);
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isZero();
    }

    @Test
    void theFirstReplyWinsAndLaterOnesAreDroppedAsLate() throws IOException
    {
        final RawClient a = replier("svc.>");
        final RawClient b = replier("svc.price");
        final RawClient requester = client();
        requester.send(request(1, 60_000, "svc.price", "what"));
        final DeliverRequestFrame toA = deliverRequest(a);
        final DeliverRequestFrame toB = deliverRequest(b);
        assertThat(toA.replyToken()).isEqualTo(toB.replyToken());
        assertThat(payload(toA.buffer(), toA.payloadIndex(), toA.payloadLength())).isEqualTo("what");
        assertThat(toA.publisherPid()).isEqualTo((int)ProcessHandle.current().pid());
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isEqualTo(1);

        b.send(reply(toB.replyToken(), "from b"));
        barrier(b);
        a.send(reply(toA.replyToken(), "from a"));
        barrier(a);

        final ResponseFrame response = response(requester);
        assertThat(response.status()).isEqualTo(ResponseFrame.REPLIED);
        assertThat(payload(response.buffer(), response.payloadIndex(), response.payloadLength())).isEqualTo("from b");
        assertThat(response.replierPid()).isEqualTo((int)ProcessHandle.current().pid());
        assertThat(response.replierUid()).isEqualTo(uid());
        assertThat(response.timestampNs()).isPositive();
        assertThat(counter(BrokerCounters.REPLIES_DROPPED_LATE)).isEqualTo(1);
        assertThat(outcome(ResponseFrame.REPLIED)).isEqualTo(1);
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isZero();
        assertThat(barrier(requester)).doesNotContain(FrameType.RESPONSE);
    }

    @Test
    void aReplyFromAConnectionTheRequestDidNotGoToIsDroppedAsNotRecipient() throws IOException
    {
        final RawClient replier = replier("svc.price");
        final RawClient stranger = replier("other.>");
        final RawClient requester = client();
        requester.send(request(1, 60_000, "svc.price", "what"));
        final long token = deliverRequest(replier).replyToken();

        stranger.send(reply(token, "forged"));
        stranger.send(reply(token ^ 0x100, "forged, another slot"));
        barrier(stranger);
        assertThat(counter(BrokerCounters.REPLIES_DROPPED_NOT_RECIPIENT)).isEqualTo(1);
        assertThat(counter(BrokerCounters.REPLIES_DROPPED_LATE)).isEqualTo(1);
        assertThat(barrier(requester)).doesNotContain(FrameType.RESPONSE);

        replier.send(reply(token, "real"));
        final ResponseFrame response = response(requester);
        assertThat(response.status()).isEqualTo(ResponseFrame.REPLIED);
        assertThat(payload(response.buffer(), response.payloadIndex(), response.payloadLength())).isEqualTo("real");
    }

    @Test
    void whenEveryRecipientClosesTheRequestFailsAtOnceWithRespondersGone() throws IOException
    {
        final RawClient one = replier("svc.>");
        final RawClient two = replier("svc.>");
        final RawClient requester = client();
        requester.send(request(9, 60_000, "svc.x", ""));
        deliverRequest(one);
        deliverRequest(two);
        one.close();
        clients.remove(one);
        await().until(() -> broker.counters().get(BrokerCounters.CONNECTIONS_CLOSED) >= 1);
        assertThat(barrier(requester)).doesNotContain(FrameType.RESPONSE);
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isEqualTo(1);
        two.close();
        clients.remove(two);
        final ResponseFrame response = response(requester);
        assertThat(response.requestId()).isEqualTo(9);
        assertThat(response.status()).isEqualTo(ResponseFrame.RESPONDERS_GONE);
        assertThat(outcome(ResponseFrame.RESPONDERS_GONE)).isEqualTo(1);
    }

    @Test
    void aRequestNobodyAnswersTimesOutOnTheBrokersClock() throws IOException
    {
        final RawClient replier = replier("svc.>");
        final RawClient requester = client();
        requester.send(request(3, 50, "svc.slow", ""));
        final long token = deliverRequest(replier).replyToken();
        final ResponseFrame response = response(requester);
        assertThat(response.status()).isEqualTo(ResponseFrame.TIMED_OUT);
        replier.send(reply(token, "too late"));
        barrier(replier);
        assertThat(counter(BrokerCounters.REPLIES_DROPPED_LATE)).isEqualTo(1);
        assertThat(outcome(ResponseFrame.TIMED_OUT)).isEqualTo(1);
    }

    @Test
    void pendingRequestsAreBoundedPerConnection() throws IOException
    {
        replier("svc.>");
        final RawClient requester = client();
        requester.send(Frames.concat(request(1, 60_000, "svc.a", ""), request(2, 60_000, "svc.a", ""),
            request(3, 60_000, "svc.a", "")));
        final ResponseFrame response = response(requester);
        assertThat(response.requestId()).isEqualTo(3);
        assertThat(response.status()).isEqualTo(ResponseFrame.TOO_MANY_REQUESTS);
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isEqualTo(2);
        assertThat(StatClientCountsTest.stat(client())).contains("\"pending_requests\":2");
    }

    @Test
    void theUidsBoundSpansItsConnectionsAndEveryWayASlotEndsGivesItBack() throws IOException
    {
        broker.close();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("test").maxPendingRequestsPerUid(1));
        RawClient replier = replier("svc.>");
        final RawClient a = client();
        final RawClient b = client();
        a.send(request(1, 60_000, "svc.a", ""));
        final long token = deliverRequest(replier).replyToken();
        b.send(request(1, 60_000, "svc.a", ""));
        assertThat(response(b).status()).as("same uid, another connection").isEqualTo(ResponseFrame.TOO_MANY_REQUESTS);
        assertThat(counter(BrokerCounters.LIMIT_PENDING_REQUESTS_PER_UID)).isEqualTo(1);

        replier.send(reply(token, "ok")); // ends by a reply
        assertThat(response(a).status()).isEqualTo(ResponseFrame.REPLIED);
        b.send(request(2, 50, "svc.a", "")); // by its timeout
        deliverRequest(replier);
        assertThat(response(b).status()).isEqualTo(ResponseFrame.TIMED_OUT);
        a.send(request(3, 60_000, "svc.a", "")); // by its requester closing
        deliverRequest(replier);
        a.close();
        clients.remove(a);
        await().until(() -> counter(BrokerCounters.REQUESTS_PENDING) == 0);
        b.send(request(4, 60_000, "svc.a", "")); // by its last recipient closing
        deliverRequest(replier);
        replier.close();
        clients.remove(replier);
        assertThat(response(b).status()).isEqualTo(ResponseFrame.RESPONDERS_GONE);
        b.send(request(5, 60_000, "svc.a", "")); // by nobody matching
        assertThat(response(b).status()).isEqualTo(ResponseFrame.NO_RESPONDERS);

        replier = replier("svc.>");
        b.send(request(6, 60_000, "svc.a", ""));
        deliverRequest(replier);
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isEqualTo(1);
        assertThat(counter(BrokerCounters.LIMIT_PENDING_REQUESTS_PER_UID)).isEqualTo(1);
    }

    @Test
    void aClientFromBeforeRequestsIsNoResponder() throws IOException
    {
        final RawClient older = new RawClient(socket).hello("older", 0); // no SERVICES: knows no DELIVER_REQUEST
        clients.add(older);
        older.send(Frames.subscribe(1, "svc.>"));
        barrier(older);
        final RawClient requester = client();
        requester.send(request(1, 60_000, "svc.a", "hi"));
        assertThat(response(requester).status()).isEqualTo(ResponseFrame.NO_RESPONDERS);

        final RawClient replier = replier("svc.a");
        requester.send(request(2, 60_000, "svc.a", "hi"));
        replier.send(reply(deliverRequest(replier).replyToken(), "yes"));
        assertThat(response(requester).status()).isEqualTo(ResponseFrame.REPLIED);
        assertThat(barrier(older)).as("the older client was sent nothing").isEmpty();
    }

    @Test
    void aRequestToAGroupGoesToAMemberThatMayReceiveIt() throws IOException
    {
        // A member that cannot take requests (no SERVICES here; or rules without reply) is passed over, not picked
        // and then skipped, which would leave the group out of the request.
        final RawClient older = new RawClient(socket).hello("older", 0);
        clients.add(older);
        older.send(groupSubscribe(1, "svc.>", "workers"));
        barrier(older);
        final RawClient replier = client();
        replier.send(groupSubscribe(1, "svc.>", "workers"));
        barrier(replier);
        final RawClient requester = client();
        for (int id = 1; id <= 4; id++)
        {
            requester.send(request(id, 60_000, "svc.a", "hi"));
            replier.send(reply(deliverRequest(replier).replyToken(), "yes"));
            assertThat(response(requester).status()).as("request %d", id).isEqualTo(ResponseFrame.REPLIED);
        }
        assertThat(barrier(older)).as("the older member was sent nothing").isEmpty();
    }

    private static byte[] groupSubscribe(final int id, final String pattern, final String group)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[1024]);
        return Arrays.copyOf(b.byteArray(), SubscribeFrame.encode(b, 0, id, 0, 0, pattern, group));
    }

    @Test
    void aBadRequestIdOrTimeoutIsRefusedWithInvalidRequest() throws IOException
    {
        replier("svc.>");
        final RawClient requester = client();
        for (final byte[] bad : List.of(request(0, 1000, "svc.a", ""), request(5, 0, "svc.a", ""),
            request(5, 3_600_001, "svc.a", "")))
        {
            requester.send(bad);
            final ErrorFrame error = requester.awaitError(5_000);
            assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        }
        requester.send(request(5, 60_000, "svc.a", ""));
        requester.send(request(5, 60_000, "svc.a", ""));
        assertThat(requester.awaitError(5_000).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(broker.counters().rejected(ErrorCode.INVALID_REQUEST)).isEqualTo(4);
    }

    @Test
    void aClosedRequesterLeavesNothingPending() throws IOException
    {
        replier("svc.>");
        final RawClient requester = client();
        requester.send(request(1, 60_000, "svc.a", ""));
        barrier(requester);
        assertThat(counter(BrokerCounters.REQUESTS_PENDING)).isEqualTo(1);
        requester.close();
        clients.remove(requester);
        await().until(() -> counter(BrokerCounters.REQUESTS_PENDING) == 0);
        assertThat(outcome(Requests.ABANDONED)).isEqualTo(1);
    }

    // --- helpers

    private RawClient client() throws IOException
    {
        final RawClient c = new RawClient(socket).hello("raw", HelloFrame.FLAG_SERVICES);
        clients.add(c);
        return c;
    }

    private RawClient replier(final String pattern) throws IOException
    {
        final RawClient c = client();
        c.send(Frames.subscribe(1, pattern));
        barrier(c);
        return c;
    }

    private long counter(final int index)
    {
        return broker.counters().get(index);
    }

    private long outcome(final int status)
    {
        return broker.counters().get(BrokerCounters.REQUESTS_OUTCOME + status);
    }

    private static int uid()
    {
        try
        {
            return (Integer)java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    static byte[] request(final int id, final int timeoutMs, final String topic, final String payload)
    {
        final byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[RequestFrame.frameLength(topic.length(), p.length)]);
        RequestFrame.encode(b, 0, id, timeoutMs, topic, p, 0, p.length);
        return b.byteArray();
    }

    static byte[] reply(final long token, final String payload)
    {
        final byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[ReplyFrame.frameLength(p.length)]);
        ReplyFrame.encode(b, 0, token, p, 0, p.length);
        return b.byteArray();
    }

    private static String payload(final org.agrona.DirectBuffer b, final int index, final int length)
    {
        return b.getStringWithoutLengthUtf8(index, length);
    }

    private static UnsafeBuffer awaitFrame(final RawClient c, final int type) throws IOException
    {
        final long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline)
        {
            final byte[] d = c.receive(deadline - System.currentTimeMillis());
            if (d == null)
            {
                break;
            }
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == type)
                {
                    return new UnsafeBuffer(Arrays.copyOfRange(d, at, at + Protocol.frameLength(b, at)));
                }
            }
        }
        throw new AssertionError("no " + FrameType.name(type) + " within 10 s");
    }

    private static ResponseFrame response(final RawClient c) throws IOException
    {
        final ResponseFrame f = new ResponseFrame();
        f.wrap(awaitFrame(c, FrameType.RESPONSE), 0);
        return f;
    }

    private static DeliverRequestFrame deliverRequest(final RawClient c) throws IOException
    {
        final DeliverRequestFrame f = new DeliverRequestFrame();
        f.wrap(awaitFrame(c, FrameType.DELIVER_REQUEST), 0);
        return f;
    }

    /** PING and wait for its PONG: what the broker did with the frames before is done. @return types seen before. */
    private static List<Integer> barrier(final RawClient c) throws IOException
    {
        final long token = System.nanoTime();
        c.send(Frames.ping(token));
        final List<Integer> seen = new ArrayList<>();
        while (true)
        {
            final byte[] d = c.receive(5_000);
            assertThat(d).as("PONG").isNotNull();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.PONG && b.getLong(at + 8) == token)
                {
                    return seen;
                }
                seen.add(Protocol.frameType(b, at));
            }
        }
    }
}

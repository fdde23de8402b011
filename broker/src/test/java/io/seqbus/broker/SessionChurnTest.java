package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A uid that churns session publishers (connect with a new session, publish, close) against a real broker: the
 * broker's table of closed sessions stays within max_closed_sessions_per_uid, and (as root, with a second uid)
 * the churn does not push out another uid's entry, whose resume is still told to subscribers.
 */
class SessionChurnTest extends InProcessBrokerTest
{
    private static final int PER_UID = 4;
    private static final int CHURN = 200;

    @Test
    void aChurningUidKeepsTheTableOfClosedSessionsBounded() throws Exception
    {
        start(new BrokerContext().maxClosedSessions(8).maxClosedSessionsPerUid(PER_UID));
        final RawClient sub = open(new RawClient(socket).hello());
        subscribeWithBarrier(sub);
        churn(CHURN);
        assertThat(counter(BrokerCounters.CLOSED_SESSIONS)).isEqualTo(PER_UID);
        assertThat(counter(BrokerCounters.CLOSED_SESSIONS_FORGOTTEN)).isEqualTo(CHURN - PER_UID);
        assertThat(counter(BrokerCounters.RESUMED_LOSS_GAPS)).as("new sessions resume nothing").isZero();
    }

    /**
     * Uid 65534 (a Python client under setpriv) publishes sequence 1 under a session and closes; this uid churns
     * sessions until the table is full many times over; 65534 comes back at sequence 10. The subscriber hears
     * of 2..9, so the churn did not push 65534's entry out.
     */
    @Test
    @EnabledIf("io.seqbus.broker.SessionPublisherTest#canSwitchUser")
    void theChurnDoesNotPushOutAnotherUidsEntry() throws Exception
    {
        final String abstractName = "@seqbus-churn-test-" + ProcessHandle.current().pid();
        socket = abstractName;
        broker = Broker.launch(new BrokerContext().socket(abstractName).maxClosedSessions(PER_UID)
            .maxClosedSessionsPerUid(PER_UID));
        final RawClient sub = open(new RawClient(socket).hello());
        subscribeWithBarrier(sub);
        final long session = 0x5E55_1011_0000_0001L;

        otherUidPublishes(session, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> counter(BrokerCounters.CLOSED_SESSIONS) == 1);
        churn(CHURN);
        assertThat(counter(BrokerCounters.CLOSED_SESSIONS)).isEqualTo(PER_UID);
        otherUidPublishes(session, 10);
        await().atMost(Duration.ofSeconds(10)).until(() -> counter(BrokerCounters.SESSIONS_RESUMED_WITH_LOSS) == 1);

        final long otherId = PublisherIds.fromSession(65534, session);
        final List<long[]> gaps = new ArrayList<>();
        final GapFrame gap = new GapFrame();
        await().atMost(Duration.ofSeconds(10)).until(() ->
        {
            // Read all that is there: the churn's deliveries come first, one datagram each.
            for (byte[] d = sub.receive(100); d != null; d = sub.receive(100))
            {
                final UnsafeBuffer b = new UnsafeBuffer(d);
                for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
                {
                    if (Protocol.frameType(b, at) == FrameType.GAP)
                    {
                        gap.wrap(b, at);
                        gaps.add(new long[] {gap.reason(), gap.publisherId(), gap.fromSequence(), gap.count()});
                    }
                }
            }
            return !gaps.isEmpty();
        });
        assertThat(gaps).singleElement().isEqualTo(new long[] {GapReason.PUBLISHER_RESUMED, otherId, 2, 8});
    }

    private static void subscribeWithBarrier(final RawClient sub) throws IOException
    {
        sub.send(Frames.concat(Frames.subscribe(1, "r.>"), Frames.ping(1)));
        awaitPong(sub);
    }

    /** Each round a new session of this uid publishes one message and closes. */
    private void churn(final int sessions) throws IOException
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        for (int i = 1; i <= sessions; i++)
        {
            try (RawClient pub = new RawClient(socket))
            {
                final int n = HelloFrame.encode(b, 0, 1, 1, "churn", 0xC0FF_EE00_0000_0000L + i, 1);
                pub.send(Frames.concat(Arrays.copyOf(b.byteArray(), n), Frames.publish("r.churn", "x"), Frames.ping(2)));
                awaitPong(pub);
            }
            assertThat(counter(BrokerCounters.CLOSED_SESSIONS)).isLessThanOrEqualTo(PER_UID);
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
            counter(BrokerCounters.CONNECTIONS_CLOSED) >= sessions &&
            counter(BrokerCounters.CLOSED_SESSIONS_FORGOTTEN) + counter(BrokerCounters.CLOSED_SESSIONS) >= sessions);
    }

    private static void awaitPong(final RawClient c) throws IOException
    {
        final long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline)
        {
            final byte[] d = c.receive(Math.max(1, deadline - System.currentTimeMillis()));
            if (d == null)
            {
                break;
            }
            final UnsafeBuffer b = new UnsafeBuffer(d);
            for (int at = 0; at < d.length; at += Protocol.frameLength(b, at))
            {
                if (Protocol.frameType(b, at) == FrameType.PONG)
                {
                    return;
                }
            }
        }
        throw new IOException("no PONG");
    }

    /** A Python client as uid 65534: HELLO with the session at {@code next}, one PUBLISH, a PING barrier, exit. */
    private void otherUidPublishes(final long session, final long next) throws Exception
    {
        final String script = String.join("\n",
            "import socket, sys",
            "sys.path.insert(0, sys.argv[1])",
            "import seqbus",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
            "s.connect('\\0' + sys.argv[2][1:])",
            "s.send(seqbus.encode_hello('other', session_id=int(sys.argv[3]), next_sequence=int(sys.argv[4])) +",
            "       seqbus.encode_publish('r.other', b'x') + seqbus.encode_ping(7))",
            "while not any(isinstance(f, seqbus.Pong) for f in seqbus.decode_datagram(s.recv(65536))):",
            "    pass",
            "s.close()");
        final Process python = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/python3", "-c", script, Path.of("..", "examples", "python").toAbsolutePath().toString(), socket,
            Long.toString(session), Long.toString(next)).redirectErrorStream(true).start();
        final String out = new String(python.getInputStream().readAllBytes()).trim();
        assertThat(python.waitFor()).as(out).isZero();
    }
}

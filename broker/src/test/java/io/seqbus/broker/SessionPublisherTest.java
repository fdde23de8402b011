package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.WelcomeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A HELLO with a session (SPEC.md, HELLO): the publisher id is derived from (uid, session), so it survives a
 * reconnect and a broker restart, and the numbering continues from the HELLO's next_sequence.
 */
class SessionPublisherTest
{
    @TempDir
    Path dir;

    @Test
    void anotherUidCannotContinueASession()
    {
        final long session = 0x1122334455667788L;
        assertThat(PublisherIds.fromSession(1000, session)).isEqualTo(PublisherIds.fromSession(1000, session));
        assertThat(PublisherIds.fromSession(1000, session)).isNotEqualTo(PublisherIds.fromSession(1001, session));
        assertThat(PublisherIds.fromSession(0, session)).isNotEqualTo(PublisherIds.fromSession(-1, session));
        assertThat(PublisherIds.fromSession(1000, session)).isNotEqualTo(PublisherIds.fromSession(1000, session + 1));
        // Never one of the per-connection ids (start seconds << 32 | n), whose top bit is clear.
        assertThat(PublisherIds.fromSession(1000, 0) & PublisherIds.SESSION_BIT).isNotZero();
        assertThat(PublisherIds.fromSession(1000, session) & PublisherIds.SESSION_BIT).isNotZero();
    }

    /**
     * End to end, as root: the same session id sent from uid 65534 (a Python client under setpriv) gets another
     * publisher id than from this uid, so it cannot continue this uid's sequence.
     */
    @Test
    @EnabledIf("canSwitchUser")
    void theSameSessionFromAnotherUidGetsAnotherPublisherId() throws Exception
    {
        final String socket = "@seqbus-session-test-" + ProcessHandle.current().pid();
        final long session = 0x0123456789ABCDEFL;
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            RawClient mine = new RawClient(socket))
        {
            final long myId = helloSession(mine, session, 1);
            final String script = String.join("\n",
                "import socket, sys",
                "sys.path.insert(0, sys.argv[1])",
                "import seqbus",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
                "s.connect('\\0' + sys.argv[2][1:])",
                "s.send(seqbus.encode_hello('other', session_id=int(sys.argv[3]), next_sequence=500))",
                "w = seqbus.decode_datagram(s.recv(65536))[0]",
                "print(w.publisher_id)");
            final Process python = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", script, Path.of("..", "examples", "python").toAbsolutePath().toString(), socket,
                Long.toString(session)).redirectErrorStream(true).start();
            final String out = new String(python.getInputStream().readAllBytes()).trim();
            assertThat(python.waitFor()).as(out).isZero();
            final long otherId = Long.parseUnsignedLong(out);
            assertThat(otherId).isEqualTo(PublisherIds.fromSession(65534, session));
            assertThat(otherId).isNotEqualTo(myId);
        }
    }

    static boolean canSwitchUser()
    {
        return "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/setpriv")) &&
            Files.isExecutable(Path.of("/usr/bin/python3"));
    }

    @Test
    void theSessionKeepsItsIdAndSequenceAcrossReconnectsAndRestarts() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final long session = 0x0123456789ABCDEFL;
        final int uid = (Integer)java.nio.file.Files.getAttribute(dir, "unix:uid");
        long firstId;
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            RawClient sub = new RawClient(socket).hello();
            RawClient pub = new RawClient(socket))
        {
            sub.send(Frames.concat(Frames.subscribe(1, "s.>"), Frames.ping(1)));
            sub.receive(5_000);
            firstId = helloSession(pub, session, 7);
            assertThat(firstId).isEqualTo(PublisherIds.fromSession(uid, session));
            pub.send(Frames.publish("s.a", "x"));
            assertThat(deliveredSequence(sub, firstId)).isEqualTo(7);
        }
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            RawClient sub = new RawClient(socket).hello();
            RawClient pub = new RawClient(socket))
        {
            sub.send(Frames.concat(Frames.subscribe(1, "s.>"), Frames.ping(1)));
            sub.receive(5_000);
            assertThat(helloSession(pub, session, 8)).isEqualTo(firstId);
            pub.send(Frames.publish("s.a", "y"));
            assertThat(deliveredSequence(sub, firstId)).isEqualTo(8);
        }
    }

    @Test
    void aHelloWithoutSessionStillGetsAFreshIdFromOne() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            RawClient sub = new RawClient(socket).hello();
            RawClient pub = new RawClient(socket))
        {
            sub.send(Frames.concat(Frames.subscribe(1, "s.>"), Frames.ping(1)));
            sub.receive(5_000);
            pub.send(Frames.hello(1, 1, "old"));
            final byte[] welcome = pub.receive(5_000);
            final long id = ((WelcomeFrame)new WelcomeFrame().wrap(new UnsafeBuffer(welcome), 0)).publisherId();
            assertThat(id & PublisherIds.SESSION_BIT).isZero();
            pub.send(Frames.publish("s.a", "x"));
            assertThat(deliveredSequence(sub, id)).isEqualTo(1);
        }
    }

    private static long helloSession(final RawClient pub, final long session, final long next) throws IOException
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        pub.send(Arrays.copyOf(b.byteArray(), HelloFrame.encode(b, 0, 1, 1, "s", session, next)));
        final byte[] welcome = pub.receive(5_000);
        assertThat(welcome).isNotNull();
        assertThat(Protocol.frameType(new UnsafeBuffer(welcome), 0)).isEqualTo(FrameType.WELCOME);
        return ((WelcomeFrame)new WelcomeFrame().wrap(new UnsafeBuffer(welcome), 0)).publisherId();
    }

    private static long deliveredSequence(final RawClient sub, final long publisherId) throws IOException
    {
        final byte[] d = sub.receive(5_000);
        assertThat(d).isNotNull();
        final UnsafeBuffer buffer = new UnsafeBuffer(d);
        assertThat(Protocol.frameType(buffer, 0)).isIn(FrameType.DELIVER, FrameType.DELIVER_RUN);
        // DELIVER and DELIVER_RUN share the publisher and sequence offsets.
        final DeliverFrame deliver = (DeliverFrame)new DeliverFrame().wrap(buffer, 0);
        assertThat(deliver.publisherId()).isEqualTo(publisherId);
        return deliver.sequence();
    }
}

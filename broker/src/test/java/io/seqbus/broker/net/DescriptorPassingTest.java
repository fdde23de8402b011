package io.seqbus.broker.net;

import io.seqbus.broker.fanout.SharedDescriptors;
import io.seqbus.sys.LibC;
import io.seqbus.sys.ScmRights;
import io.seqbus.sys.SealedMemfd;
import io.seqbus.wire.BusSocket;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The riskiest mechanism of issue 14, on real SEQPACKET sockets (the broker's listener and accepted sockets read
 * through JNA, junixsocket channels as the clients): a publisher passes a sealed memfd with its datagram
 * (SCM_RIGHTS), the broker receives it with recvmsg, checks its seals and size, and passes it on the datagram of
 * each delivery; subscribers map byte-identical payloads. A control message too large for the broker's buffer is
 * detected (MSG_CTRUNC) and leaves nothing open; so do a peek and a plain recv. Leaks are counted in
 * /proc/self/fd: every descriptor these tests make names itself, so the count is exact whatever else the JVM
 * opens meanwhile.
 */
class DescriptorPassingTest
{
    private static final String NAME = "seqbus-fds-spike";

    @TempDir
    Path dir;

    private Listener listener;
    private final List<AFUNIXDatagramChannel> clients = new ArrayList<>();
    private final List<AFUNIXDatagramSocket> accepted = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
    private long openBefore;

    @BeforeEach
    void listen() throws IOException
    {
        // A leak fails the test that made it, not the ones after it in the same JVM.
        openBefore = openedByThisTest();
        listener = Listener.bind(dir.resolve("b.sock").toString(), 16);
    }

    @AfterEach
    void close() throws IOException
    {
        for (final AFUNIXDatagramChannel c : clients)
        {
            c.close();
        }
        for (final AFUNIXDatagramSocket s : accepted)
        {
            s.close();
        }
        listener.close();
    }

    @Test
    void aSealedMemfdGoesFromPublisherThroughTheBrokerToEverySubscriberByteIdentical() throws IOException
    {
        final Client publisher = connect();
        final List<Client> subscribers = List.of(connect(), connect(), connect());
        final byte[] payload = pattern(1_000_003);
        final int memfd = sealedMemfd(payload);

        send(publisher, "PUBLISH big", memfd);
        LibC.close(memfd); // the publisher lets go at once: the broker's copy keeps the bytes alive
        assertThat(leaked()).as("the one in flight is in the kernel, not in this process").isZero();

        final ScmRights scm = new ScmRights(16);
        assertThat(scm.receive(publisher.server.fd(), buffer.clear())).isEqualTo("PUBLISH big".length());
        assertThat(scm.isControlTruncated()).isFalse();
        assertThat(scm.descriptorCount()).isEqualTo(1);
        final SealedMemfd check = new SealedMemfd();
        assertThat(check.check(scm.descriptor(0), payload.length)).isEqualTo(SealedMemfd.Verdict.SEALED);

        final SharedDescriptors held = new SharedDescriptors(16, ScmRights::close);
        held.hold(new int[] {scm.descriptor(0)}, 1, payload.length);
        for (final Client s : subscribers)
        {
            held.retain(); // queued for s
        }
        assertThat(held.release()).as("the fan-out is done; deliveries still hold them").isFalse();
        for (final Client s : subscribers)
        {
            assertThat(scm.send(s.server.fd(), utf8("DELIVER big"), held.descriptors(), held.count()))
                .isEqualTo("DELIVER big".length());
            final boolean last = held.release(); // sent: the kernel holds its own reference now
            assertThat(last).isEqualTo(s == subscribers.get(subscribers.size() - 1));
        }
        assertThat(held.references()).isZero();
        assertThat(leaked()).as("the broker closed its copy once every subscriber had one").isZero();

        final long expected = crc(payload);
        for (final Client s : subscribers)
        {
            final FileDescriptor[] got = receive(s, "DELIVER big");
            assertThat(got).hasSize(1);
            try (FileInputStream in = new FileInputStream(got[0]))
            {
                final MappedByteBuffer mapped = in.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, payload.length);
                assertThat(crc(mapped)).isEqualTo(expected);
            }
        }
        assertThat(leaked()).isZero();
    }

    @Test
    void descriptorsTravelWithTheDatagramThatCarriesThemAndNoOther() throws IOException
    {
        final Client subscriber = connect();
        final ScmRights scm = new ScmRights(4);
        final int a = sealedMemfd(pattern(10));
        final int b = sealedMemfd(pattern(20));

        scm.send(subscriber.server.fd(), utf8("plain before"), null, 0);
        scm.send(subscriber.server.fd(), utf8("two attached"), new int[] {a, b}, 2);
        scm.send(subscriber.server.fd(), utf8("plain after"), null, 0);
        LibC.close(a);
        LibC.close(b);

        assertThat(receive(subscriber, "plain before")).isNullOrEmpty();
        final FileDescriptor[] two = receive(subscriber, "two attached");
        assertThat(two).hasSize(2);
        assertThat(sizeOf(two[0])).as("in the order attached").isEqualTo(10);
        assertThat(sizeOf(two[1])).isEqualTo(20);
        assertThat(receive(subscriber, "plain after")).isNullOrEmpty();
        closeAll(two);
        assertThat(leaked()).isZero();
    }

    @Test
    void theBrokerCanTellWhenASubscriberHasReadEverythingItWasSent() throws IOException
    {
        final Client subscriber = connect();
        final ScmRights scm = new ScmRights(4);
        final ByteBuffer scratch = ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.nativeOrder());
        assertThat(subscriber.server.unreadByPeer(scratch)).isZero();
        final int memfd = sealedMemfd(pattern(10));
        scm.send(subscriber.server.fd(), utf8("one"), new int[] {memfd}, 1);
        scm.send(subscriber.server.fd(), utf8("two"), null, 0);
        LibC.close(memfd);
        final long both = subscriber.server.unreadByPeer(scratch);
        assertThat(both).as("two datagrams unread").isPositive();
        closeAll(receive(subscriber, "one"));
        final long one = subscriber.server.unreadByPeer(scratch);
        assertThat(one).as("one left").isPositive().isLessThan(both);
        receive(subscriber, "two");
        assertThat(subscriber.server.unreadByPeer(scratch)).as("all read: the descriptors are the subscriber's")
            .isZero();
        assertThat(leaked()).isZero();
    }

    @Test
    void aSubscriberOutOfDescriptorsSeesMsgCtruncTheBrokerCannotAndNothingLeaks() throws Exception
    {
        // A real process with a low RLIMIT_NOFILE: the case the client library must report itself
        // (docs/design/descriptors.md, "RLIMIT_NOFILE"), since the broker's send succeeds.
        final Path socket = dir.resolve("b.sock");
        final Process python = new ProcessBuilder(
            Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3", "-c", """
                import os, resource, socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                s.connect(sys.argv[1])
                open_now = len(os.listdir("/proc/self/fd")) - 1
                resource.setrlimit(resource.RLIMIT_NOFILE, (open_now + 2, open_now + 2))
                print("ready", flush=True)
                data, ancillary, flags, _ = s.recvmsg(64, socket.CMSG_SPACE(4 * 8))
                fds = []
                for level, kind, payload in ancillary:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        fds += [int.from_bytes(payload[i:i + 4], "little") for i in range(0, len(payload), 4)]
                print(data.decode(), len(fds), bool(flags & socket.MSG_CTRUNC), flush=True)
                """, socket.toString()).redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(python.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            assertThat(out.readLine()).isEqualTo("ready");
            final AFUNIXDatagramSocket subscriber = listener.accept();
            assertThat(subscriber).as("connected before it said ready").isNotNull();
            accepted.add(subscriber);
            final int[] eight = new int[8];
            for (int i = 0; i < eight.length; i++)
            {
                eight[i] = sealedMemfd(pattern(i + 1));
            }
            final ScmRights scm = new ScmRights(8);
            assertThat(scm.send(SocketFd.fdOf(subscriber.getChannel()), utf8("eight"), eight, 8))
                .as("the broker's send succeeds: only the receiver can tell").isEqualTo(5);
            for (final int fd : eight)
            {
                LibC.close(fd);
            }
            assertThat(out.readLine()).isEqualTo("eight 2 True");
        }
        assertThat(python.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(leaked()).isZero();
    }

    @Test
    void aControlMessageTooLargeForTheBrokersBufferIsDetectedAndLeavesNothingOpen() throws IOException
    {
        final Client publisher = connect();
        final int[] four = {sealedMemfd(pattern(1)), sealedMemfd(pattern(2)), sealedMemfd(pattern(3)),
            sealedMemfd(pattern(4))};
        send(publisher, "four attached", four);
        for (final int fd : four)
        {
            LibC.close(fd);
        }

        final ScmRights sizedForTwo = new ScmRights(2);
        assertThat(sizedForTwo.receive(publisher.server.fd(), buffer.clear())).isEqualTo("four attached".length());
        assertThat(sizedForTwo.isControlTruncated()).as("MSG_CTRUNC").isTrue();
        assertThat(sizedForTwo.descriptorCount()).as("the two installed were closed at once").isZero();
        assertThat(leaked()).isZero();

        // The next datagram is read whole, as if nothing happened: the protocol refuses, the socket is fine.
        send(publisher, "next");
        assertThat(sizedForTwo.receive(publisher.server.fd(), buffer.clear())).isEqualTo(4);
        assertThat(sizedForTwo.isControlTruncated()).isFalse();
    }

    @Test
    void aPeekLeavesTheDescriptorsQueuedAndAPlainRecvDropsThemWithoutALeak() throws IOException
    {
        final Client publisher = connect();
        final int memfd = sealedMemfd(pattern(100));
        send(publisher, "peeked", memfd);
        send(publisher, "recv'd", memfd);
        LibC.close(memfd);

        // How the broker reads while publishers are held back (Reader.readWhileHeld): peek, then take.
        assertThat(publisher.server.peek(buffer.clear())).isEqualTo("peeked".length());
        assertThat(leaked()).as("a peek without a control buffer installs nothing").isZero();
        final ScmRights scm = new ScmRights(4);
        assertThat(scm.receive(publisher.server.fd(), buffer.clear())).isEqualTo("peeked".length());
        assertThat(scm.descriptorCount()).as("still there after the peek").isEqualTo(1);
        scm.closeReceived();

        // How the broker reads today (recv(2), no control buffer): the kernel closes them.
        assertThat(publisher.server.read(buffer.clear())).isEqualTo("recv'd".length());
        assertThat(leaked()).isZero();
    }

    @Test
    void onlyAMemfdWithAllFourSealsAndTheStatedSizePasses() throws IOException
    {
        final SealedMemfd check = new SealedMemfd();
        final byte[] bytes = pattern(4096);

        final int unsealed = memfd(bytes);
        assertThat(check.check(unsealed, bytes.length)).isEqualTo(SealedMemfd.Verdict.NOT_SEALED);

        final int threeSeals = memfd(bytes);
        seal(threeSeals, LibC.F_SEAL_WRITE | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW);
        assertThat(check.check(threeSeals, bytes.length)).as("no F_SEAL_SEAL: the seals could still change")
            .isEqualTo(SealedMemfd.Verdict.NOT_SEALED);

        final int sealed = sealedMemfd(bytes);
        assertThat(check.check(sealed, bytes.length + 1)).isEqualTo(SealedMemfd.Verdict.SIZE_MISMATCH);
        assertThat(check.lastSize()).isEqualTo(bytes.length);
        assertThat(check.check(sealed, bytes.length)).isEqualTo(SealedMemfd.Verdict.SEALED);

        final Path file = dir.resolve(NAME + ".file");
        Files.write(file, bytes);
        try (RandomAccessFile regular = new RandomAccessFile(file.toFile(), "r"))
        {
            assertThat(check.check(LibC.fd(regular.getFD()), bytes.length)).isEqualTo(SealedMemfd.Verdict.NOT_A_MEMFD);
        }
        final Client socket = connect();
        assertThat(check.check(socket.server.fd(), 0)).as("a socket").isEqualTo(SealedMemfd.Verdict.NOT_A_MEMFD);

        for (final int fd : new int[] {unsealed, threeSeals, sealed})
        {
            LibC.close(fd);
        }
        assertThat(leaked()).isZero();
    }

    @Test
    void afterSealingThePublisherCanNeitherWriteNorResizeNorMapForWriting() throws IOException
    {
        final byte[] bytes = pattern(8192);
        final int fd = sealedMemfd(bytes);
        final ByteBuffer one = ByteBuffer.allocateDirect(1);
        assertThat(LibC.write(fd, BufferUtil.address(one), 1)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(LibC.EPERM);
        assertThat(LibC.ftruncate(fd, 0)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(LibC.EPERM);
        assertThat(LibC.ftruncate(fd, bytes.length * 2L)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(LibC.EPERM);
        assertThat(LibC.fcntl(fd, LibC.F_ADD_SEALS, 0)).as("F_SEAL_SEAL: no more seal changes").isEqualTo(-1);
        try (RandomAccessFile rw = new RandomAccessFile("/proc/self/fd/" + fd, "rw"))
        {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> rw.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes.length)))
                .as("a writable shared mapping is refused").isInstanceOf(IOException.class);
        }
        LibC.close(fd);
        assertThat(leaked()).isZero();
    }

    @Test
    void tenThousandDescriptorMessagesToTwoSubscribersLeaveTheCountWhereItStarted() throws IOException
    {
        final Client publisher = connect();
        final List<Client> subscribers = List.of(connect(), connect());
        final ScmRights scm = new ScmRights(4);
        final SealedMemfd check = new SealedMemfd();
        final SharedDescriptors held = new SharedDescriptors(4, ScmRights::close);
        final int before = openDescriptors();
        for (int i = 0; i < 10_000; i++)
        {
            final int memfd = sealedMemfd(pattern(64));
            send(publisher, "p", memfd);
            LibC.close(memfd);
            assertThat(scm.receive(publisher.server.fd(), buffer.clear())).isEqualTo(1);
            assertThat(check.check(scm.descriptor(0), 64)).isEqualTo(SealedMemfd.Verdict.SEALED);
            held.hold(new int[] {scm.descriptor(0)}, 1, 64);
            for (final Client s : subscribers)
            {
                held.retain();
                scm.send(s.server.fd(), utf8("d"), held.descriptors(), held.count());
                held.release();
            }
            held.release();
            for (final Client s : subscribers)
            {
                closeAll(receive(s, "d"));
            }
        }
        assertThat(leaked()).isZero();
        assertThat(openDescriptors()).as("/proc/self/fd before and after").isEqualTo(before);
    }

    // --- the fixture: real sockets, descriptors named so that a leak can be counted -----------------------------

    /** A client's junixsocket channel and the broker's side of the same connection. */
    private record Client(AFUNIXDatagramChannel channel, SocketFd server)
    {
    }

    private Client connect() throws IOException
    {
        final AFUNIXDatagramChannel channel = BusSocket.open();
        clients.add(channel);
        channel.connect(AFUNIXSocketAddress.of(dir.resolve("b.sock")));
        // junixsocket drops passed descriptors silently without a receive buffer for them (TESTING.md).
        channel.socket().setAncillaryReceiveBufferSize(1024);
        final AFUNIXDatagramSocket socket = listener.accept();
        assertThat(socket).isNotNull();
        accepted.add(socket);
        return new Client(channel, new SocketFd(SocketFd.fdOf(socket.getChannel()), socket.getChannel()));
    }

    private static void send(final Client from, final String text, final int... fds) throws IOException
    {
        final FileDescriptor[] attached = new FileDescriptor[fds.length];
        for (int i = 0; i < fds.length; i++)
        {
            attached[i] = FileDescriptorCast.unsafeUsing(fds[i]).getFileDescriptor();
        }
        if (attached.length > 0)
        {
            from.channel.setOutboundFileDescriptors(attached);
        }
        assertThat(from.channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)))).isEqualTo(text.length());
    }

    private static FileDescriptor[] receive(final Client to, final String expected) throws IOException
    {
        final ByteBuffer dst = ByteBuffer.allocate(4096);
        assertThat(to.channel.read(dst)).isEqualTo(expected.length());
        assertThat(new String(dst.array(), 0, dst.position(), StandardCharsets.UTF_8)).isEqualTo(expected);
        return to.channel.getReceivedFileDescriptors();
    }

    private static int memfd(final byte[] bytes)
    {
        final int fd = LibC.memfd_create(NAME, LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        assertThat(fd).as("memfd_create").isNotNegative();
        final ByteBuffer b = ByteBuffer.allocateDirect(Math.max(1, bytes.length));
        b.put(bytes);
        long at = 0;
        while (at < bytes.length)
        {
            final long n = LibC.write(fd, BufferUtil.address(b) + at, bytes.length - at);
            assertThat(n).as("write").isPositive();
            at += n;
        }
        return fd;
    }

    private static int sealedMemfd(final byte[] bytes)
    {
        final int fd = memfd(bytes);
        seal(fd, SealedMemfd.ALL_SEALS);
        return fd;
    }

    private static void seal(final int fd, final int seals)
    {
        assertThat(LibC.fcntl(fd, LibC.F_ADD_SEALS, seals)).as("F_ADD_SEALS").isZero();
    }

    private static long sizeOf(final FileDescriptor fd) throws IOException
    {
        return new FileInputStream(fd).getChannel().size();
    }

    private static void closeAll(final FileDescriptor[] fds) throws IOException
    {
        if (fds != null)
        {
            for (final FileDescriptor fd : fds)
            {
                new FileInputStream(fd).close();
            }
        }
    }

    /** @return descriptors of this process pointing at a memfd or file these tests made, opened by this test. */
    private long leaked() throws IOException
    {
        return openedByThisTest() - openBefore;
    }

    /** @return descriptors of this process that point at a memfd or file these tests made. */
    private static long openedByThisTest() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.map(DescriptorPassingTest::target).filter(t -> t.contains(NAME)).count();
        }
    }

    private static int openDescriptors() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return (int)fds.count();
        }
    }

    private static String target(final Path link)
    {
        try
        {
            return Files.readSymbolicLink(link).toString();
        }
        catch (final IOException gone)
        {
            return ""; // closed meanwhile (the listing's own descriptor, say)
        }
    }

    private static ByteBuffer utf8(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static byte[] pattern(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + (i >>> 8));
        }
        return bytes;
    }

    private static long crc(final byte[] bytes)
    {
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    private static long crc(final ByteBuffer bytes)
    {
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}

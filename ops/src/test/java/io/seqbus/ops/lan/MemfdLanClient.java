package io.seqbus.ops.lan;

import io.seqbus.sys.LibC;
import io.seqbus.sys.Mapping;
import io.seqbus.sys.Memfd;
import io.seqbus.sys.ScmRights;
import io.seqbus.wire.BusSocket;
import io.seqbus.wire.DeliverFdsFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFdsFrame;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.SubscribeFrame;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

/**
 * A raw client for {@code LanMemfdIT} that passes and receives memfd payloads with SCM_RIGHTS (module sys), run in a
 * network namespace with {@code ip netns exec}. One line per event on stdout.
 * <pre>
 * sub SOCKET END_TOPIC PATTERN   READY once subscribed; "D sequence topic size crc" per inline message, "M sequence
 *                                topic size crc seals" per memfd payload, "G count reason" per GAP; exits at END_TOPIC
 * pub SOCKET ROUNDS SIZE         per round: a small message on shared.small, a SIZE-byte memfd payload on shared.big
 *                                ("P size crc"); then SIZE + 1 bytes, a memfd plus a plain descriptor, and a plain
 *                                descriptor alone, all on shared.big ("E code" for each refusal); then shared.end
 * </pre>
 */
public final class MemfdLanClient
{
    private static final int MAX_DESCRIPTORS = 64;
    /** The largest datagram a broker may send (SPEC.md, Transport). */
    private static final int MAX_DATAGRAM = 196_608;

    private final AFUNIXDatagramChannel channel;
    private final int fd;
    private final ScmRights rights = new ScmRights(MAX_DESCRIPTORS);
    private final ByteBuffer in = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final UnsafeBuffer inView = new UnsafeBuffer(0, 0);
    private final ByteBuffer outBytes = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final UnsafeBuffer out = new UnsafeBuffer(outBytes);
    private final PrintStream print = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private MemfdLanClient(final String socket) throws IOException
    {
        channel = BusSocket.open();
        channel.connect(BusSocket.address(socket));
        fd = LibC.fd(channel.getFileDescriptor());
        final int n = HelloFrame.encode(out, 0, 1, 1, HelloFrame.FLAG_DESCRIPTORS, "memfd-lan", 0, 0);
        send(n, new int[0], 0);
        final int length = receive();
        if (Protocol.frameType(inView, 0) != FrameType.WELCOME)
        {
            throw new IOException("no WELCOME but " + FrameType.name(Protocol.frameType(inView, 0)) + " of " + length);
        }
    }

    /**
     * @param args see the class comment.
     * @throws Exception on failure; the exit code is then not 0.
     */
    public static void main(final String[] args) throws Exception
    {
        final MemfdLanClient client = new MemfdLanClient(args[1]);
        if ("sub".equals(args[0]))
        {
            client.sub(args[2], args[3]);
        }
        else
        {
            client.pub(Integer.parseInt(args[2]), Long.parseLong(args[3]));
        }
        System.exit(0);
    }

    private void sub(final String endTopic, final String pattern) throws IOException
    {
        int n = SubscribeFrame.encode(out, 0, 1, 1, 0, pattern);
        n += PingFrame.encode(out, n, FrameType.PING, 1);
        send(n, new int[0], 0);
        while (true)
        {
            final int length = receive();
            int nextFd = 0;
            for (int at = 0; at < length; at += Protocol.frameLength(inView, at))
            {
                final int type = Protocol.frameType(inView, at);
                if (type == FrameType.PONG)
                {
                    print.println("READY");
                }
                else if (type == FrameType.DELIVER)
                {
                    final DeliverFrame d = (DeliverFrame)new DeliverFrame().wrap(inView, at);
                    print.println("D " + d.sequence() + " " + d.topic() + " " + d.payloadLength() + " " +
                        crc(inView, d.payloadIndex(), d.payloadLength()));
                    if (d.topic().equals(endTopic))
                    {
                        rights.closeReceived();
                        return;
                    }
                }
                else if (type == FrameType.DELIVER_RUN)
                {
                    final DeliverRunFrame r = (DeliverRunFrame)new DeliverRunFrame().wrap(inView, at);
                    int entry = r.firstEntryIndex();
                    for (int i = 0; i < r.count(); i++)
                    {
                        final int size = inView.getInt(entry, Protocol.BYTE_ORDER);
                        print.println("D " + (r.firstSequence() + i) + " " + r.topic() + " " + size + " " +
                            crc(inView, entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, size));
                        entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + size;
                    }
                    if (r.topic().equals(endTopic))
                    {
                        rights.closeReceived();
                        return;
                    }
                }
                else if (type == FrameType.DELIVER_FDS)
                {
                    final DeliverFdsFrame d = (DeliverFdsFrame)new DeliverFdsFrame().wrap(inView, at);
                    final int memfd = rights.descriptor(nextFd);
                    nextFd += d.fdCount();
                    final long crc;
                    try (Mapping mapping = Mapping.readOnly(memfd, d.payloadSize()))
                    {
                        final CRC32 c = new CRC32();
                        c.update(mapping.buffer());
                        crc = c.getValue();
                    }
                    final int seals = LibC.fcntl(memfd, LibC.F_GET_SEALS, 0);
                    print.println("M " + d.sequence() + " " + d.topic() + " " + d.payloadSize() + " " + crc + " " +
                        seals);
                }
                else if (type == FrameType.GAP)
                {
                    final GapFrame g = (GapFrame)new GapFrame().wrap(inView, at);
                    print.println("G " + g.count() + " " + g.reason());
                }
                else if (type == FrameType.ERROR)
                {
                    final ErrorFrame e = (ErrorFrame)new ErrorFrame().wrap(inView, at);
                    print.println("E " + e.code() + " " + e.reason());
                }
            }
            rights.closeReceived();
        }
    }

    private void pub(final int rounds, final long size) throws IOException
    {
        final UnsafeBuffer topic = new UnsafeBuffer(new byte[64]);
        for (int i = 1; i <= rounds; i++)
        {
            final byte[] small = ("small " + i).getBytes(StandardCharsets.US_ASCII);
            final int t = topic.putStringWithoutLengthAscii(0, "shared.small");
            send(PublishFrame.encode(out, 0, topic, 0, t, small, 0, small.length), new int[0], 0);
            final byte[] bytes = new byte[(int)size];
            new Random(i).nextBytes(bytes);
            publishMemfd(bytes, -1);
            print.println("P " + size + " " + crc(bytes));
        }
        publishMemfd(new byte[(int)size + 1], -1);
        expectError();
        try (java.io.FileInputStream plain = new java.io.FileInputStream("/dev/null"))
        {
            // A descriptor that is not a memfd, beside a payload, then alone.
            final int other = LibC.fd(plain.getFD());
            publishMemfd(new byte[16], other);
            expectError();
            final int t = topic.putStringWithoutLengthAscii(0, "shared.big");
            send(PublishFdsFrame.encode(out, 0, topic, 0, t, 1, 0, 0, topic, 0, 0), new int[] {other}, 1);
            expectError();
        }
        final int e = topic.putStringWithoutLengthAscii(0, "shared.end");
        send(PublishFrame.encode(out, 0, topic, 0, e, new byte[] {'.'}, 0, 1), new int[0], 0);
        // A PING answered: every publish before it was handled.
        send(PingFrame.encode(out, 0, FrameType.PING, 2), new int[0], 0);
        while (Protocol.frameType(inView, 0) != FrameType.PONG)
        {
            receive();
        }
    }

    private void publishMemfd(final byte[] bytes, final int extraFd) throws IOException
    {
        try (Memfd memfd = Memfd.create("lan-memfd-it", bytes.length))
        {
            memfd.write(0, ByteBuffer.wrap(bytes));
            memfd.seal();
            final int n = PublishFdsFrame.encodeMemfd(out, 0, "shared.big", extraFd < 0 ? 1 : 2, bytes.length);
            send(n, new int[] {memfd.fd(), extraFd}, extraFd < 0 ? 1 : 2);
        }
    }

    private void expectError() throws IOException
    {
        final int length = receive();
        for (int at = 0; at < length; at += Protocol.frameLength(inView, at))
        {
            if (Protocol.frameType(inView, at) == FrameType.ERROR)
            {
                final ErrorFrame e = (ErrorFrame)new ErrorFrame().wrap(inView, at);
                print.println("E " + e.code() + " " + e.reason());
                return;
            }
        }
        throw new IOException("expected an ERROR, got " + FrameType.name(Protocol.frameType(inView, 0)));
    }

    private void send(final int length, final int[] fds, final int count) throws IOException
    {
        outBytes.clear().limit(length);
        while (rights.send(fd, outBytes, fds, count) == 0)
        {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    private int receive() throws IOException
    {
        while (true)
        {
            in.clear();
            final int n = rights.receive(fd, in);
            if (n < 0)
            {
                throw new IOException("the broker closed the connection");
            }
            if (n > 0)
            {
                inView.wrap(BufferUtil.address(in), n);
                return n;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    private static long crc(final byte[] bytes)
    {
        final CRC32 c = new CRC32();
        c.update(bytes);
        return c.getValue();
    }

    private static long crc(final UnsafeBuffer buffer, final int index, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(index, bytes);
        return crc(bytes);
    }
}

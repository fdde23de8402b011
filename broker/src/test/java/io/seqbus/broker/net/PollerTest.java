package io.seqbus.broker.net;

import io.seqbus.wire.BusSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent's epoll and its direct reads and writes, on real SEQPACKET sockets: what is ready is
 * reported with its attachment, a hang-up whatever the interest, a full queue as a 0-byte write
 * until the peer reads; reads tell "nothing yet" (0) from "hung up" (-1); and none of it allocates.
 */
class PollerTest
{
    @TempDir
    Path dir;

    private Listener listener;
    private Poller poller;
    private AFUNIXDatagramChannel client;
    private AFUNIXDatagramSocket accepted;
    private SocketFd server;

    @BeforeEach
    void connect() throws IOException
    {
        final String path = dir.resolve("p.sock").toString();
        listener = Listener.bind(path, 4);
        poller = new Poller();
        poller.register(SocketFd.fdOf(listener.channel()), Poller.READ, listener);
        client = BusSocket.open();
        client.connect(AFUNIXSocketAddress.of(Path.of(path)));
        assertThat(poller.poll(5_000)).as("the listener is ready to accept").isEqualTo(1);
        assertThat(poller.attachment(0)).isSameAs(listener);
        accepted = listener.accept();
        assertThat(accepted).isNotNull();
        server = new SocketFd(SocketFd.fdOf(accepted.getChannel()), accepted.getChannel());
    }

    @AfterEach
    void close() throws IOException
    {
        poller.close();
        client.close();
        accepted.close();
        listener.close();
    }

    @Test
    void aReadySocketIsReportedWithItsAttachmentAndReadsOneDatagramAtATime() throws IOException
    {
        poller.register(server.fd(), Poller.READ, "the server side");
        assertThat(poller.poll(0)).as("nothing sent yet").isZero();
        final ByteBuffer dst = ByteBuffer.allocateDirect(64);
        assertThat(server.read(dst)).as("nothing waiting").isZero();
        send("one");
        assertThat(server.read(dst.limit(0))).as("no room is not end of stream").isZero();
        dst.clear();
        assertThat(read(dst)).isEqualTo("one");

        send("two");
        send("three");
        assertThat(poller.poll(5_000)).isEqualTo(1);
        assertThat(poller.attachment(0)).isEqualTo("the server side");
        assertThat(poller.events(0) & Poller.READ).isEqualTo(Poller.READ);
        assertThat(poller.events(0) & Poller.HANG_UP).isZero();

        assertThat(read(dst)).isEqualTo("two");
        assertThat(read(dst)).isEqualTo("three");
        assertThat(server.read(dst.clear())).isZero();
        assertThat(poller.poll(0)).as("level-triggered: nothing left, nothing reported").isZero();
    }

    @Test
    void anEventOfASocketThatLeftDoesNotReachTheNextOneUnderTheSameNumber() throws IOException
    {
        poller.register(server.fd(), Poller.READ, "the first");
        send("for the first");
        assertThat(poller.poll(5_000)).isEqualTo(1);
        // Before the batch is served, the socket goes and its fd number comes back with a new registration,
        // as when one connection closes and the next accept reuses its number within one duty cycle.
        poller.deregister(server.fd());
        poller.register(server.fd(), Poller.READ, "the next");
        assertThat(poller.attachment(0)).as("a stale event").isNull();
        assertThat(poller.poll(5_000)).isEqualTo(1);
        assertThat(poller.attachment(0)).isEqualTo("the next");
    }

    @Test
    void aDatagramLongerThanTheBufferIsCutNotSplit() throws IOException
    {
        send("0123456789");
        send("next");
        final ByteBuffer dst = ByteBuffer.allocateDirect(4);
        assertThat(server.read(dst)).isEqualTo(4);
        dst.clear();
        assertThat(server.read(dst)).as("the rest of the long one is gone; the next is whole").isEqualTo(4);
        dst.flip();
        assertThat(StandardCharsets.US_ASCII.decode(dst).toString()).isEqualTo("next");
    }

    @Test
    void aHangUpIsReportedWhateverTheInterestAndReadsAsEndOfStreamAfterWhatWasSent() throws IOException
    {
        poller.register(server.fd(), 0, "quiet");
        send("last words");
        client.close();
        assertThat(poller.poll(5_000)).isEqualTo(1);
        assertThat(poller.events(0) & Poller.HANG_UP).isNotZero();

        final ByteBuffer dst = ByteBuffer.allocateDirect(64);
        assertThat(read(dst)).as("what the peer sent before it went").isEqualTo("last words");
        assertThat(server.read(dst.clear())).as("then the end of the stream").isEqualTo(-1);

        poller.deregister(server.fd());
        assertThat(poller.poll(0)).as("no longer watched").isZero();
        assertThat(poller.registered()).isEqualTo(1);
    }

    @Test
    void aFullQueueTakesNothingUntilThePeerReadsThenWriteInterestFires() throws IOException
    {
        final ByteBuffer src = ByteBuffer.allocateDirect(1024);
        int sent = 0;
        while (true)
        {
            src.clear();
            final int n = server.write(src);
            if (n == 0)
            {
                break;
            }
            assertThat(n).isEqualTo(1024);
            sent++;
        }
        assertThat(sent).as("datagrams the kernel queued before it was full").isPositive();
        assertThat(src.remaining()).as("a refused datagram is left whole").isEqualTo(1024);

        poller.register(server.fd(), Poller.WRITE, "blocked");
        assertThat(poller.poll(0)).as("still full").isZero();

        final ByteBuffer sink = ByteBuffer.allocate(2048);
        for (int i = 0; i < sent; i++)
        {
            sink.clear();
            assertThat(client.read(sink)).isEqualTo(1024);
        }
        assertThat(poller.poll(5_000)).isEqualTo(1);
        assertThat(poller.events(0) & Poller.WRITE).isEqualTo(Poller.WRITE);

        poller.interest(server.fd(), Poller.READ);
        assertThat(poller.poll(0)).as("writable, but only reads are asked for now").isZero();
    }

    @Test
    void writingToAPeerThatHungUpFailsInTheKernelsWordsAndTheProcessLives() throws IOException
    {
        client.close();
        final ByteBuffer src = ByteBuffer.allocateDirect(16);
        assertThatThrownBy(() -> server.write(src))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("send, errno 32")
            .hasMessageContaining("Broken pipe");
    }

    @Test
    void heapBuffersAreRefused()
    {
        assertThatThrownBy(() -> server.read(ByteBuffer.allocate(8)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("direct buffers only");
    }

    @Test
    void wakeupEndsAWaitFromAnotherThread() throws Exception
    {
        final CompletableFuture<Integer> waited = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return poller.poll(60_000);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        // Either order works: a wake-up before the wait makes the wait return at once.
        poller.wakeup();
        assertThat(waited.get(10, TimeUnit.SECONDS)).as("woken, with nothing ready").isZero();
        assertThat(poller.poll(0)).as("the wake-up was consumed").isZero();
    }

    @Test
    void pollingReadingAndWritingAllocateNothing() throws IOException
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
        poller.register(server.fd(), Poller.READ, "echo");
        final ByteBuffer buffer = ByteBuffer.allocateDirect(64);
        final ByteBuffer clientBuffer = ByteBuffer.allocateDirect(64);

        long sink = roundTrips(buffer, clientBuffer, 20_000);
        final long threadId = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        sink += roundTrips(buffer, clientBuffer, 20_000);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertThat(sink).isPositive();
        assertThat(allocated).as("bytes allocated by 20,000 polls, reads and writes").isLessThan(1024);
    }

    /** Each round: poll, read (nothing), send from the client's side via the server fd's peer, read it back. */
    private long roundTrips(final ByteBuffer buffer, final ByteBuffer clientBuffer, final int rounds)
        throws IOException
    {
        final SocketFd clientFd = new SocketFd(SocketFd.fdOf(client), client);
        long sink = 0;
        for (int i = 0; i < rounds; i++)
        {
            buffer.clear();
            sink += server.read(buffer);
            clientBuffer.clear().limit(32);
            sink += clientFd.write(clientBuffer);
            sink += poller.poll(0);
            buffer.clear();
            sink += server.read(buffer);
        }
        return sink;
    }

    private void send(final String text) throws IOException
    {
        client.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private String read(final ByteBuffer dst) throws IOException
    {
        dst.clear();
        final int n = server.read(dst);
        assertThat(n).isPositive();
        dst.flip();
        return StandardCharsets.US_ASCII.decode(dst).toString();
    }
}

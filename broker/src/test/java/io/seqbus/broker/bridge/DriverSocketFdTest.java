package io.seqbus.broker.bridge;

import io.seqbus.sys.LibC;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DriverSocketFdTest
{
    @Test
    void theNumberIsTheChannelsSocketAndPollSeesItsDatagrams() throws Exception
    {
        final InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (DatagramChannel receiver = DatagramChannel.open().bind(any);
            DatagramChannel sender = DatagramChannel.open())
        {
            receiver.configureBlocking(false);
            final int fd = DriverSocketFd.of(receiver);
            assertThat(fd).isPositive();
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString()).startsWith("socket:[");
            assertThat(pollIn(fd)).as("nothing sent yet").isFalse();

            sender.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), receiver.getLocalAddress());

            assertThat(pollIn(fd)).isTrue();
            assertThat(receiver.receive(ByteBuffer.allocate(8))).isNotNull();
            assertThat(pollIn(fd)).as("read by the channel").isFalse();
        }
    }

    @Test
    void aClosedChannelHasNoNumber() throws Exception
    {
        final DatagramChannel channel = DatagramChannel.open();
        channel.close();
        assertThat(DriverSocketFd.of(channel)).isEqualTo(-1);
    }

    private static boolean pollIn(final int fd)
    {
        final UnsafeBuffer pollfd = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
        pollfd.putInt(0, fd);
        pollfd.putShort(4, (short)LibC.POLLIN);
        final int n = LibC.poll(pollfd.addressOffset(), 1, 100);
        return n == 1 && (pollfd.getShort(6) & LibC.POLLIN) != 0;
    }
}

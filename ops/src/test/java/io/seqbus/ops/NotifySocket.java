package io.seqbus.ops;

import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for systemd's {@code NOTIFY_SOCKET}: a bound AF_UNIX datagram socket that records
 * every sd_notify message in arrival order.
 */
final class NotifySocket implements AutoCloseable
{
    private final AFUNIXDatagramChannel channel;
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final Thread reader;

    NotifySocket(final Path path) throws IOException
    {
        channel = AFUNIXDatagramChannel.open();
        channel.bind(AFUNIXSocketAddress.of(path));
        reader = new Thread(this::read, "notify-socket");
        reader.setDaemon(true);
        reader.start();
    }

    private void read()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(4096);
        try
        {
            while (true)
            {
                buffer.clear();
                channel.receive(buffer);
                buffer.flip();
                messages.add(StandardCharsets.UTF_8.decode(buffer).toString());
            }
        }
        catch (final IOException ex)
        {
            // closed: the test is over
        }
    }

    /** @return every message so far. */
    List<String> messages()
    {
        return List.copyOf(messages);
    }

    /** @return the first assignment of each message that is one of READY, WATCHDOG, STOPPING, in order. */
    List<String> lifecycle()
    {
        return messages.stream()
            .flatMap((m) -> m.lines().limit(1))
            .filter((line) -> line.equals("READY=1") || line.equals("WATCHDOG=1") || line.equals("STOPPING=1"))
            .toList();
    }

    long count(final String line)
    {
        return lifecycle().stream().filter(line::equals).count();
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}

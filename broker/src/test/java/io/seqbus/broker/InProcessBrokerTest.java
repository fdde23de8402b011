package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A broker in this JVM on a temporary socket, and the clients a test opens against it, all
 * closed after each test, newest first.
 */
abstract class InProcessBrokerTest
{
    @TempDir
    Path dir;

    final List<AutoCloseable> open = new ArrayList<>();
    Broker broker;
    String socket;

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = open.size() - 1; i >= 0; i--)
        {
            open.get(i).close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    void start(final BrokerContext context) throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(context.socket(socket));
    }

    <T extends AutoCloseable> T open(final T closeable)
    {
        open.add(closeable);
        return closeable;
    }

    long counter(final int counter)
    {
        return broker.counters().get(counter);
    }
}

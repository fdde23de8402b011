package io.seqbus.broker;

import io.seqbus.broker.net.Listener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Binding: a stale socket file is replaced, a live one is not, abstract names work, and the
 * file goes away on a clean stop.
 */
class ListenerTest
{
    @TempDir
    Path dir;

    @Test
    void refusesToStartOverALiveBroker() throws IOException
    {
        final String socket = dir.resolve("live.sock").toString();
        try (Broker first = Broker.launch(new Broker.Context().socket(socket)))
        {
            assertThatThrownBy(() -> Broker.launch(new Broker.Context().socket(socket)))
                .isInstanceOf(IOException.class)
                .hasMessage("socket " + socket + " is in use by a running broker");
            try (RawClient c = new RawClient(socket).hello())
            {
                assertThat(c.isClosedByBroker()).as("the first broker still serves").isFalse();
            }
        }
    }

    @Test
    void replacesTheStaleFileOfADeadBroker() throws IOException
    {
        final String socket = dir.resolve("stale.sock").toString();
        // A socket file nobody listens on, as a broker killed with SIGKILL leaves behind.
        final Listener dead = Listener.bind(socket, 1);
        dead.channel().close();
        assertThat(Files.exists(Path.of(socket))).isTrue();
        try (Broker broker = Broker.launch(new Broker.Context().socket(socket));
            RawClient c = new RawClient(socket).hello())
        {
            assertThat(broker.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED)).isEqualTo(1);
        }
        assertThat(Files.exists(Path.of(socket))).as("removed on a clean stop").isFalse();
    }

    @Test
    void refusesToReplaceAFileThatIsNotASocket() throws IOException
    {
        final Path file = dir.resolve("precious.txt");
        Files.writeString(file, "data");
        assertThatThrownBy(() -> Broker.launch(new Broker.Context().socket(file.toString())))
            .hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(file)).isEqualTo("data");
    }

    @Test
    void servesAnAbstractName() throws IOException
    {
        final String socket = "@seqbus-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (Broker broker = Broker.launch(new Broker.Context().socket(socket)))
        {
            assertThatThrownBy(() -> Broker.launch(new Broker.Context().socket(socket)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot listen on " + socket);
            try (RawClient c = new RawClient(socket).hello())
            {
                assertThat(c.isClosedByBroker()).isFalse();
            }
        }
    }

    @Test
    void createsAMissingFolderForTheSocket() throws IOException
    {
        final String socket = dir.resolve("sub/dir/bus.sock").toString();
        try (Broker broker = Broker.launch(new Broker.Context().socket(socket));
            RawClient c = new RawClient(socket).hello())
        {
            assertThat(Files.isDirectory(dir.resolve("sub/dir"))).isTrue();
        }
    }
}

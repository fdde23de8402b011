package io.seqbus.client;

import io.seqbus.client.ScriptedBroker.Peer;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.FrameType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client and the per-user folder of the default socket: it connects there only when the folder is
 * its user's own and closed to others, so a fake broker in a folder another user made first never hears
 * from it. Folders of other uids need chown: run as root, as CI does; fails loudly otherwise.
 */
class DefaultSocketFolderTest
{
    @TempDir
    Path dir;

    @Test
    void refusesAFolderSquattedByAnotherUserAndNeverReachesTheFakeBroker() throws Exception
    {
        assertThat(DefaultSocket.uid()).as("this test chowns a folder to another uid: run it as root").isZero();
        final Path runtime = Files.createDirectory(dir.resolve("runtime"));
        final Path squatted = Files.createDirectory(runtime.resolve("seqbus"));
        Files.setAttribute(squatted, "unix:uid", 61002);
        Files.setAttribute(squatted, "unix:mode", 0777);
        final Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString());
        try (ScriptedBroker fake = new ScriptedBroker(squatted.resolve("seqbus.sock")))
        {
            final ClientOptions options = new ClientOptions().defaultSocket(env, 0).connectTimeout(Duration.ofSeconds(2));
            assertThat(options.socket()).isEqualTo(fake.socket());
            assertThatThrownBy(() -> BusClient.connect(options))
                .isInstanceOf(BusException.class)
                .hasMessage("will not connect to the seqbus broker at " + fake.socket() + ": refusing " + squatted +
                    ": a directory owned by uid 61002, mode 0777; it must be a directory of uid 0 closed to writing by " +
                    "group and others (remove it, or set SEQBUS_SOCKET)");
            // Given explicitly, the same socket is the caller's choice: connected, as before.
            try (BusClient explicit = connect(fake, new ClientOptions().socket(fake.socket())))
            {
                assertThat(explicit.isConnected()).isTrue();
            }
        }
    }

    @Test
    void connectsThroughTheUsersOwnFolder() throws Exception
    {
        final Path runtime = Files.createDirectory(dir.resolve("runtime"));
        final Path folder = Files.createDirectory(runtime.resolve("seqbus"));
        Files.setAttribute(folder, "unix:mode", 0700);
        final Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString());
        try (ScriptedBroker broker = new ScriptedBroker(folder.resolve("seqbus.sock"));
            BusClient client = connect(broker, new ClientOptions().defaultSocket(env, DefaultSocket.uid())))
        {
            assertThat(client.socket()).isEqualTo(folder.resolve("seqbus.sock").toString());
        }
    }

    private static BusClient connect(final ScriptedBroker broker, final ClientOptions options) throws Exception
    {
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() ->
            BusClient.connect(options.threadMode(ThreadMode.DEDICATED)));
        final Peer peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        return connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
}

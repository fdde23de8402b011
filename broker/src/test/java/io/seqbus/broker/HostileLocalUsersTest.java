package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import io.seqbus.wire.DefaultSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Other local users against the socket, end to end: the Python example client run under uids of its own
 * with {@code setpriv}, as a user whose default folder another user made first, and as users the socket
 * file's mode and group let in or not. Needs root (setpriv, chown), as CI has; fails loudly otherwise.
 */
class HostileLocalUsersTest
{
    private static final Path EXAMPLES = Path.of("..", "examples", "python").toAbsolutePath().normalize();
    private static final int USER = 61011;
    private static final int SQUATTER = 61012;

    @TempDir
    Path dir;

    @Test
    void aUsersClientRefusesTheDefaultFolderAnotherUserMadeFirst() throws Exception
    {
        requireRoot();
        // uid 61012 made /tmp/seqbus-61011 first, open to all, and runs a "broker" there.
        final Path squatted = Path.of("/tmp/seqbus-" + USER);
        removeTree(squatted);
        try
        {
            Files.createDirectory(squatted);
            chown(squatted, SQUATTER);
            Files.setAttribute(squatted, "unix:mode", 0777);
            final Path socket = squatted.resolve(DefaultSocket.FILE_NAME);
            try (Broker fake = Broker.launch(new BrokerContext().socket(socket.toString()).socketMode("0777")))
            {
                chown(socket, SQUATTER);
                // uid 61011, no XDG_RUNTIME_DIR nor SEQBUS_SOCKET: the default is /tmp/seqbus-61011/seqbus.sock.
                final Process pub = python(USER, USER, Map.of(), "pub.py", "orders.secret", "card=4111");
                assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(stderr(pub)).isEqualTo("pub.py: refusing " + squatted + ": a directory owned by uid 61012, " +
                    "mode 0777; it must be a directory of uid 61011 closed to writing by group and others (remove it, " +
                    "or set SEQBUS_SOCKET)\n");
                assertThat(pub.exitValue()).isEqualTo(1);
                assertThat(fake.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED)).as("the fake heard nothing").isZero();
            }
        }
        finally
        {
            removeTree(squatted);
        }
    }

    @Test
    void aClientUsesTheDefaultFolderWhenItIsTheUsersOwn() throws Exception
    {
        final Map<String, String> env = Map.of("XDG_RUNTIME_DIR", dir.toString());
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        try (Broker broker = Broker.launch(new BrokerContext().defaultSocket(env, DefaultSocket.uid()));
            BusClient sub = BusClient.connect(new ClientOptions().socket(broker.context().socket())
                .threadMode(ThreadMode.DEDICATED)))
        {
            assertThat(broker.context().socket()).isEqualTo(dir.resolve("seqbus/seqbus.sock").toString());
            sub.subscribe("orders.>", (m) -> got.add(m.payloadAsString()));
            sub.sync(Duration.ofSeconds(5));
            final Process pub = python(-1, -1, env, "pub.py", "orders.mine", "hello");
            assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(pub.exitValue()).as(stderr(pub)).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
            assertThat(got).containsExactly("hello");
        }
    }

    @Test
    void theSocketFileLetsInWhomItsModeAndGroupSay() throws Exception
    {
        requireRoot();
        // Others may reach the socket file through its folder; the file alone decides.
        Files.setAttribute(dir, "unix:mode", 0755);
        final String socket = dir.resolve("bus.sock").toString();
        // Under the test's umask (022): 0755, no write for anyone else, so nobody else may connect.
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            assertThat(publishAs(61013, 65534, socket)).startsWith("pub.py: [Errno 13] Permission denied");
            assertThat(broker.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED)).isZero();
        }
        // socket_mode 0660 and socket_group nogroup: that group may, others still may not.
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket).socketMode("0660").socketGroup("nogroup")))
        {
            assertThat(publishAs(61013, 65534, socket)).isEmpty();
            assertThat(publishAs(61014, 61014, socket)).startsWith("pub.py: [Errno 13] Permission denied");
            assertThat(broker.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED)).isEqualTo(1);
        }
    }

    @Test
    void thePythonClientAppliesTheSameRulesInTheSameWords() throws Exception
    {
        requireRoot();
        final Path tmp = folder(dir.resolve("tmp"), 0, 01777);
        final Path runtime = folder(dir.resolve("runtime"), SQUATTER, 0700);
        final Path shared = folder(dir.resolve("shared"), 0, 0777);
        final List<Path> cases = List.of(
            folder(tmp.resolve("squatted"), SQUATTER, 0777),
            folder(tmp.resolve("closed-but-theirs"), SQUATTER, 0700),
            folder(tmp.resolve("open"), USER, 0777),
            folder(tmp.resolve("group-writable"), USER, 0770),
            folder(tmp.resolve("fine"), USER, 0755),
            Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("fine")),
            Files.writeString(tmp.resolve("file"), "x"),
            folder(runtime.resolve("seqbus"), USER, 0700),
            folder(shared.resolve("seqbus"), USER, 0700));
        final List<String> java = new ArrayList<>();
        final List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-c", """
            import sys
            sys.path.insert(0, sys.argv[1])
            import seqbus
            for path in sys.argv[3:]:
                try:
                    seqbus.check_private_directory(path, int(sys.argv[2]))
                    print("ok")
                except seqbus.UnsafePathError as e:
                    print(e)
            """, EXAMPLES.toString(), Integer.toString(USER)));
        for (final Path folder : cases)
        {
            command.add(folder.toString());
            try
            {
                DefaultSocket.checkPrivateDirectory(folder, USER);
                java.add("ok");
            }
            catch (final DefaultSocket.UnsafePathException ex)
            {
                java.add(ex.getMessage());
            }
        }
        final Process p = new ProcessBuilder(command).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stderr(p)).isZero();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList())
            .containsExactlyElementsOf(java);
        assertThat(java).filteredOn("ok"::equals).hasSize(1);
    }

    private static Path folder(final Path path, final int uid, final int mode) throws IOException
    {
        Files.createDirectory(path);
        chown(path, uid);
        Files.setAttribute(path, "unix:mode", mode);
        return path;
    }

    /** @return what pub.py wrote to stderr, run as uid and gid; empty when it published. */
    private String publishAs(final int uid, final int gid, final String socket) throws Exception
    {
        final Process pub = python(uid, gid, Map.of(), "pub.py", "--socket", socket, "t.x", "m");
        assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
        final String err = stderr(pub);
        assertThat(pub.exitValue()).as(err).isEqualTo(err.isEmpty() ? 0 : 1);
        return err;
    }

    /** The Python example script, as uid and gid (as this process when -1), without SEQBUS_* or XDG variables. */
    private static Process python(final int uid, final int gid, final Map<String, String> env, final String script,
        final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        if (uid >= 0)
        {
            command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups"));
        }
        command.add("/usr/bin/python3");
        command.add(EXAMPLES.resolve(script).toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf((k) -> k.startsWith("SEQBUS_") || k.startsWith("XDG_"));
        builder.environment().putAll(env);
        final Process p = builder.start();
        p.getOutputStream().close();
        return p;
    }

    private static String stderr(final Process p) throws IOException
    {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void chown(final Path path, final int uid) throws IOException
    {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    private static void removeTree(final Path root) throws IOException
    {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(p);
            }
        }
    }

    private static void requireRoot()
    {
        assertThat(DefaultSocket.uid()).as("this test runs clients under other uids (setpriv): run it as root").isZero();
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.Listener;
import io.seqbus.wire.DefaultSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Binding: a stale socket file is replaced, a live one is not, abstract names work, and the
 * file goes away on a clean stop. The per-user default folder must be the user's own, a link is
 * never followed, the socket file's mode follows the umask or socket_mode, its group socket_group.
 * Folders of other uids need chown: these tests run as root, as CI does, and fail loudly otherwise.
 */
class ListenerTest
{
    @TempDir
    Path dir;

    @Test
    void refusesToStartOverALiveBroker() throws IOException
    {
        final String socket = dir.resolve("live.sock").toString();
        try (Broker first = Broker.launch(new BrokerContext().socket(socket)))
        {
            assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(socket)))
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
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
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
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(file.toString())))
            .hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(file)).isEqualTo("data");
    }

    @Test
    void neverFollowsALinkAtTheSocketPathNotEvenToProbeIt() throws IOException
    {
        final String live = dir.resolve("live.sock").toString();
        final Path link = dir.resolve("link.sock");
        try (Broker target = Broker.launch(new BrokerContext().socket(live)))
        {
            Files.createSymbolicLink(link, Path.of(live));
            assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(link.toString())))
                .hasMessage(link + " exists and is not a socket (a symbolic link); refusing to replace it");
            assertThat(Files.isSymbolicLink(link)).isTrue();
            assertThat(target.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED))
                .as("not even a probe went through the link").isZero();
        }
    }

    @Test
    void refusesToStartInAPerUserFolderSquattedByAnotherUser() throws Exception
    {
        requireRoot();
        // $XDG_RUNTIME_DIR/seqbus made first by uid 61002, open to all, with its own "broker" in it.
        final Path runtime = dir.resolve("runtime");
        Files.createDirectory(runtime);
        final Path squatted = Files.createDirectory(runtime.resolve("seqbus"));
        chown(squatted, 61002);
        chmod(squatted, 0777);
        final String fakeSocket = squatted.resolve("seqbus.sock").toString();
        try (Broker fake = Broker.launch(new BrokerContext().socket(fakeSocket)))
        {
            assertThatThrownBy(() -> Broker.launch(new BrokerContext().defaultSocket(Map.of("XDG_RUNTIME_DIR",
                runtime.toString()), 0)))
                .isInstanceOf(DefaultSocket.UnsafePathException.class)
                .hasMessage("refusing " + squatted + ": a directory owned by uid 61002, mode 0777; it must be a " +
                    "directory of uid 0 closed to writing by group and others (remove it, or set SEQBUS_SOCKET)");
            assertThat(fake.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED)).isZero();
            assertThat(Files.exists(Path.of(fakeSocket), LinkOption.NOFOLLOW_LINKS)).as("left alone").isTrue();
        }
    }

    @Test
    void refusesAFolderWhereAnotherUserCouldSwapTheSocket() throws Exception
    {
        requireRoot();
        final Path runtime = Files.createDirectory(dir.resolve("runtime"));
        final Path folder = Files.createDirectory(runtime.resolve("seqbus"));
        final Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString());
        // The user's own folder, but anyone may write to it: the socket file could be replaced at any time.
        chmod(folder, 0777);
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().defaultSocket(env, 0)))
            .hasMessage("refusing " + folder + ": a directory owned by uid 0, mode 0777; it must be a directory " +
                "of uid 0 closed to writing by group and others (chmod 700 it, or set SEQBUS_SOCKET)");
        // Closed again, but holding a socket file someone else left: not replaced.
        chmod(folder, 0700);
        final Path socket = folder.resolve("seqbus.sock");
        final Listener planted = Listener.bind(socket.toString(), 1);
        planted.channel().close();
        chown(socket, 61002);
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().defaultSocket(env, 0)))
            .hasMessageStartingWith("refusing " + socket + ": a socket owned by uid 61002, mode ");
        Files.delete(socket);
        try (Broker broker = Broker.launch(new BrokerContext().defaultSocket(env, 0));
            RawClient c = new RawClient(socket.toString()).hello())
        {
            assertThat(broker.context().socket()).isEqualTo(socket.toString());
            assertThat(c.isClosedByBroker()).isFalse();
        }
    }

    @Test
    void createsTheMissingPerUserFolderClosedToOthers() throws Exception
    {
        final Path runtime = Files.createDirectory(dir.resolve("runtime"));
        final Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString());
        try (Broker broker = Broker.launch(new BrokerContext().defaultSocket(env, DefaultSocket.uid()));
            RawClient c = new RawClient(runtime.resolve("seqbus/seqbus.sock").toString()).hello())
        {
            assertThat(mode(runtime.resolve("seqbus"))).isEqualTo(040700);
            assertThat(c.isClosedByBroker()).isFalse();
        }
        // Never the parent: $XDG_RUNTIME_DIR belongs to the session.
        final Map<String, String> gone = Map.of("XDG_RUNTIME_DIR", dir.resolve("no-such-runtime").toString());
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().defaultSocket(gone, DefaultSocket.uid())))
            .hasMessage("cannot create " + dir.resolve("no-such-runtime/seqbus") + ": its parent does not exist");
        assertThat(dir.resolve("no-such-runtime")).doesNotExist();
    }

    @Test
    void theSocketFileModeFollowsTheUmaskNotJunixsocketsFixed0666() throws Exception
    {
        final Path socket = dir.resolve("umask.sock");
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket.toString())))
        {
            assertThat(mode(socket)).isEqualTo(0140000 | Listener.modeFromUmask(Listener.umask()));
        }
        assertThat(Listener.modeFromUmask(0077)).isEqualTo(0700);
        assertThat(Listener.modeFromUmask(0027)).isEqualTo(0750);
        // A broker in a process whose umask is 077, 027 and 000: what bind(2) alone would give.
        assertThat(modeUnderUmask("077")).isEqualTo("0700");
        assertThat(modeUnderUmask("027")).isEqualTo("0750");
        assertThat(modeUnderUmask("000")).isEqualTo("0777");
    }

    @Test
    void socketModeAndGroupAreSetBeforeAnyoneCanConnect() throws Exception
    {
        requireRoot();
        final Path socket = dir.resolve("group.sock");
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket.toString())
            .socketMode("0660").socketGroup("nogroup")))
        {
            assertThat(mode(socket)).isEqualTo(0140660);
            assertThat(Files.getAttribute(socket, "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
        }
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket.toString())
            .socketMode("600").socketGroup("65534")))
        {
            assertThat(mode(socket)).isEqualTo(0140600);
            assertThat(Files.getAttribute(socket, "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
        }
    }

    @Test
    void badSocketModeOrGroupStopsTheStartNamingTheKey()
    {
        final String socket = dir.resolve("bad.sock").toString();
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(socket).socketMode("rw-rw----")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("socket_mode = \"rw-rw----\" is not valid; allowed: permission bits in octal, 000..0777, " +
                "e.g. \"0660\" (owner and group may connect), or empty for 0777 less the umask");
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(socket).socketMode("4755")))
            .hasMessageStartingWith("socket_mode = \"4755\" is not valid");
        assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(socket).socketGroup("no-such-group-seqbus")))
            .hasMessage("socket_group = \"no-such-group-seqbus\" names no group; allowed: a group name or a gid, " +
                "or empty for the broker's own group");
        assertThat(Path.of(socket)).doesNotExist();
    }

    @Test
    void warnsThatAnAbstractSocketIsOpenToEveryLocalUser() throws IOException
    {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        Log.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        try
        {
            final String name = "@seqbus-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            try (Broker broker = Broker.launch(new BrokerContext().socket(name)))
            {
                assertThat(log.toString(StandardCharsets.UTF_8)).contains("the abstract socket " + name +
                    " is open to every local user (it has no file permissions) and acl.default = allow");
            }
            log.reset();
            try (Broker broker = Broker.launch(new BrokerContext().socket(name).aclDefault("deny")))
            {
                assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("abstract socket");
            }
            try (Broker broker = Broker.launch(new BrokerContext().socket(dir.resolve("p.sock").toString())))
            {
                assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("abstract socket");
            }
            try (Broker broker = Broker.launch(new BrokerContext().socket(name).aclDefault("deny").socketMode("0600")))
            {
                assertThat(log.toString(StandardCharsets.UTF_8))
                    .contains("socket_mode and socket_group do not apply to the abstract socket " + name);
            }
        }
        finally
        {
            Log.redirect(System.err);
        }
    }

    /** Binds a Listener in a fresh JVM under the given umask and prints its socket file's mode. */
    public static void main(final String[] args) throws IOException
    {
        try (Listener listener = Listener.bind(args[0], 1))
        {
            System.out.printf("%04o%n", mode(Path.of(args[0])) & 07777);
        }
    }

    private String modeUnderUmask(final String umask) throws Exception
    {
        final String socket = dir.resolve("umask-" + umask + ".sock").toString();
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process p = new ProcessBuilder(List.of("sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\"",
            java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), ListenerTest.class.getName(), socket))
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    }

    private static int mode(final Path path) throws IOException
    {
        return (Integer)Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    private static void chmod(final Path path, final int mode) throws IOException
    {
        Files.setAttribute(path, "unix:mode", mode);
    }

    private static void chown(final Path path, final int uid) throws IOException
    {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    private static void requireRoot()
    {
        assertThat(DefaultSocket.uid()).as("this test chowns files to other uids: run it as root").isZero();
    }

    @Test
    void servesAnAbstractName() throws IOException
    {
        final String socket = "@seqbus-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket)))
        {
            assertThatThrownBy(() -> Broker.launch(new BrokerContext().socket(socket)))
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
        try (Broker broker = Broker.launch(new BrokerContext().socket(socket));
            RawClient c = new RawClient(socket).hello())
        {
            assertThat(Files.isDirectory(dir.resolve("sub/dir"))).isTrue();
        }
    }
}

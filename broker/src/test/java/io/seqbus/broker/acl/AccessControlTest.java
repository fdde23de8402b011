package io.seqbus.broker.acl;

import io.seqbus.broker.ReloadResult;
import io.seqbus.broker.Broker;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.config.BrokerConfig;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Access rules against real processes under other uids: a Python client (examples/python) run
 * with {@code setpriv} under uids that need no passwd entry, and a group named by name
 * ({@code nogroup}, resolved by getent). Needs root, as CI has; fails loudly otherwise.
 */
class AccessControlTest
{
    private static final Path PYTHON_LIB = Path.of("..", "examples", "python").toAbsolutePath().normalize();
    private static final Path PROBE = Path.of("src", "test", "resources", "acl_probe.py").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void peersAreAllowedAndDeniedExactlyAsConfigured() throws Exception
    {
        final String socket = open(dir);
        final Path config = dir.resolve("seqbus.conf");
        Files.writeString(config, """
            socket = "%s"
            metrics = "off"
            socket_activation = "false"

            [acl]
            default = "deny"

            [[acl.rule]]
            uid = "root"
            subscribe = [">"]

            [[acl.rule]]
            uid = 61001
            publish = ["orders.>"]
            subscribe = ["orders.*", "prices.>"]

            [[acl.rule]]
            gid = "nogroup"
            publish = ["metrics.*.cpu"]
            subscribe = [">"]
            """.formatted(socket));
        final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        try (Broker broker = Broker.launch(new BrokerConfig(config, Map.of(), Map.of()).load()))
        {
            permit(socket);
            try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED)))
            {
                sub.subscribe(">", (m) -> got.add(m.topic() + " uid=" + m.publisherUid()));
                sub.sync(Duration.ofSeconds(5));

                assertThat(probe(socket, 61001, 61001,
                    "pub:orders.eu.created", "pub:prices.eu", "pub:orders",
                    "sub:orders.*", "sub:orders.>", "sub:prices.eu.*", "sub:prices.>", "sub:>", "sub:*.eu"))
                    .containsExactly(
                        "pub orders.eu.created ok", "pub prices.eu ACCESS_DENIED", "pub orders ACCESS_DENIED",
                        "sub orders.* ok", "sub orders.> ACCESS_DENIED", "sub prices.eu.* ok", "sub prices.> ok",
                        "sub > ACCESS_DENIED", "sub *.eu ACCESS_DENIED");
                assertThat(probe(socket, 61003, 65534, "pub:metrics.h1.cpu", "pub:metrics.h1.mem", "sub:>"))
                    .containsExactly("pub metrics.h1.cpu ok", "pub metrics.h1.mem ACCESS_DENIED", "sub > ok");
                assertThat(probe(socket, 61009, 61009, "pub:orders.x", "sub:orders.*"))
                    .containsExactly("pub orders.x ACCESS_DENIED", "sub orders.* ACCESS_DENIED");

                // Only what was allowed arrived, each stamped with the uid the kernel reported.
                await().atMost(Duration.ofSeconds(10)).until(() -> got.size() >= 2);
                assertThat(got).containsExactly("orders.eu.created uid=61001", "metrics.h1.cpu uid=61003");
            }
            final BrokerCounters counters = broker.counters();
            assertThat(counters.get(BrokerCounters.ACCESS_DENIED_PUBLISH)).isEqualTo(4);
            assertThat(counters.get(BrokerCounters.ACCESS_DENIED_SUBSCRIBE)).isEqualTo(4);
            assertThat(broker.metrics()).isNull();
        }
    }

    @Test
    void reloadRemovesSubscriptionsNoLongerAllowedWithoutDroppingTheConnection() throws Exception
    {
        final String socket = open(dir);
        final Path config = dir.resolve("seqbus.conf");
        final String head = """
            socket = "%s"
            metrics = "off"
            socket_activation = "false"

            [[acl.rule]]
            uid = 61001
            """.formatted(socket);
        Files.writeString(config, head + "subscribe = [\"orders.>\", \"prices.*\"]\n");
        final BrokerConfig source = new BrokerConfig(config, Map.of(), Map.of());
        try (Broker broker = Broker.launch(source.load()))
        {
            permit(socket);
            final Process p = setpriv(61001, 61001, socket, "sub:orders.*", "sub:prices.*", "hold", "sub:prices.*");
            final java.util.concurrent.LinkedBlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
            final Thread reader = new Thread(() ->
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).lines()
                    .forEach(lines::add));
            reader.setDaemon(true);
            reader.start();
            final java.util.function.Supplier<String> out = () ->
            {
                try
                {
                    final String line = lines.poll(20, TimeUnit.SECONDS);
                    if (line == null)
                    {
                        p.destroyForcibly();
                        return "(nothing; stderr: " + stderr(p) + ")";
                    }
                    return line;
                }
                catch (final InterruptedException ex)
                {
                    throw new IllegalStateException(ex);
                }
            };
            assertThat(out.get()).isEqualTo("sub orders.* ok");
            assertThat(out.get()).isEqualTo("sub prices.* ok");
            assertThat(out.get()).isEqualTo("held");
            assertThat(broker.counters().get(BrokerCounters.SUBSCRIPTIONS)).isEqualTo(2);

            Files.writeString(config, head + "subscribe = [\"orders.>\"]\n");
            final ReloadResult result = broker.applyReload(source.load());
            assertThat(result.applied()).singleElement().asString().startsWith("acl:");
            await().atMost(Duration.ofSeconds(5))
                .until(() -> broker.counters().get(BrokerCounters.ACCESS_REVOKED) == 1);

            try (Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8))
            {
                in.write("go\n");
            }
            assertThat(out.get()).isEqualTo("revoked 2 ACCESS_DENIED");
            assertThat(out.get()).isEqualTo("sub prices.* ACCESS_DENIED");
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(stderr(p)).isZero();
            assertThat(broker.counters().get(BrokerCounters.FRAMES_REJECTED + io.seqbus.wire.ErrorCode.ACCESS_DENIED))
                .isEqualTo(2);
            // The probe's connection lived through the reload: one connection, closed by the probe at its end.
            assertThat(broker.counters().get(BrokerCounters.CONNECTIONS_ACCEPTED)).isEqualTo(1);
        }
    }

    @Test
    void configErrorsNameTheRuleTheKeyAndWhatIsAllowed() throws Exception
    {
        final Path config = dir.resolve("bad.conf");
        Files.writeString(config, """
            [[acl.rule]]
            uid = "no-such-user-seqbus"
            publish = ["a.>.b"]

            [[acl.rule]]
            uid = 1
            gid = 2
            """);
        final BrokerConfig source = new BrokerConfig(config, Map.of(), Map.of());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(source::load))
            .hasMessageContaining("acl.rule #1: uid = \"no-such-user-seqbus\" names no user")
            .hasMessageContaining("acl.rule #1: publish entry \"a.>.b\" is not a valid pattern")
            .hasMessageContaining("acl.rule #2: give exactly one of uid or gid");
    }

    private static String open(final Path dir) throws IOException
    {
        // Other uids must reach the socket: the temporary directory is the owner's alone.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir.resolve("bus.sock").toString();
    }

    @Test
    void onlyRootTheBrokersUserAndRulesWithBlockMayHoldPublishersBack() throws Exception
    {
        final String socket = open(dir);
        final Path config = dir.resolve("seqbus.conf");
        Files.writeString(config, """
            socket = "%s"
            metrics = "off"
            socket_activation = "false"

            [acl]
            default = "allow"

            [[acl.rule]]
            uid = 61004
            publish = [">"]
            subscribe = [">"]
            block = true
            """.formatted(socket));
        try (Broker broker = Broker.launch(new BrokerConfig(config, Map.of(), Map.of()).load()))
        {
            permit(socket);
            // A plain local user: block would let it hold every publisher of its topics back by not reading.
            assertThat(probe(socket, 61003, 61003, "subblock:a.>", "sub:b.>"))
                .containsExactly("subblock a.> ACCESS_DENIED", "sub b.> ok");
            // One the rules trust with it.
            assertThat(probe(socket, 61004, 61004, "subblock:a.>")).containsExactly("subblock a.> ok");
            assertThat(broker.counters().get(BrokerCounters.ACCESS_DENIED_SUBSCRIBE)).isEqualTo(1);
        }
        final AccessControl rules = new AccessControl(true, List.of(
            new AclRule(61004, -1, "uid 61004", List.of(">"), List.of(">"), true),
            new AclRule(-1, 61005, "gid 61005", List.of(">"), List.of(">"), false)));
        assertThat(rules.mayBlock(0, 0)).as("root").isTrue();
        assertThat(rules.mayBlock((int)io.seqbus.wire.DefaultSocket.uid(), 1)).as("the broker's own user").isTrue();
        assertThat(rules.mayBlock(61004, 1)).isTrue();
        assertThat(rules.mayBlock(61005, 61005)).isFalse();
        assertThat(rules.mayBlock(61006, 61006)).isFalse();
    }

    private static void permit(final String socket) throws IOException
    {
        Files.setPosixFilePermissions(Path.of(socket), PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private static List<String> probe(final String socket, final int uid, final int gid, final String... ops)
        throws Exception
    {
        final Process p = setpriv(uid, gid, socket, ops);
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stderr(p)).isZero();
        final List<String> lines = new ArrayList<>();
        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().forEach(lines::add);
        return lines;
    }

    private static Process setpriv(final int uid, final int gid, final String socket, final String... ops)
        throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(
            "setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
            "/usr/bin/python3", PROBE.toString(), PYTHON_LIB.toString(), socket));
        command.addAll(List.of(ops));
        return new ProcessBuilder(command).start();
    }

    private static String stderr(final Process p)
    {
        try
        {
            return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }
}

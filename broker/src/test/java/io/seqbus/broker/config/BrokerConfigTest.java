package io.seqbus.broker.config;

import io.seqbus.broker.ReloadResult;
import io.seqbus.broker.Broker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The settings table as operators meet it: the config file, SEQBUS_* variables and flags, their
 * precedence, the messages for bad values, the shipped example, and reload.
 */
class BrokerConfigTest
{
    /** Surefire runs in the module directory. */
    private static final Path EXAMPLE = Path.of("..", "systemd", "seqbus.conf.example");

    @TempDir
    Path dir;

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() throws Exception
    {
        final Path file = write("max_payload = 1000\nmax_connections = 7\nread_burst = 9\n");
        final Map<String, String> env = Map.of("SEQBUS_MAX_PAYLOAD", "2000", "SEQBUS_MAX_CONNECTIONS", "8",
            "SEQBUS_UNRELATED", "x");
        final BrokerContext c = new BrokerConfig(file, env, Map.of("max_payload", "3000")).load();
        assertThat(c.maxPayload()).isEqualTo(3000);
        assertThat(c.maxConnections()).isEqualTo(8);
        assertThat(c.readBurst()).isEqualTo(9);
        assertThat(c.listenBacklog()).isEqualTo(new BrokerContext().listenBacklog());
        assertThat(c.metrics()).as("the daemon serves metrics by default").isEqualTo("127.0.0.1:9464");
    }

    @Test
    void everyProblemIsReportedWithKeySourceValueAndWhatIsAllowed() throws Exception
    {
        final Path file = write("# comment\nmax_payload = \"big\"\n\nmax_datagram = 10\nmax_paylod = 5\n" +
            "log_level = \"loud\"\n");
        assertThatThrownBy(() -> new BrokerConfig(file, Map.of("SEQBUS_READ_BURST", "0"),
            Map.of("metrics", "nowhere")).load())
            .isInstanceOf(ConfigException.class)
            .satisfies((ex) -> assertThat(((ConfigException)ex).problems()).containsExactlyInAnyOrder(
                file + ":2: max_payload = \"big\" is wrong type (a string); allowed: an integer in 0..max_datagram - 305 (by default 130767)",
                file + ":4: max_datagram = 10 is out of range; allowed: an integer in 1024..196608",
                file + ":5: unknown key 'max_paylod'; known keys: " + String.join(", ",
                    Settings.ALL.stream().map(Setting::key).toList()),
                file + ":6: log_level = \"loud\" is not a choice; allowed: one of debug, info, warn, error",
                "environment SEQBUS_READ_BURST: read_burst = '0' is out of range; allowed: an integer in 1..65535",
                "flag --metrics: metrics = 'nowhere' is not HOST:PORT; allowed: HOST:PORT (port 0 picks a free " +
                    "port) or off"));
    }

    @Test
    void tablesAndBrokenTomlAreNamed() throws Exception
    {
        final Path tables = write("read_burst = 4\n[lan]\nchanel = \"x\"\n");
        assertThatThrownBy(() -> new BrokerConfig(tables, Map.of(), Map.of()).load())
            .hasMessage(tables + ":3: unknown key 'lan.chanel'; known keys: " + String.join(", ",
                Settings.ALL.stream().map(Setting::key).toList()));
        final Path broken = write("read_burst = = 4\n");
        assertThatThrownBy(() -> new BrokerConfig(broken, Map.of(), Map.of()).load())
            .hasMessageStartingWith(broken + ": not valid TOML: ");
    }

    @Test
    void anAclRuleMayGrantTheBlockPolicyWithABoolean() throws Exception
    {
        final Path good = write("[[acl.rule]]\nuid = 61007\nsubscribe = [\">\"]\nblock = true\n");
        final BrokerContext c = new BrokerConfig(good, Map.of(), Map.of()).load();
        assertThat(c.accessControl().mayBlock(61007, 61007)).isTrue();
        assertThat(c.accessControl().mayBlock(61008, 61008)).isFalse();
        final Path bad = write("[[acl.rule]]\nuid = 61007\nsubscribe = [\">\"]\nblock = \"yes\"\n");
        assertThatThrownBy(() -> new BrokerConfig(bad, Map.of(), Map.of()).load())
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("acl.rule #1: block = \"yes\" is not allowed; allowed: true or false");
    }

    @Test
    void socketModeAndGroupAreCheckedAtLoad() throws Exception
    {
        final Path bad = write("socket_mode = \"0999\"\nsocket_group = \"a:b\"\n");
        assertThatThrownBy(() -> new BrokerConfig(bad, Map.of(), Map.of()).load())
            .isInstanceOf(ConfigException.class)
            .satisfies((ex) -> assertThat(((ConfigException)ex).problems()).containsExactly(
                bad + ":1: socket_mode = \"0999\" is not valid; allowed: permission bits in octal, 000..0777, e.g. " +
                    "\"0660\" (owner and group may connect), or empty for 0777 less the umask",
                bad + ":2: socket_group = \"a:b\" is not valid; allowed: a group name or a gid"));
        final Path unknown = write("socket_group = \"no-such-group-seqbus\"\n");
        assertThatThrownBy(() -> new BrokerConfig(unknown, Map.of(), Map.of()).load())
            .hasMessageContaining("socket_group = \"no-such-group-seqbus\" names no group");
        final BrokerContext good = new BrokerConfig(write("socket_mode = \"0660\"\n"),
            Map.of("SEQBUS_SOCKET_GROUP", "nogroup"), Map.of()).load();
        assertThat(good.socketModeBits()).isEqualTo(0660);
        assertThat(good.socketGid()).isEqualTo(65534);
    }

    @Test
    void crossChecksOfTheContextStillApply() throws Exception
    {
        final Path file = write("max_datagram = 2048\nmax_payload = 4096\n");
        assertThatThrownBy(() -> new BrokerConfig(file, Map.of(), Map.of()).load())
            .hasMessageContaining(file + ":2: max_payload = 4096 is out of range; allowed: an integer in 0..max_datagram - ");
    }

    @Test
    void theShippedExampleIsGeneratedFromTheTableAndDocumentsEveryKey() throws Exception
    {
        final String example = Files.readString(EXAMPLE);
        assertThat(example).as("regenerate with: java -cp 'ops/target/lib/*:ops/target/seqbus-ops.jar' " +
            "io.seqbus.broker.config.ExampleConfig > systemd/seqbus.conf.example").isEqualTo(ExampleConfig.render());
        for (final Setting<?> s : Settings.ALL)
        {
            assertThat(example).contains("\n#" + s.key() + " = ", s.flag(), s.env(), s.doc());
        }
        // Uncommented, every key parses and gives the defaults.
        final Path uncommented = write(example.replaceAll("(?m)^#([a-z_.]+ = )", "$1"));
        final BrokerContext loaded = new BrokerConfig(uncommented, Map.of(), Map.of()).load();
        final BrokerContext defaults = new BrokerConfig(null, Map.of(), Map.of()).load();
        for (final Setting<?> s : Settings.ALL)
        {
            assertThat(s.get(loaded)).as(s.key()).isEqualTo(s.get(defaults));
        }
    }

    @Test
    void reloadAppliesLiveSettingsAndListsTheRest() throws Exception
    {
        final String socket = dir.resolve("r.sock").toString();
        final Path file = write("socket = \"" + socket + "\"\nmetrics = \"off\"\nstall_timeout_ms = 10000\n");
        final BrokerConfig config = new BrokerConfig(file, Map.of(), Map.of());
        try (Broker broker = Broker.launch(config.load()))
        {
            Files.writeString(file, "socket = \"" + dir.resolve("other.sock") + "\"\nmetrics = \"off\"\n" +
                "stall_timeout_ms = 250\nmax_connections = 5\n");
            final ReloadResult result = broker.applyReload(config.load());
            assertThat(result.applied()).containsExactly(
                "max_connections: 4096 -> 5", "stall_timeout_ms: 10000 -> 250");
            assertThat(result.needRestart()).containsExactly("socket: " + socket + " -> " + dir.resolve("other.sock"));
            await().atMost(Duration.ofSeconds(5)).until(() ->
                broker.context().stallTimeoutNs() == TimeUnit.MILLISECONDS.toNanos(250) &&
                broker.context().maxConnections() == 5);
            assertThat(broker.context().socket()).isEqualTo(socket);

            Files.writeString(file, "max_connections = 0\n");
            assertThatThrownBy(() -> broker.applyReload(config.load())).isInstanceOf(ConfigException.class);
            assertThat(broker.context().maxConnections()).as("a bad reload changes nothing").isEqualTo(5);
        }
    }

    private Path write(final String text) throws Exception
    {
        final Path file = Files.createTempFile(dir, "seqbus", ".conf");
        Files.writeString(file, text);
        return file;
    }
}

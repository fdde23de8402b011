package io.seqbus.ops.lan;

import io.seqbus.ops.lan.NetnsLan.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code aeron.driver = external}: each host runs Aeron's own {@code MediaDriver} as a process of its own (in the
 * host's network namespace, {@link NetnsLan}), and its broker bridges through it. A message crosses; a broker
 * killed and started again reconnects to the same driver, which lives on, and traffic crosses again; and a
 * broker pointed at a directory where no driver runs exits 1 naming the directory and the setting. Runs as root
 * (CI does); fails without root or iproute2.
 */
class ExternalDriverLanIT
{
    private static final String GROUP = "239.255.77.41:40481";
    private static final Duration START = Duration.ofSeconds(60);

    private static NetnsLan lan;

    @BeforeAll
    static void buildLan() throws Exception
    {
        lan = NetnsLan.create("extdrv", 2);
    }

    @AfterAll
    static void removeLan() throws IOException
    {
        if (lan != null)
        {
            lan.killAll();
            lan.close();
        }
        for (final char host : new char[]{'a', 'b'})
        {
            deleteTree(aeronDir(host));
        }
    }

    @Test
    void brokersBridgeThroughMediaDriversOfTheirOwnAndOutliveABrokerRestart() throws Exception
    {
        final Started driverA = driver('a');
        final Started driverB = driver('b');
        Started a = lan.broker('a', lanArgs('a'));
        final Started b = lan.broker('b', lanArgs('b'));
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        b.awaitLine("peer " + lan.nodeName('a') + " (node", START);
        assertThat(b.text()).contains("aeron dir " + aeronDir('b'));
        final String udp = NetnsLan.run("ip", "netns", "exec", lan.ns('b'), "ss", "-Huanp");
        assertThat(udp).as("the driver's process owns the UDP sockets, the broker's none")
            .contains("pid=" + driverB.process().pid() + ",").doesNotContain("pid=" + b.process().pid() + ",");

        final Started sub = lan.command('b', "sub-b", NetnsLan.launcher(), "sub", "--socket", lan.socket('b'),
            "--count", "2", "shared.>");
        sub.awaitLine("subscribed to", START);
        assertExitsZero(lan.command('a', "pub-1", NetnsLan.launcher(), "pub", "--socket", lan.socket('a'),
            "shared.one", "first"));

        // The driver is not the broker's: it stays when the broker dies, and the next broker uses it.
        a.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(driverA.process().isAlive()).as(driverA.text()).isTrue();
        assertThat(aeronDir('a').resolve("cnc.dat")).exists();
        a = lan.broker('a', lanArgs('a'));
        a.awaitLine("peer " + lan.nodeName('b') + " (node", START);
        assertExitsZero(lan.command('a', "pub-2", NetnsLan.launcher(), "pub", "--socket", lan.socket('a'),
            "shared.two", "second"));

        assertThat(sub.process().waitFor(START.toSeconds(), TimeUnit.SECONDS)).as(sub.text()).isTrue();
        assertThat(sub.lines()).as(sub.text()).containsSubsequence("first", "second");
        assertThat(driverB.process().isAlive()).as(driverB.text()).isTrue();
    }

    @Test
    void aBrokerWithNoDriverAtItsDirectoryExitsSayingWhy() throws Exception
    {
        final Path nowhere = lan.dir().resolve("no-driver-here");
        // A socket of its own: the other test's broker may still hold host a's.
        final Started broker = lan.command('a', "broker-no-driver", NetnsLan.launcher(), "broker",
            "--socket", lan.dir().resolve("no-driver.sock").toString(), "--node-name", "no-driver",
            "--aeron-driver", "external", "--aeron-dir", nowhere.toString(),
            "--lan-channel", "aeron:udp?endpoint=" + GROUP + "|interface=10.77.0.0/24", "--lan-topics", "shared.>");
        // Aeron's client gives a driver 10 s to appear (it may be starting beside the broker).
        assertThat(broker.process().waitFor(START.toSeconds(), TimeUnit.SECONDS)).as(broker.text()).isTrue();
        assertThat(broker.process().exitValue()).as(broker.text()).isEqualTo(1);
        assertThat(broker.text()).contains("no Aeron media driver answered at " + nowhere +
            " (aeron.driver = external)");
    }

    /** Aeron's MediaDriver in the host's namespace; ready once its CnC file is there. */
    private static Started driver(final char host) throws Exception
    {
        final Path dir = aeronDir(host);
        final Started driver = lan.command(host, "driver-" + host,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx128m",
            "-Daeron.dir=" + dir, "-Daeron.dir.delete.on.start=true", "-Daeron.dir.delete.on.shutdown=true",
            // One thread, as seqbus's own driver runs: the test's hosts share two cores.
            "-Daeron.threading.mode=SHARED",
            "-cp", System.getProperty("java.class.path"), "io.aeron.driver.MediaDriver");
        await().atMost(START).pollInterval(Duration.ofMillis(100))
            .failFast("driver exited: " + driver.log(), () -> !driver.process().isAlive())
            .until(() -> Files.exists(dir.resolve("cnc.dat")));
        return driver;
    }

    private static Path aeronDir(final char host)
    {
        return Path.of("/dev/shm", "seqbus-extdrv-it-" + ProcessHandle.current().pid() + "-" + host);
    }

    private static String[] lanArgs(final char host)
    {
        return new String[]{"--aeron-driver", "external", "--aeron-dir", aeronDir(host).toString(),
            "--lan-channel", "aeron:udp?endpoint=" + GROUP + "|interface=10.77.0.0/24", "--lan-topics", "shared.>"};
    }

    private static void assertExitsZero(final Started p) throws InterruptedException
    {
        assertThat(p.process().waitFor(START.toSeconds(), TimeUnit.SECONDS)).as(p.text()).isTrue();
        assertThat(p.process().exitValue()).as(p.text()).isZero();
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        if (Files.exists(dir))
        {
            try (Stream<Path> paths = Files.walk(dir))
            {
                paths.sorted(Comparator.reverseOrder()).forEach((p) -> p.toFile().delete());
            }
        }
    }
}

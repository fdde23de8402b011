package io.seqbus.ops.lan;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Hosts of a LAN on one machine: network namespaces {@code PREFIX+a}, {@code +b}, ... (10.77.0.1, .2, ...
 * on {@code eth0}), joined by veth pairs to a bridge in namespace {@code PREFIX+br}, as
 * {@code shared/testbed/netns-up.sh} builds them. Starts brokers and clients inside them and impairs the
 * links towards a host without netem (nftables loss and duplication, an htb class with a random cBPF
 * classifier for reordering). The prefix ({@code sbl}, or system property {@code seqbus.netns.prefix}) and four
 * random hex digits make it unique per run; {@link #close()} removes everything, and a JVM
 * shutdown hook does it too if the tests never get there. Needs root, iproute2 and nftables: fails loudly
 * without them.
 */
final class NetnsLan implements AutoCloseable
{
    private static final Path LAUNCHER = Path.of("..", "seqbus").toAbsolutePath().normalize();

    private final String prefix;
    private final int hosts;
    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook;
    private int started;
    private boolean closed;

    private NetnsLan(final int hosts) throws IOException
    {
        this.prefix = System.getProperty("seqbus.netns.prefix", "sbl") + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        this.hosts = hosts;
        this.dir = Files.createTempDirectory("seqbus-lan-" + prefix);
        this.hook = new Thread(this::closeQuietly, "netns-cleanup-" + prefix);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * As {@link #create(int)}, with namespaces named from {@code prefix} (the {@code seqbus.netns.prefix} property for
     * the length of the build), so ITs that may share a machine never meet each other's hosts.
     */
    static NetnsLan create(final String prefix, final int hosts) throws Exception
    {
        final String before = System.getProperty("seqbus.netns.prefix");
        System.setProperty("seqbus.netns.prefix", prefix);
        try
        {
            return create(hosts);
        }
        finally
        {
            if (before == null)
            {
                System.clearProperty("seqbus.netns.prefix");
            }
            else
            {
                System.setProperty("seqbus.netns.prefix", before);
            }
        }
    }

    static NetnsLan create(final int hosts) throws Exception
    {
        final NetnsLan lan = new NetnsLan(hosts);
        try
        {
            lan.build();
        }
        catch (final Exception | Error ex)
        {
            lan.close();
            throw ex;
        }
        return lan;
    }

    private void build() throws Exception
    {
        final String br = prefix + "br";
        run("ip", "netns", "add", br);
        run("ip", "-n", br, "link", "set", "lo", "up");
        run("ip", "-n", br, "link", "add", "br0", "type", "bridge");
        // No IGMP querier on this LAN: without snooping, multicast is flooded to every port.
        run("ip", "-n", br, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0");
        run("ip", "-n", br, "link", "set", "br0", "up");
        for (int i = 0; i < hosts; i++)
        {
            final char h = (char)('a' + i);
            final String ns = ns(h);
            run("ip", "netns", "add", ns);
            run("ip", "-n", ns, "link", "set", "lo", "up");
            run("ip", "-n", br, "link", "add", "vh-" + h, "type", "veth", "peer", "name", "eth0", "netns", ns);
            run("ip", "-n", br, "link", "set", "vh-" + h, "master", "br0");
            run("ip", "-n", br, "link", "set", "vh-" + h, "up");
            run("ip", "-n", ns, "addr", "add", address(h) + "/24", "dev", "eth0");
            run("ip", "-n", ns, "link", "set", "eth0", "multicast", "on");
            run("ip", "-n", ns, "link", "set", "eth0", "up");
            run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
        }
    }

    String ns(final char host)
    {
        return prefix + host;
    }

    String nodeName(final char host)
    {
        return prefix + host;
    }

    static String address(final char host)
    {
        return "10.77.0." + (host - 'a' + 1);
    }

    String socket(final char host)
    {
        return dir.resolve(host + ".sock").toString();
    }

    Path dir()
    {
        return dir;
    }

    /**
     * Starts {@code ./seqbus broker} in a host's namespace, logging to a file.
     *
     * @return the broker process and its log.
     */
    Started broker(final char host, final String... lanArgs) throws IOException
    {
        return broker(host, "", lanArgs);
    }

    /**
     * Starts {@code ./seqbus broker} in a host's namespace with extra JVM options ({@code SEQBUS_JAVA_OPTS}).
     *
     * @return the broker process and its log.
     */
    Started broker(final char host, final String javaOptions, final String... lanArgs) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(host), "env",
            "SEQBUS_JAVA_OPTS=" + javaOptions, LAUNCHER.toString(), "broker",
            "--socket", socket(host), "--node-name", nodeName(host)));
        cmd.addAll(List.of(lanArgs));
        return start("broker-" + host, cmd);
    }

    /**
     * Starts {@link LanClient} in a host's namespace with this JVM's class path.
     *
     * @return the client process and its output.
     */
    Started client(final char host, final String name, final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(host),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx128m"));
        if (!args[0].startsWith("bench-"))
        {
            // Test clients start fast rather than run fast. The benchmark's run the optimising compiler, as a
            // service's code does.
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LanClient.class.getName()));
        cmd.addAll(List.of(args));
        return start(name, cmd);
    }

    /**
     * Runs a command in a host's namespace, its output (stdout and stderr) to a log: {@code ./seqbus pub} and
     * {@code sub}, or another client such as the Python one.
     *
     * @return the process and its output.
     */
    Started command(final char host, final String name, final String... cmd) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(host)));
        full.addAll(List.of(cmd));
        return start(name, full);
    }

    /** @return the path of the {@code ./seqbus} launcher of this checkout. */
    static String launcher()
    {
        return LAUNCHER.toString();
    }

    /**
     * Starts {@code ./seqbus} with these arguments in a host's namespace, its output and errors in one log.
     *
     * @return the command and its log.
     */
    Started seqbus(final char host, final String name, final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(host), LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        return start(name, cmd);
    }

    /**
     * Starts {@link MemfdLanClient} in a host's namespace with this JVM's class path.
     *
     * @return the client process and its output.
     */
    Started memfdClient(final char host, final String name, final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(host),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:+UseSerialGC",
            "-Xmx256m", "-cp", System.getProperty("java.class.path"), MemfdLanClient.class.getName()));
        cmd.addAll(List.of(args));
        return start(name, cmd);
    }

    private Started start(final String name, final List<String> cmd) throws IOException
    {
        final Path log = dir.resolve(name + "-" + (++started) + ".log");
        final Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        synchronized (processes)
        {
            processes.add(process);
        }
        return new Started(process, log);
    }

    /**
     * Loss, duplication and reordering of UDP towards one host (the bridge port to it).
     */
    void impair(final char host, final int lossPct, final int dupPct, final int reorderPct) throws Exception
    {
        final String br = prefix + "br";
        final String dev = "vh-" + host;
        nft(br, "table bridge imp_" + host + " {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n" +
            "  oifname \"" + dev + "\" meta l4proto udp numgen random mod 100 < " + lossPct + " counter drop\n }\n}");
        nft(br, "table netdev impdup_" + host + " {\n chain egress {\n  type filter hook egress device \"" + dev +
            "\" priority 0; policy accept;\n  meta l4proto udp numgen random mod 100 < " + dupPct +
            " counter dup to \"" + dev + "\"\n }\n}");
        // cBPF: A = random u32; A <= T picks the slow class 1:20, whose packets fall behind the rest.
        final long threshold = reorderPct * 4294967295L / 100;
        run("ip", "netns", "exec", br, "tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "10",
            "r2q", "1000");
        run("ip", "netns", "exec", br, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb",
            "rate", "10gbit", "quantum", "200000");
        run("ip", "netns", "exec", br, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:20", "htb",
            "rate", "20mbit", "ceil", "20mbit");
        run("ip", "netns", "exec", br, "tc", "qdisc", "add", "dev", dev, "parent", "1:20", "handle", "20:", "pfifo",
            "limit", "10000");
        run("ip", "netns", "exec", br, "tc", "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1",
            "bpf", "bytecode", "4,32 0 0 4294963256,37 0 1 " + threshold + ",6 0 0 0,6 0 0 4294967295",
            "classid", "1:20");
    }

    /**
     * @return packets the impairment dropped and duplicated towards a host, as nft counted them.
     */
    String impairmentCounters(final char host) throws Exception
    {
        return run("ip", "netns", "exec", prefix + "br", "nft", "list", "ruleset").lines()
            .filter(l -> l.contains("counter")).map(String::trim).reduce("", (a, b) -> a + " | " + b);
    }

    private void nft(final String ns, final String ruleset) throws Exception
    {
        final Path file = dir.resolve("nft-" + ThreadLocalRandom.current().nextInt() + ".nft");
        Files.writeString(file, ruleset + "\n");
        run("ip", "netns", "exec", ns, "nft", "-f", file.toString());
    }

    static String run(final String... cmd) throws Exception
    {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (needs root, iproute2, nftables): " + out);
        }
        return out;
    }

    /** Kills every process this LAN started, removes the namespaces and the brokers' Aeron directories. */
    @Override
    public void close()
    {
        closeQuietly();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignore)
        {
            // the JVM is shutting down: the hook is running this
        }
    }

    private synchronized void closeQuietly()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        synchronized (processes)
        {
            processes.forEach(Process::destroyForcibly);
            for (final Process p : processes)
            {
                try
                {
                    p.waitFor(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (final String ns : namespaces())
        {
            try
            {
                run("ip", "netns", "pids", ns).lines().forEach(pid -> ProcessHandle.of(Long.parseLong(pid.trim()))
                    .ifPresent(ProcessHandle::destroyForcibly));
                run("ip", "netns", "del", ns);
            }
            catch (final Exception ex)
            {
                System.err.println("netns cleanup: " + ex.getMessage());
            }
        }
        final File[] aeronDirs = new File("/dev/shm").listFiles((d, n) -> n.startsWith("seqbus-aeron-" + prefix));
        if (aeronDirs != null)
        {
            for (final File d : aeronDirs)
            {
                org.agrona.IoUtil.delete(d, true);
            }
        }
    }

    private List<String> namespaces()
    {
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < hosts; i++)
        {
            names.add(prefix + (char)('a' + i));
        }
        names.add(prefix + "br");
        return names;
    }

    /** Kills every process started so far (SIGKILL) and forgets them: between tests. */
    void killAll()
    {
        synchronized (processes)
        {
            processes.forEach(Process::destroyForcibly);
            for (final Process p : processes)
            {
                try
                {
                    p.waitFor(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            processes.clear();
        }
    }

    /**
     * Removes the impairment towards a host.
     */
    void clearImpairment(final char host)
    {
        final String br = prefix + "br";
        for (final String[] cmd : new String[][]{
            {"ip", "netns", "exec", br, "nft", "delete", "table", "bridge", "imp_" + host},
            {"ip", "netns", "exec", br, "nft", "delete", "table", "netdev", "impdup_" + host},
            {"ip", "netns", "exec", br, "tc", "qdisc", "del", "dev", "vh-" + host, "root"}})
        {
            try
            {
                run(cmd);
            }
            catch (final Exception ignore)
            {
                // not impaired
            }
        }
    }

    /** A process and the file its output goes to. */
    record Started(Process process, Path log)
    {
        List<String> lines()
        {
            try
            {
                return Files.readAllLines(log, StandardCharsets.UTF_8);
            }
            catch (final IOException ex)
            {
                return List.of();
            }
        }

        String text()
        {
            return String.join("\n", lines());
        }

        void awaitLine(final String fragment, final Duration atMost)
        {
            await().atMost(atMost).pollInterval(Duration.ofMillis(100))
                .failFast("process exited: " + log, () -> !process.isAlive() && lines().stream().noneMatch(l -> l.contains(fragment)))
                .until(() -> lines().stream().anyMatch(l -> l.contains(fragment)));
        }
    }
}

package io.seqbus.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real systemd booted as PID 1 of private namespaces ({@code src/test/resources/systemd-in-ns.sh}; needs root),
 * with the shipped units adapted as a test machine must: {@code DefaultDependencies=no} (nothing of sysinit may
 * touch the host), ExecStart at this checkout's launcher, root instead of the {@code seqbus} user and group (the
 * host has no such user). Every hardening setting stays as shipped. Closing halts it and removes its cgroup.
 */
final class SystemdInNamespaces implements AutoCloseable
{
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path RESOURCES = Path.of("src", "test", "resources").toAbsolutePath();
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final Path log;
    private final List<Process> started = new ArrayList<>();
    private String pid;
    private Path cgroup;

    private SystemdInNamespaces(final Path log)
    {
        this.log = log;
    }

    /**
     * Copies the shipped units into {@code dir/units} with the test machine's changes, and a target that wants
     * only {@code wanted}.
     *
     * @return the units folder.
     */
    static Path units(final Path dir, final String target, final String wanted, final String... extra) throws IOException
    {
        final Path units = Files.createDirectories(dir.resolve("units"));
        adapt("seqbus.service", units, Map.of(
            "ExecStart=/usr/bin/seqbus ", "ExecStart=/run/testbed-src/seqbus ",
            "--config /etc/seqbus/seqbus.conf", "--config /run/testbed-src/systemd/seqbus.conf.example",
            "\nUser=seqbus\n", "\n",
            "\nGroup=seqbus\n", "\n"));
        adapt("seqbus.socket", units, Map.of("\nSocketGroup=seqbus\n", "\nSocketGroup=root\n"));
        for (final String unit : extra)
        {
            adapt(unit, units, Map.of());
        }
        Files.writeString(units.resolve(target),
            "[Unit]\nDescription=seqbus IT\nDefaultDependencies=no\nWants=" + wanted + "\nAfter=" + wanted + "\n");
        return units;
    }

    /**
     * Boots systemd with {@code target} as its default target.
     */
    static SystemdInNamespaces boot(final Path units, final String target, final Path dir) throws Exception
    {
        final SystemdInNamespaces systemd = new SystemdInNamespaces(dir.resolve("systemd.log"));
        final Process boot = new ProcessBuilder("bash", RESOURCES.resolve("systemd-in-ns.sh").toString(),
            units.toString(), target, ROOT.toString(), systemd.log.toString())
            .redirectErrorStream(true).start();
        final String booted = new String(boot.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(boot.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final Matcher m = Pattern.compile("PID=(\\d+) UNSHARE_PID=(\\d+) CGROUP=(\\S+)").matcher(booted);
        assertThat(m.find()).as(booted).isTrue();
        systemd.pid = m.group(1);
        systemd.cgroup = Path.of(m.group(3));
        assertThat(boot.exitValue()).as(booted).isZero();
        return systemd;
    }

    private static void adapt(final String unit, final Path to, final Map<String, String> replacements)
        throws IOException
    {
        String text = Files.readString(ROOT.resolve("systemd").resolve(unit));
        for (final Map.Entry<String, String> r : replacements.entrySet())
        {
            assertThat(text).as(unit).contains(r.getKey());
            text = text.replace(r.getKey(), r.getValue());
        }
        text = text.replace("[Unit]\n", "[Unit]\nDefaultDependencies=no\n");
        Files.writeString(to.resolve(unit), text);
    }

    /**
     * @return systemctl's output, stripped.
     */
    String systemctl(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("systemctl"));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0])).output();
    }

    /**
     * Runs a command in the namespaces and waits for it (bounded).
     *
     * @return its exit status and output (stdout, then stderr), stripped.
     */
    PromtoolTest.Result run(final String... command) throws Exception
    {
        final List<String> full = new ArrayList<>(List.of("nsenter", "-t", pid, "-a"));
        full.addAll(List.of(command));
        final Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        started.add(p);
        p.getOutputStream().close();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new PromtoolTest.Result(p.exitValue(), out);
    }

    /**
     * @return what systemd logged so far (for failure messages).
     */
    String log() throws IOException
    {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception
    {
        started.forEach(Process::destroyForcibly);
        if (pid != null)
        {
            // systemd's orderly halt: stops the units, exits, and the namespaces go with it.
            new ProcessBuilder("kill", "-s", "SIGRTMIN+3", pid).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            final ProcessHandle handle = ProcessHandle.of(Long.parseLong(pid)).orElse(null);
            if (handle != null)
            {
                await().atMost(WAIT).until(() -> !handle.isAlive());
            }
        }
        if (cgroup != null && Files.isDirectory(cgroup))
        {
            await().atMost(WAIT).until(() -> new ProcessBuilder("find", cgroup.toString(), "-depth", "-type", "d",
                "-exec", "rmdir", "{}", ";").start().waitFor() == 0 && !Files.exists(cgroup));
        }
    }
}

package io.seqbus.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real systemd booted as PID 1 of private namespaces (needs root): the one place the ITs boot it, run commands
 * in it, and halt it. Two kinds: {@link #boot} on the host's root with the shipped units adapted as a test
 * machine must ({@code src/test/resources/systemd-in-ns.sh}), and {@link #bootOverlay} on an overlay over the
 * host's root, where a test may install a package ({@code src/test/resources/systemd-in-overlay.sh}). Closing
 * halts it (the namespaces, and an overlay, go with it) and removes its cgroup.
 */
final class SystemdInNamespaces implements AutoCloseable
{
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path RESOURCES = Path.of("src", "test", "resources").toAbsolutePath();
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** The adaptations of the shipped units every test machine needs; a test may change or add to them. */
    private static final Map<String, String> SERVICE = Map.of(
        "ExecStart=/usr/bin/seqbus ", "ExecStart=/run/testbed-src/seqbus ",
        "--config /etc/seqbus/seqbus.conf", "--config /run/testbed-src/systemd/seqbus.conf.example",
        "\nUser=seqbus\n", "\n",
        "\nGroup=seqbus\n", "\n");
    private static final Map<String, String> SOCKET = Map.of("\nSocketGroup=seqbus\n", "\nSocketGroup=root\n");

    private final Path log;
    /** How a command enters the namespaces: nsenter's options after {@code -t PID}. */
    private final List<String> enter;
    private final List<Process> started = new ArrayList<>();
    private String pid;
    private Path cgroup;

    private SystemdInNamespaces(final Path log, final List<String> enter)
    {
        this.log = log;
        this.enter = enter;
    }

    /**
     * Copies the shipped units into {@code dir/units} with the test machine's changes
     * ({@code DefaultDependencies=no}, ExecStart at this checkout's launcher, root instead of the {@code seqbus}
     * user and group, which the host has not), and a target that wants only {@code wanted}. Every hardening
     * setting stays as shipped.
     *
     * @return the units folder.
     */
    static Path units(final Path dir, final String target, final String wanted, final String... extra) throws IOException
    {
        return units(dir, target, wanted, Map.of(), Map.of(), extra);
    }

    /**
     * As {@link #units(Path, String, String, String...)}, with these replacements in {@code seqbus.service} and
     * {@code seqbus.socket} on top of (or instead of) the test machine's.
     */
    static Path units(final Path dir, final String target, final String wanted, final Map<String, String> service,
        final Map<String, String> socket, final String... extra) throws IOException
    {
        final Path units = Files.createDirectories(dir.resolve("units"));
        adapt("seqbus.service", units, merged(SERVICE, service));
        adapt("seqbus.socket", units, merged(SOCKET, socket));
        for (final String unit : extra)
        {
            adapt(unit, units, Map.of());
        }
        Files.writeString(units.resolve(target),
            "[Unit]\nDescription=seqbus IT\nDefaultDependencies=no\nWants=" + wanted + "\nAfter=" + wanted + "\n");
        return units;
    }

    /**
     * Boots systemd on the host's root (private /run, /tmp, /var/tmp) with the units of {@code units} and
     * {@code target} as its default target; {@code dir} gets its log.
     */
    static SystemdInNamespaces boot(final Path units, final String target, final Path dir) throws Exception
    {
        final SystemdInNamespaces systemd = new SystemdInNamespaces(dir.resolve("systemd.log"), List.of("-a"));
        systemd.launch("systemd-in-ns.sh", units.toString(), target, ROOT.toString(), systemd.log.toString());
        return systemd;
    }

    /**
     * Boots systemd on an overlay over the host's root, where every write lands in a tmpfs of the namespaces, with
     * {@code targetUnit} (a file, {@code DefaultDependencies=no}) as the one unit it boots; {@code dir} gets its
     * log. Returns once the system manager says it is up.
     */
    static SystemdInNamespaces bootOverlay(final Path targetUnit, final Path dir) throws Exception
    {
        // -r -w: the root and working directory of the booted system (the overlay), not the host's.
        final SystemdInNamespaces systemd = new SystemdInNamespaces(dir.resolve("systemd.log"), List.of("-a", "-r", "-w"));
        systemd.launch("systemd-in-overlay.sh", targetUnit.toString(), ROOT.toString(), systemd.log.toString());
        try
        {
            await().atMost(WAIT).until(() -> systemd.run("systemctl", "is-system-running").out(),
                (state) -> state.equals("running") || state.equals("degraded"));
        }
        catch (final Throwable t)
        {
            try
            {
                systemd.close();
            }
            catch (final Throwable c)
            {
                t.addSuppressed(c);
            }
            throw t;
        }
        return systemd;
    }

    private void launch(final String script, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("bash", RESOURCES.resolve(script).toString()));
        command.addAll(List.of(args));
        final Process boot = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String booted = new String(boot.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(boot.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final Matcher m = Pattern.compile("PID=(\\d+) UNSHARE_PID=(\\d+) CGROUP=(\\S+)").matcher(booted);
        assertThat(m.find()).as(booted).isTrue();
        pid = m.group(1);
        cgroup = Path.of(m.group(3));
        // A printed PID means systemd runs, and the script has succeeded.
        assertThat(boot.exitValue()).as(booted).isZero();
    }

    private static Map<String, String> merged(final Map<String, String> base, final Map<String, String> changes)
    {
        final Map<String, String> all = new HashMap<>(base);
        all.putAll(changes);
        return all;
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
     * @return systemctl's standard output, stripped (its warnings go to {@link #run}'s {@code err}).
     */
    String systemctl(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("systemctl"));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0])).out();
    }

    /**
     * Runs a command in the namespaces with no input and waits for it (bounded).
     */
    Result run(final String... command) throws Exception
    {
        return result(start(List.of(command)), command);
    }

    /**
     * Gives a started command no input and waits for it (bounded).
     */
    static Result result(final Process p, final String... command) throws Exception
    {
        p.getOutputStream().close();
        // Both pipes at once: a command that fills one while the other is read would never finish.
        final CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(p.getErrorStream()));
        final String out = text(p.getInputStream());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Result(p.exitValue(), out, err.get(120, TimeUnit.SECONDS));
    }

    /**
     * Starts a command in the namespaces, for a test that talks to it; closing kills it if it still runs.
     */
    Process start(final List<String> command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("nsenter", "-t", pid));
        full.addAll(enter);
        full.addAll(command);
        final Process p = new ProcessBuilder(full).start();
        started.add(p);
        return p;
    }

    private static String text(final InputStream in)
    {
        try
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
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
            pid = null;
        }
        if (cgroup != null && Files.isDirectory(cgroup))
        {
            await().atMost(WAIT).until(() -> new ProcessBuilder("find", cgroup.toString(), "-depth", "-type", "d",
                "-exec", "rmdir", "{}", ";").start().waitFor() == 0 && !Files.exists(cgroup));
        }
    }

    /**
     * A command's exit status, and its standard output and error, each stripped.
     */
    record Result(int exit, String out, String err)
    {
        /** @return stdout, then stderr (for a test that wants either). */
        String output()
        {
            return out.isEmpty() ? err : err.isEmpty() ? out : out + "\n" + err;
        }

        /** @return all of it, for a failure message. */
        String all()
        {
            return "exit " + exit + "\n" + out + "\n" + err;
        }
    }
}

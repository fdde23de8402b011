package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * The shipped units under a real systemd, booted as PID 1 of private namespaces
 * ({@code src/test/resources/systemd-in-ns.sh}; needs root). The copies differ from
 * {@code systemd/} only where a test machine must: {@code DefaultDependencies=no} (the safety
 * rule: nothing of sysinit may touch the host), ExecStart at this checkout's launcher, root (or nobody)
 * instead of the {@code seqbus} user and group (the host has no such user), a 3 s watchdog.
 * Every hardening setting stays as shipped.
 */
class SystemdBootIT
{
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path RESOURCES = Path.of("src", "test", "resources").toAbsolutePath();
    private static final String SOCKET = "/run/seqbus/seqbus.sock";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private String pid;
    private Path cgroup;
    private Process unshare;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void halt() throws Exception
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

    @Test
    void socketUnitActivatesTheServiceAndRestartRefusesNoClient() throws Exception
    {
        final Path units = Files.createDirectories(dir.resolve("units"));
        adapt("seqbus.service", units, Map.of(
            "ExecStart=/usr/bin/seqbus ", "ExecStart=/run/testbed-src/seqbus ",
            "--config /etc/seqbus/seqbus.conf", "--config /run/testbed-src/systemd/seqbus.conf.example",
            "\nUser=seqbus\n", "\n",
            "\nGroup=seqbus\n", "\n",
            "\nWatchdogSec=30s\n", "\nWatchdogSec=3s\n"));
        adapt("seqbus.socket", units, Map.of("\nSocketGroup=seqbus\n", "\nSocketGroup=root\n"));
        Files.writeString(units.resolve("seqbus-it.target"),
            "[Unit]\nDescription=seqbus IT\nDefaultDependencies=no\nWants=seqbus.socket\nAfter=seqbus.socket\n");

        boot(units);

        await().atMost(WAIT).until(() -> "active".equals(systemctl("is-active", "seqbus.socket")));
        assertThat(systemctl("is-active", "seqbus.service")).as("nothing started it yet").isEqualTo("inactive");
        assertThat(inside("stat", "-c", "%a %F", SOCKET)).isEqualTo("660 socket");

        // The first connection starts the broker; the client is served once it is up.
        final Process loop = inside(List.of("/usr/bin/python3", "/run/testbed-src/ops/src/test/resources/connect-loop.py",
            SOCKET, "/run/testbed-src/examples/python"));
        final BufferedReader loopOut = new BufferedReader(new InputStreamReader(loop.getInputStream(), StandardCharsets.UTF_8));
        assertThat(loopOut.readLine()).as(log()).isEqualTo("started");
        // READY travels on its own path (notify socket), so it may reach systemd after WELCOME.
        await().atMost(WAIT).until(() -> systemctl("show", "-p", "ActiveState,SubState", "seqbus.service"),
            "ActiveState=active\nSubState=running"::equals);
        assertThat(systemctl("show", "-p", "StatusText", "seqbus.service"))
            .as("READY came with a status line").matches("StatusText=\\d+ clients, \\d+ subscriptions, .*");
        final String firstPid = systemctl("show", "-p", "MainPID", "seqbus.service");

        // Restart twice while the loop connects without pause: it must never be refused.
        assertThat(systemctl("restart", "seqbus.service")).isEmpty();
        assertThat(systemctl("restart", "seqbus.service")).isEmpty();
        assertThat(systemctl("show", "-p", "MainPID", "seqbus.service")).isNotEqualTo(firstPid);
        assertThat(systemctl("is-active", "seqbus.service")).isEqualTo("active");

        loop.getOutputStream().close();
        final String summary = loopOut.readLine();
        assertThat(loop.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String loopErr = new String(loop.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        final Matcher counts = Pattern.compile("attempts=(\\d+) welcomed=(\\d+) refused=(\\d+) retried=(\\d+) resets=(\\d+) brokers=(\\d+)")
            .matcher(summary == null ? "" : summary);
        assertThat(counts.matches()).as(summary + "\n" + loopErr).isTrue();
        assertThat(counts.group(3)).as("refused connects: " + loopErr).isEqualTo("0");
        assertThat(counts.group(2)).as("every attempt welcomed").isEqualTo(counts.group(1));
        System.out.println("connect loop across two restarts: " + summary);
        assertThat(Integer.parseInt(counts.group(6))).as("the loop was served by all three brokers").isEqualTo(3);
        assertThat(systemctl("show", "-p", "NRestarts", "seqbus.service"))
            .as("no watchdog or failure restart, only ours").isEqualTo("NRestarts=0");
    }

    /**
     * {@code systemctl reload} runs {@code seqbus reload --pid $MAINPID}, as the unit's user (here nobody, as
     * the host has no seqbus user) under ProtectProc=invisible: it fails when the broker refuses the new
     * config and succeeds when it applies it. The old {@code kill -HUP} reported success either way.
     */
    @Test
    void reloadFailsForABrokenConfigAndSucceedsForAGoodOne() throws Exception
    {
        final String config = "/run/seqbus-it/seqbus.conf";
        final Path units = Files.createDirectories(dir.resolve("units"));
        adapt("seqbus.service", units, Map.of(
            "ExecStart=/usr/bin/seqbus ", "ExecStart=/run/testbed-src/seqbus ",
            "ExecReload=/usr/bin/seqbus ", "ExecReload=/run/testbed-src/seqbus ",
            "--config /etc/seqbus/seqbus.conf", "--config " + config,
            "\nUser=seqbus\n", "\nUser=nobody\n",
            "\nGroup=seqbus\n", "\nGroup=nogroup\n"));
        adapt("seqbus.socket", units, Map.of("\nSocketGroup=seqbus\n", "\nSocketGroup=nogroup\n"));
        Files.writeString(units.resolve("seqbus-it.target"),
            "[Unit]\nDescription=seqbus IT\nDefaultDependencies=no\nWants=seqbus.socket\nAfter=seqbus.socket\n");
        boot(units);
        await().atMost(WAIT).until(() -> "active".equals(systemctl("is-active", "seqbus.socket")));
        writeInside(config, "log_level = \"info\"\n");
        assertThat(systemctl("start", "seqbus.service")).as(log()).isEmpty();
        await().atMost(WAIT).until(() -> systemctl("show", "-p", "ActiveState,SubState", "seqbus.service"),
            "ActiveState=active\nSubState=running"::equals);

        writeInside(config, "log_level = \"loud\"\n");
        final Process refused = inside(List.of("systemctl", "reload", "seqbus.service"));
        refused.getOutputStream().close();
        final String refusedErr = new String(refused.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(refused.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(refused.exitValue()).as("systemctl reload of a broken config: " + refusedErr).isNotZero();
        assertThat(systemctl("is-active", "seqbus.service")).as("a refused reload stops nothing").isEqualTo("active");
        final String afterRefusal = inside("/run/testbed-src/seqbus", "stat", "--json", "--socket", SOCKET);
        assertThat(afterRefusal).contains("\"status\":\"refused\"").contains("log_level");

        writeInside(config, "log_level = \"debug\"\n");
        final Process applied = inside(List.of("systemctl", "reload", "seqbus.service"));
        applied.getOutputStream().close();
        final String appliedErr = new String(applied.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(applied.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(applied.exitValue()).as("systemctl reload of a good config: " + appliedErr + log()).isZero();
        assertThat(inside("/run/testbed-src/seqbus", "stat", "--json", "--socket", SOCKET))
            .contains("\"reload\":{\"generation\":2,\"status\":\"applied\"");
        assertThat(systemctl("show", "-p", "User,NRestarts", "seqbus.service").lines())
            .containsExactlyInAnyOrder("User=nobody", "NRestarts=0");
    }

    private void boot(final Path units) throws Exception
    {
        final Process boot = new ProcessBuilder("bash", RESOURCES.resolve("systemd-in-ns.sh").toString(),
            units.toString(), "seqbus-it.target", ROOT.toString(), dir.resolve("systemd.log").toString())
            .redirectErrorStream(true).start();
        final String booted = new String(boot.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(boot.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final Matcher m = Pattern.compile("PID=(\\d+) UNSHARE_PID=(\\d+) CGROUP=(\\S+)").matcher(booted);
        assertThat(m.find()).as(booted).isTrue();
        pid = m.group(1);
        cgroup = Path.of(m.group(3));
        assertThat(boot.exitValue()).as(booted).isZero();
    }

    /** Writes a file inside the namespaces' private /run, readable by the unit's user. */
    private void writeInside(final String file, final String text) throws Exception
    {
        final Process p = inside(List.of("sh", "-c", "mkdir -p -m 755 \"$(dirname \"$1\")\" && cat > \"$1\" && chmod 644 \"$1\"",
            "_", file));
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    private static void adapt(final String unit, final Path to, final Map<String, String> replacements) throws IOException
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

    private String systemctl(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("systemctl"));
        command.addAll(List.of(args));
        return inside(command.toArray(new String[0]));
    }

    private String inside(final String... command) throws Exception
    {
        final Process p = inside(List.of(command));
        p.getOutputStream().close();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private Process inside(final List<String> command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("nsenter", "-t", pid, "-a"));
        full.addAll(command);
        final Process p = new ProcessBuilder(full).start();
        started.add(p);
        return p;
    }

    private String log() throws IOException
    {
        return Files.readString(dir.resolve("systemd.log"));
    }
}

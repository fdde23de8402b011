package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped units under a real systemd, booted as PID 1 of private namespaces
 * ({@link SystemdInNamespaces}; needs root). The copies differ from
 * {@code systemd/} only where a test machine must: {@code DefaultDependencies=no} (the safety
 * rule: nothing of sysinit may touch the host), ExecStart at this checkout's launcher, root (or nobody)
 * instead of the {@code seqbus} user and group (the host has no such user), a 3 s watchdog.
 * Every hardening setting stays as shipped.
 */
// One booted systemd at a time: each takes a cgroup and namespaces of its own, and a boot is heavy.
@ResourceLock("systemd-booted")
class SystemdBootIT
{
    private static final String SOCKET = "/run/seqbus/seqbus.sock";
    private static final String TARGET = "seqbus-it.target";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private SystemdInNamespaces systemd;

    @AfterEach
    void halt() throws Exception
    {
        if (systemd != null)
        {
            systemd.close();
        }
    }

    @Test
    void socketUnitActivatesTheServiceAndRestartRefusesNoClient() throws Exception
    {
        final Path units = SystemdInNamespaces.units(dir, TARGET, "seqbus.socket",
            Map.of("\nWatchdogSec=30s\n", "\nWatchdogSec=3s\n"), Map.of());
        systemd = SystemdInNamespaces.boot(units, TARGET, dir);

        await().atMost(WAIT).until(() -> "active".equals(systemd.systemctl("is-active", "seqbus.socket")));
        assertThat(systemd.systemctl("is-active", "seqbus.service")).as("nothing started it yet").isEqualTo("inactive");
        assertThat(systemd.run("stat", "-c", "%a %F", SOCKET).out()).isEqualTo("660 socket");

        // The first connection starts the broker; the client is served once it is up.
        final ConnectLoop loop = new ConnectLoop(systemd.start(ConnectLoop.command(SOCKET)), systemd);
        // READY travels on its own path (notify socket), so it may reach systemd after WELCOME.
        await().atMost(WAIT).until(() -> systemd.systemctl("show", "-p", "ActiveState,SubState", "seqbus.service"),
            "ActiveState=active\nSubState=running"::equals);
        assertThat(systemd.systemctl("show", "-p", "StatusText", "seqbus.service"))
            .as("READY came with a status line").matches("StatusText=\\d+ clients, \\d+ subscriptions, .*");
        final String firstPid = systemd.systemctl("show", "-p", "MainPID", "seqbus.service");

        // Restart twice while the loop connects without pause: it must never be refused.
        assertThat(systemd.systemctl("restart", "seqbus.service")).isEmpty();
        assertThat(systemd.systemctl("restart", "seqbus.service")).isEmpty();
        assertThat(systemd.systemctl("show", "-p", "MainPID", "seqbus.service")).isNotEqualTo(firstPid);
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("active");

        final ConnectLoop.Summary summary = loop.stop();
        System.out.println("connect loop across two restarts: " + summary.line());
        assertThat(summary.brokers()).as("the loop was served by all three brokers").isEqualTo(3);
        assertThat(systemd.systemctl("show", "-p", "NRestarts", "seqbus.service"))
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
        final Path units = SystemdInNamespaces.units(dir, TARGET, "seqbus.socket", Map.of(
            "ExecReload=/usr/bin/seqbus ", "ExecReload=/run/testbed-src/seqbus ",
            "--config /etc/seqbus/seqbus.conf", "--config " + config,
            "\nUser=seqbus\n", "\nUser=nobody\n",
            "\nGroup=seqbus\n", "\nGroup=nogroup\n"),
            Map.of("\nSocketGroup=seqbus\n", "\nSocketGroup=nogroup\n"));
        systemd = SystemdInNamespaces.boot(units, TARGET, dir);
        await().atMost(WAIT).until(() -> "active".equals(systemd.systemctl("is-active", "seqbus.socket")));
        writeInside(config, "log_level = \"info\"\n");
        assertThat(systemd.systemctl("start", "seqbus.service")).as(systemd.log()).isEmpty();
        await().atMost(WAIT).until(() -> systemd.systemctl("show", "-p", "ActiveState,SubState", "seqbus.service"),
            "ActiveState=active\nSubState=running"::equals);

        writeInside(config, "log_level = \"loud\"\n");
        final SystemdInNamespaces.Result refused = systemd.run("systemctl", "reload", "seqbus.service");
        assertThat(refused.exit()).as("systemctl reload of a broken config: " + refused.err()).isNotZero();
        assertThat(systemd.systemctl("is-active", "seqbus.service")).as("a refused reload stops nothing").isEqualTo("active");
        final String afterRefusal = systemd.run("/run/testbed-src/seqbus", "stat", "--json", "--socket", SOCKET).out();
        assertThat(afterRefusal).contains("\"status\":\"refused\"").contains("log_level");

        writeInside(config, "log_level = \"debug\"\n");
        final SystemdInNamespaces.Result applied = systemd.run("systemctl", "reload", "seqbus.service");
        assertThat(applied.exit()).as("systemctl reload of a good config: " + applied.err() + systemd.log()).isZero();
        assertThat(systemd.run("/run/testbed-src/seqbus", "stat", "--json", "--socket", SOCKET).out())
            .contains("\"reload\":{\"generation\":2,\"status\":\"applied\"");
        assertThat(systemd.systemctl("show", "-p", "User,NRestarts", "seqbus.service").lines())
            .containsExactlyInAnyOrder("User=nobody", "NRestarts=0");
    }

    /** Writes a file inside the namespaces' private /run, readable by the unit's user. */
    private void writeInside(final String file, final String text) throws Exception
    {
        final Process p = systemd.start(List.of("sh", "-c", "mkdir -p -m 755 \"$(dirname \"$1\")\" && cat > \"$1\" && chmod 644 \"$1\"",
            "_", file));
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }
}

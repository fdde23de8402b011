package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code .deb} that {@code mvn package} builds, installed with {@code dpkg -i} into a real
 * systemd booted as PID 1 of private namespaces whose root is an overlay over the host's
 * ({@code src/test/resources/systemd-in-overlay.sh}; needs root, dpkg and systemd): the maintainer
 * scripts create the user, enable and start the socket; a user in group {@code seqbus} publishes
 * and subscribes through {@code /run/seqbus/seqbus.sock}; reload, restart and an upgrade under a
 * connect loop refuse no one; {@code dpkg -r} keeps only the config, {@code dpkg -P} removes it. Every write
 * lands in the overlay's tmpfs: afterwards the host's dpkg database and /etc know nothing of it.
 */
// One booted systemd at a time: each takes a cgroup and namespaces of its own, and a boot is heavy.
@ResourceLock("systemd-booted")
class DebPackageIT
{
    private static final Path ROOT = SystemdInNamespaces.ROOT;
    private static final String DEB = "seqbus_" + System.getProperty("seqbus.version", "0.1.0-SNAPSHOT") + "_all.deb";
    private static final String SOCKET = "/run/seqbus/seqbus.sock";
    private static final String USER = "deb-client";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private SystemdInNamespaces systemd;
    /** Set once a boot began: from then on the host must be found untouched afterwards. */
    private boolean booting;

    @AfterEach
    void halt() throws Exception
    {
        if (systemd != null)
        {
            // Halted, the namespaces and the overlay are gone: only then is the host's state final.
            systemd.close();
        }
        if (booting)
        {
            assertHostUntouched();
        }
    }

    @Test
    void installsServesReloadsRestartsAndRemovesCleanly() throws Exception
    {
        assertThat(host("id", "-u").out()).as("needs root: namespaces, overlay mounts, systemd as PID 1").isEqualTo("0");
        assertThat(ROOT.resolve("ops/target").resolve(DEB)).as("mvn package builds it").exists();
        assertThat(host("dpkg", "-s", "seqbus").exit()).as("the host must not have seqbus installed").isNotZero();
        assertThat(host("getent", "group", "seqbus").exit()).as("the host must have no group seqbus").isNotZero();

        final Path target = dir.resolve("seqbus-deb-it.target");
        Files.writeString(target, "[Unit]\nDescription=seqbus .deb IT\nDefaultDependencies=no\n");
        boot(target);

        // A container image's policy-rc.d (exit 101) forbids maintainer scripts to start services;
        // this test system is not that container: allow them, in the overlay only.
        assertThat(systemd.run("rm", "-f", "/usr/sbin/policy-rc.d").exit()).isZero();
        skipManDbTrigger();
        final SystemdInNamespaces.Result install = systemd.run("dpkg", "-i", "/run/testbed-src/ops/target/" + DEB);
        assertThat(install.exit()).as(install.all()).isZero();
        assertThat(systemd.run("getent", "passwd", "seqbus").out()).as("postinst made the system user").startsWith("seqbus:");
        assertThat(systemd.systemctl("is-enabled", "seqbus.socket")).isEqualTo("enabled");
        await().atMost(WAIT).until(() -> "active".equals(systemd.systemctl("is-active", "seqbus.socket")));
        // The bus socket brings the metrics port along (Wants=), so that a scrape starts the broker too.
        await().atMost(WAIT).until(() -> "active".equals(systemd.systemctl("is-active", "seqbus-metrics.socket")));
        assertThat(systemd.systemctl("is-active", "seqbus.service")).as("lazy: no client yet").isEqualTo("inactive");
        assertThat(systemd.run("stat", "-c", "%a %G %F", SOCKET).out()).isEqualTo("660 seqbus socket");
        // A man page and completion for every command Main has, whoever added it.
        final String completion = systemd.run("cat", "/usr/share/bash-completion/completions/seqbus").out();
        for (final String command : new CommandLine(new Main()).getSubcommands().keySet())
        {
            assertThat(systemd.run("test", "-s", "/usr/share/man/man1/seqbus-" + command + ".1.gz").exit()).as(command).isZero();
            assertThat(completion).as(command).contains(command);
        }
        assertThat(systemd.run("zgrep", "-F", "-c", "max\\-queue\\-bytes", "/usr/share/man/man1/seqbus-broker.1.gz").out())
            .as("the broker's setting flags are in its man page").isNotEqualTo("0");
        assertThat(completion).as("and in the completion").contains("--max-queue-bytes");
        assertThat(systemd.run("man", "-w", "seqbus-sub").out()).isEqualTo("/usr/share/man/man1/seqbus-sub.1.gz");
        assertThat(systemd.run("dpkg-query", "-W", "-f", "${Conffiles}", "seqbus").out()).contains("/etc/seqbus/seqbus.conf");

        // A user of group seqbus, nothing more, publishes and subscribes.
        assertThat(systemd.run("useradd", "--no-create-home", "--groups", "seqbus", USER).exit()).isZero();
        final Process sub = asUser("seqbus", "sub", "deb.>", "--count", "2");
        final BufferedReader subErr = reader(sub.getErrorStream());
        assertThat(subErr.readLine()).as(systemd.log()).startsWith("seqbus: subscribed to");
        final Process pub = asUser("seqbus", "pub", "deb.hello", "hello from " + USER);
        assertThat(pub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(pub.exitValue()).as(new String(pub.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        final Process pub2 = asUser("seqbus", "pub", "deb.bye", "bye");
        assertThat(pub2.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("hello from " + USER + "\nbye\n");
        assertThat(sub.exitValue()).isZero();

        // Reload, restart and upgrade while the user's connect loop never pauses: no connect refused.
        final ConnectLoop loop = new ConnectLoop(asUser(ConnectLoop.command(SOCKET).toArray(new String[0])), systemd);
        await().atMost(WAIT).until(() -> systemd.systemctl("show", "-p", "ActiveState,SubState", "seqbus.service"),
            "ActiveState=active\nSubState=running"::equals);
        final String firstPid = systemd.systemctl("show", "-p", "MainPID", "seqbus.service");
        final SystemdInNamespaces.Result reload = systemd.run("systemctl", "reload", "seqbus");
        assertThat(reload.exit()).as(reload.all() + "\n" + systemd.log()).isZero();
        assertThat(systemd.systemctl("show", "-p", "MainPID", "seqbus.service")).as("a reload keeps the broker").isEqualTo(firstPid);
        final SystemdInNamespaces.Result restart = systemd.run("systemctl", "restart", "seqbus");
        assertThat(restart.exit()).as(restart.all() + "\n" + systemd.log()).isZero();
        final String secondPid = systemd.systemctl("show", "-p", "MainPID", "seqbus.service");
        assertThat(secondPid).isNotEqualTo(firstPid);
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("active");
        // An upgrade (here the same version again) restarts the running broker on the new files.
        final SystemdInNamespaces.Result upgrade = systemd.run("dpkg", "-i", "/run/testbed-src/ops/target/" + DEB);
        assertThat(upgrade.exit()).as(upgrade.all()).isZero();
        assertThat(systemd.systemctl("show", "-p", "MainPID", "seqbus.service")).isNotEqualTo(secondPid);
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("active");
        final ConnectLoop.Summary summary = loop.stop();
        System.out.println("connect loop across reload, restart and upgrade of the installed package: " + summary.line());
        assertThat(summary.brokers()).as("served before and after the restart and the upgrade").isEqualTo(3);

        // Remove: binaries and units go, the operator's config stays; purge takes that too.
        systemd.run("sh", "-c", "echo 'log_level = \"debug\"' >> /etc/seqbus/seqbus.conf");
        final SystemdInNamespaces.Result remove = systemd.run("dpkg", "-r", "seqbus");
        assertThat(remove.exit()).as(remove.all()).isZero();
        for (final String gone : List.of("/usr/bin/seqbus", "/usr/lib/seqbus", "/lib/systemd/system/seqbus.service",
            "/lib/systemd/system/seqbus.socket", "/lib/systemd/system/seqbus-metrics.socket",
            "/usr/share/man/man1/seqbus.1.gz", "/usr/share/doc/seqbus/README.md"))
        {
            assertThat(systemd.run("test", "-e", gone).exit()).as(gone + " removed").isNotZero();
        }
        assertThat(systemd.run("grep", "-c", "log_level = \"debug\"", "/etc/seqbus/seqbus.conf").out()).isEqualTo("1");
        assertThat(systemd.systemctl("is-active", "seqbus.socket")).isNotEqualTo("active");
        assertThat(systemd.systemctl("is-active", "seqbus-metrics.socket")).isNotEqualTo("active");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isNotEqualTo("active");
        assertThat(systemd.run("dpkg-query", "-W", "-f", "${Status}", "seqbus").out()).isEqualTo("deinstall ok config-files");
        final SystemdInNamespaces.Result purge = systemd.run("dpkg", "-P", "seqbus");
        assertThat(purge.exit()).as(purge.all()).isZero();
        assertThat(systemd.run("test", "-e", "/etc/seqbus").exit()).as("purge removes the config").isNotZero();
        for (final String link : List.of("sockets.target.wants/seqbus.socket", "seqbus.socket", "seqbus.service"))
        {
            assertThat(systemd.run("test", "-e", "/etc/systemd/system/" + link).exit()).as("no enable or mask left: " + link)
                .isNotZero();
        }
        assertThat(systemd.run("dpkg", "-s", "seqbus").exit()).isNotZero();
    }

    @Test
    void withoutSysusersAndDebSystemdHelperFallsBackToAdduserAndSystemctl() throws Exception
    {
        assertThat(host("id", "-u").out()).as("needs root: namespaces, overlay mounts, systemd as PID 1").isEqualTo("0");
        assertThat(host("dpkg", "-s", "seqbus").exit()).as("the host must not have seqbus installed").isNotZero();
        final Path target = dir.resolve("seqbus-deb-it.target");
        Files.writeString(target, "[Unit]\nDescription=seqbus .deb IT\nDefaultDependencies=no\n");
        boot(target);
        // A system without them (in the overlay only): the maintainer scripts take the other way.
        assertThat(systemd.run("rm", "-f", "/usr/sbin/policy-rc.d", "/usr/bin/systemd-sysusers", "/bin/systemd-sysusers",
            "/usr/bin/deb-systemd-helper", "/usr/bin/deb-systemd-invoke").exit()).isZero();
        assertThat(systemd.run("sh", "-c", "command -v systemd-sysusers deb-systemd-helper deb-systemd-invoke").out()).isEmpty();
        skipManDbTrigger();

        final SystemdInNamespaces.Result install = systemd.run("dpkg", "-i", "/run/testbed-src/ops/target/" + DEB);
        assertThat(install.exit()).as(install.all()).isZero();
        assertThat(systemd.run("getent", "passwd", "seqbus").out()).as("adduser made the system user").startsWith("seqbus:");
        assertThat(systemd.run("id", "-gn", "seqbus").out()).isEqualTo("seqbus");
        assertThat(systemd.systemctl("is-enabled", "seqbus.socket")).isEqualTo("enabled");
        await().atMost(WAIT).until(() -> "active".equals(systemd.systemctl("is-active", "seqbus.socket")));

        final SystemdInNamespaces.Result remove = systemd.run("dpkg", "-r", "seqbus");
        assertThat(remove.exit()).as(remove.all()).isZero();
        assertThat(systemd.systemctl("is-active", "seqbus.socket")).isNotEqualTo("active");
        assertThat(systemd.run("test", "-f", "/etc/seqbus/seqbus.conf").exit()).isZero();
        final SystemdInNamespaces.Result purge = systemd.run("dpkg", "-P", "seqbus");
        assertThat(purge.exit()).as(purge.all()).isZero();
        assertThat(systemd.run("test", "-e", "/etc/seqbus").exit()).isNotZero();
        assertThat(systemd.run("test", "-e", "/etc/systemd/system/sockets.target.wants/seqbus.socket").exit()).isNotZero();
    }

    private void assertHostUntouched() throws Exception
    {
        assertThat(host("dpkg", "-s", "seqbus").exit()).as("host dpkg database untouched").isNotZero();
        assertThat(host("getent", "group", "seqbus").exit()).as("host /etc/group untouched").isNotZero();
        assertThat(host("getent", "passwd", USER).exit()).as("host /etc/passwd untouched").isNotZero();
        for (final String path : List.of("/usr/lib/seqbus", "/usr/bin/seqbus", "/etc/seqbus",
            "/lib/systemd/system/seqbus.socket", "/etc/systemd/system/sockets.target.wants/seqbus.socket"))
        {
            assertThat(Path.of(path)).as("host " + path).doesNotExist();
        }
    }

    private void boot(final Path target) throws Exception
    {
        booting = true;
        systemd = SystemdInNamespaces.bootOverlay(target, dir);
    }

    /**
     * Debian's man-db updates its index whenever dpkg adds or removes man pages (a trigger): 3-4 s of CPU each time
     * here, 18 s over this class, on a CI machine whose two cores the other tests need. Without
     * {@code /var/lib/man-db/auto-update} the trigger does nothing. In the overlay only: what is tested is seqbus's
     * own maintainer scripts.
     */
    private void skipManDbTrigger() throws Exception
    {
        assertThat(systemd.run("rm", "-f", "/var/lib/man-db/auto-update").exit()).isZero();
    }

    /** A command inside as the test user, with a clean environment, as a login would give. */
    private Process asUser(final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER,
            "--init-groups", "env", "-i", "PATH=/usr/bin:/bin", "HOME=/tmp", "SEQBUS_SOCKET=" + SOCKET));
        full.addAll(List.of(command));
        return systemd.start(full);
    }

    private static SystemdInNamespaces.Result host(final String... command) throws Exception
    {
        return SystemdInNamespaces.result(new ProcessBuilder(command).start(), command);
    }

    private static BufferedReader reader(final java.io.InputStream in)
    {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
}

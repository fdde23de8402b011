package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An idle host pages nobody: with only {@code seqbus.socket} enabled no broker runs until someone connects, and
 * before the metrics port was a socket unit of its own ({@code seqbus-metrics.socket}, pulled in by
 * {@code seqbus.socket}) a scrape found nothing listening, so {@code SeqbusBrokerDown} (critical) fired on a
 * healthy host. Now a scrape starts the broker, which answers it on the port systemd passed, and the port
 * outlives every broker: restarted, or stopped and started again by the next scrape. Under a real systemd
 * booted in namespaces ({@link SystemdInNamespaces}); the alert rules' side of the idle host is
 * {@code seqbus-alerts.test.yml} ({@link PromtoolTest}).
 */
class MetricsActivationIT
{
    private static final String TARGET = "seqbus-metrics-it.target";
    private static final String METRICS = "http://127.0.0.1:9464/metrics";
    private static final String HEALTH = "http://127.0.0.1:9464/health";
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
    void aScrapeStartsTheIdleBrokerAndThePortOutlivesIt() throws Exception
    {
        final Path units = SystemdInNamespaces.units(dir, TARGET, "seqbus.socket", "seqbus-metrics.socket");
        systemd = SystemdInNamespaces.boot(units, TARGET, dir);

        await().atMost(WAIT).until(() -> "active".equals(systemd.systemctl("is-active", "seqbus.socket")));
        assertThat(systemd.systemctl("is-active", "seqbus-metrics.socket"))
            .as("seqbus.socket brings the metrics port along").isEqualTo("active");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).as("nobody has connected").isEqualTo("inactive");

        // The first scrape starts the broker and is answered by it.
        final String first = scrape(METRICS);
        assertThat(first).contains("seqbus_healthy 1.0", "seqbus_agent_duty_cycles_total");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("active");
        assertThat(scrape(HEALTH)).contains("\"status\":\"up\"");
        assertThat(promtoolCheck(first)).as("promtool check metrics on the activated broker").isEmpty();
        final String firstPid = systemd.systemctl("show", "-p", "MainPID", "seqbus.service");

        // A restarted broker takes the same port over: the old one must not have shut it down on its way out.
        assertThat(systemd.systemctl("restart", "seqbus.service")).isEmpty();
        assertThat(scrape(METRICS)).contains("seqbus_healthy 1.0");
        assertThat(systemd.systemctl("show", "-p", "MainPID", "seqbus.service")).isNotEqualTo(firstPid);

        // Stopped, the broker leaves the port to systemd, and the next scrape starts it again.
        assertThat(systemd.systemctl("stop", "seqbus.service")).contains("can still be activated by")
            .contains("seqbus-metrics.socket");
        assertThat(systemd.systemctl("is-active", "seqbus-metrics.socket")).isEqualTo("active");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("inactive");
        assertThat(scrape(METRICS)).contains("seqbus_healthy 1.0");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("active");
        assertThat(systemd.systemctl("show", "-p", "NRestarts", "seqbus.service"))
            .as("no failure restart").isEqualTo("NRestarts=0");
    }

    /** An HTTP GET from inside the namespaces, as Prometheus would do it; the body of a 200. */
    private String scrape(final String url) throws Exception
    {
        final PromtoolTest.Result get = systemd.run("curl", "-sS", "-m", "50", "-w", "\n%{http_code}", url);
        assertThat(get.exit()).as(get.output() + "\n" + systemd.log()).isZero();
        assertThat(get.output()).as(systemd.log()).endsWith("\n200");
        return get.output();
    }

    private String promtoolCheck(final String scrape) throws Exception
    {
        final Path file = dir.resolve("scrape.txt");
        Files.writeString(file, scrape.substring(0, scrape.lastIndexOf('\n') + 1));
        final PromtoolTest.Result lint = PromtoolTest.promtool(file, "check", "metrics");
        return lint.output();
    }
}

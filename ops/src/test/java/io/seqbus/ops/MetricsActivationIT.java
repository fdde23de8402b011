package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
// One booted systemd at a time: each takes a cgroup and namespaces of its own, and a boot is heavy.
@ResourceLock("systemd-booted")
class MetricsActivationIT
{
    private static final String TARGET = "seqbus-metrics-it.target";
    private static final String METRICS = "http://127.0.0.1:9464/metrics";
    private static final String HEALTH = "http://127.0.0.1:9464/health";
    /** Prometheus inside the namespaces, on a port of this test's range. */
    private static final String PROMETHEUS = "http://127.0.0.1:19230";
    private static final Duration WAIT = Duration.ofSeconds(90);

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

        // Prometheus, with the shipped rules, finds the idle host: its first scrape starts the broker, the target is
        // up, and after several evaluations no alert fires or is pending.
        startPrometheus();
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() ->
            Double.parseDouble(promQuery("count_over_time(up{job=\"seqbus\"}[1m])")) >= 3);
        assertThat(promQuery("min_over_time(up{job=\"seqbus\"}[1m])")).as("every scrape succeeded").isEqualTo("1");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).as("Prometheus started it").isEqualTo("active");
        final SystemdInNamespaces.Result alerts = systemd.run("curl", "-sS", "-m", "10", PROMETHEUS + "/api/v1/alerts");
        assertThat(alerts.output()).as("no alert on an idle host").contains("\"alerts\":[]");
        final SystemdInNamespaces.Result rules = systemd.run("curl", "-sS", "-m", "10", PROMETHEUS + "/api/v1/rules");
        assertThat(rules.output()).as("the shipped rules are loaded").contains("SeqbusBrokerDown")
            .doesNotContain("\"health\":\"err");

        // A scrape is answered by the broker it started.
        final String first = scrape(METRICS);
        assertThat(first).contains("seqbus_healthy 1.0", "seqbus_agent_duty_cycles_total");
        assertThat(scrape(HEALTH)).contains("\"status\":\"up\"");
        assertThat(promtoolCheck(first)).as("promtool check metrics on the activated broker").isEmpty();
        final String firstPid = systemd.systemctl("show", "-p", "MainPID", "seqbus.service");

        // A restarted broker takes the same port over: the old one must not have shut it down on its way out.
        assertThat(systemd.run("systemctl", "restart", "seqbus.service").output()).isEmpty();
        assertThat(scrape(METRICS)).contains("seqbus_healthy 1.0");
        assertThat(systemd.systemctl("show", "-p", "MainPID", "seqbus.service")).isNotEqualTo(firstPid);

        // Stopped, the broker leaves the port to systemd, and the next scrape starts it again.
        assertThat(systemd.run("systemctl", "stop", "seqbus.service").output()).contains("can still be activated by")
            .contains("seqbus-metrics.socket");
        assertThat(systemd.systemctl("is-active", "seqbus-metrics.socket")).isEqualTo("active");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("inactive");
        assertThat(scrape(METRICS)).contains("seqbus_healthy 1.0");
        assertThat(systemd.systemctl("is-active", "seqbus.service")).isEqualTo("active");
        assertThat(systemd.systemctl("show", "-p", "NRestarts", "seqbus.service"))
            .as("no failure restart").isEqualTo("NRestarts=0");
    }

    /**
     * A real Prometheus inside the namespaces, as a transient unit of that systemd (DefaultDependencies=no, as
     * every unit there must), scraping the metrics port with the shipped alert rules. Its config sits
     * in this checkout's target folder, which the namespaces see under /run/testbed-src.
     */
    private void startPrometheus() throws Exception
    {
        final Path folder = Files.createDirectories(SystemdInNamespaces.ROOT.resolve("ops/target/metrics-activation-it"));
        Files.writeString(folder.resolve("prometheus.yml"), String.join("\n",
            // Prometheus's default scrape timeout (10 s): the first scrape waits while it starts the broker's JVM.
            "global: {scrape_interval: 10s, scrape_timeout: 10s, evaluation_interval: 1s}",
            "rule_files: ['/run/testbed-src/ops/prometheus/seqbus-alerts.yml']",
            "scrape_configs:",
            "  - job_name: seqbus",
            "    static_configs: [{targets: ['127.0.0.1:9464']}]",
            ""));
        final SystemdInNamespaces.Result run = systemd.run("systemd-run", "--unit=prometheus-it", "-p", "DefaultDependencies=no",
            "/usr/bin/prometheus", "--config.file=/run/testbed-src/ops/target/metrics-activation-it/prometheus.yml",
            "--storage.tsdb.path=/run/prometheus-it", "--web.listen-address=" + PROMETHEUS.substring("http://".length()));
        assertThat(run.exit()).as(run.output()).isZero();
    }

    /** The value of a one-series instant query, or "" when it has none. */
    private String promQuery(final String promql) throws Exception
    {
        final SystemdInNamespaces.Result get = systemd.run("curl", "-sS", "-m", "10", "-G", PROMETHEUS + "/api/v1/query",
            "--data-urlencode", "query=" + promql);
        final Matcher value = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"\\]")
            .matcher(get.output());
        return value.find() ? value.group(1) : "";
    }

    /** An HTTP GET from inside the namespaces, as Prometheus would do it; the body of a 200. */
    private String scrape(final String url) throws Exception
    {
        final SystemdInNamespaces.Result get = systemd.run("curl", "-sS", "-m", "50", "-w", "\n%{http_code}", url);
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

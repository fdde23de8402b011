package io.seqbus.ops;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code src/test/resources/connect-loop.py} inside a {@link SystemdInNamespaces}: it connects to the broker
 * without pause, across restarts, until its input closes, and then says what it saw.
 */
final class ConnectLoop
{
    private static final Pattern COUNTS =
        Pattern.compile("attempts=(\\d+) welcomed=(\\d+) refused=(\\d+) retried=(\\d+) resets=(\\d+) brokers=(\\d+)");

    private final Process loop;
    private final BufferedReader out;

    /**
     * @return the loop's command inside the namespaces, where this checkout is /run/testbed-src.
     */
    static List<String> command(final String socket)
    {
        return List.of("/usr/bin/python3", "/run/testbed-src/ops/src/test/resources/connect-loop.py", socket,
            "/run/testbed-src/examples/python");
    }

    /**
     * Takes over a started loop and waits until a broker has welcomed it.
     */
    ConnectLoop(final Process loop, final SystemdInNamespaces systemd) throws Exception
    {
        this.loop = loop;
        out = new BufferedReader(new InputStreamReader(loop.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as(systemd.log()).isEqualTo("started");
    }

    /**
     * Stops the loop and checks that no connect was refused and every attempt was welcomed.
     *
     * @return its summary line and how many brokers served it.
     */
    Summary stop() throws Exception
    {
        loop.getOutputStream().close();
        final String summary = out.readLine();
        assertThat(loop.waitFor(60, TimeUnit.SECONDS)).isTrue();
        final String err = new String(loop.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        final Matcher counts = COUNTS.matcher(summary == null ? "" : summary);
        assertThat(counts.matches()).as(summary + "\n" + err).isTrue();
        assertThat(counts.group(3)).as("refused connects: " + summary + "\n" + err).isEqualTo("0");
        assertThat(counts.group(2)).as("every attempt welcomed: " + summary).isEqualTo(counts.group(1));
        return new Summary(summary, Integer.parseInt(counts.group(6)));
    }

    record Summary(String line, int brokers)
    {
    }
}

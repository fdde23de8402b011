package io.seqbus.ops;

import io.seqbus.wire.StatRequestFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A broker that takes the connection and never answers (wedged) makes {@code seqbus stat}, {@code top} and
 * {@code reload} fail with a clear error once the reply timeout has passed, not hang; one that hangs up says so.
 * The "broker" is a SEQPACKET socket held by python3 that listens and never accepts: the kernel completes the
 * connection in its backlog, as with a broker whose thread is stuck. Without a reply timeout the first test hangs
 * in read: the class timeout fails it.
 */
@Timeout(120)
class StatClientTimeoutTest
{
    @TempDir
    Path dir;

    @Test
    void aBrokerThatNeverAnswersIsReportedAfterTheTimeout() throws Exception
    {
        final Path socket = dir.resolve("wedged.sock");
        final Process holder = listening(socket, "time.sleep(600)");
        try
        {
            final long start = System.nanoTime();
            try (StatClient client = StatClient.connect(socket.toString(), Duration.ofMillis(300)))
            {
                assertThatThrownBy(() -> client.request(StatRequestFrame.NO_CLIENTS))
                    .isInstanceOf(IOException.class)
                    .hasMessage("the broker did not answer a STAT_REQUEST within 300 ms (is it wedged? its log and "
                        + "/health say more)");
            }
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(tookMs).as("ms until the error").isGreaterThanOrEqualTo(300).isLessThan(30_000);
        }
        finally
        {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    @Test
    void aBrokerThatHangsUpIsNotATimeout() throws Exception
    {
        final Path socket = dir.resolve("gone.sock");
        final Process holder = listening(socket, "c, _ = s.accept(); c.recv(65536); c.close()");
        try
        {
            try (StatClient client = StatClient.connect(socket.toString(), Duration.ofSeconds(30)))
            {
                assertThatThrownBy(() -> client.request(StatRequestFrame.NO_CLIENTS))
                    .isInstanceOf(IOException.class)
                    .hasMessage("the broker closed the connection before its STAT_REPLY was complete");
            }
        }
        finally
        {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    /** python3 holding a listening SEQPACKET socket {@code s} at SOCKET, then running THEN; returned once it listens. */
    private static Process listening(final Path socket, final String then) throws IOException
    {
        final Process holder = new ProcessBuilder("/usr/bin/python3", "-c", """
            import socket, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.bind(sys.argv[1])
            s.listen(8)
            print("listening", flush=True)
            """ + then + "\n", socket.toString()).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
            StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("listening");
        return holder;
    }
}

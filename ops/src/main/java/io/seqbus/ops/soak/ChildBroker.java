package io.seqbus.ops.soak;

import io.seqbus.wire.BusSocket;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A broker started as a child process of the soak tool, with this JVM's class path, so that its
 * memory, descriptors and collections are its own and not mixed with the clients'.
 */
public final class ChildBroker implements AutoCloseable
{
    private final Process process;
    private final String socket;
    private final String metrics;
    private final Path log;

    private ChildBroker(final Process process, final String socket, final String metrics, final Path log)
    {
        this.process = process;
        this.socket = socket;
        this.metrics = metrics;
        this.log = log;
    }

    /**
     * Starts {@code seqbus broker} on a socket in {@code dir} with metrics on a free loopback
     * port, and waits until the socket accepts.
     *
     * @param dir      where the socket and the broker's log go.
     * @param javaOpts heap and collector options for the broker's JVM.
     * @return the running broker.
     * @throws IOException when it cannot be started or does not come up within 30 s.
     */
    public static ChildBroker start(final Path dir, final List<String> javaOpts) throws IOException
    {
        final String socket = dir.resolve("soak.sock").toString();
        final int port;
        try (ServerSocket probe = new ServerSocket(0))
        {
            port = probe.getLocalPort();
        }
        final Path log = dir.resolve("broker.log");
        final List<String> command = new java.util.ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(javaOpts);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.seqbus.ops.Main", "broker",
            "--socket", socket, "--metrics", "127.0.0.1:" + port));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        final ChildBroker broker = new ChildBroker(process, socket, "127.0.0.1:" + port, log);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!broker.accepts())
        {
            if (!process.isAlive() || System.nanoTime() - deadline > 0)
            {
                process.destroyForcibly();
                throw new IOException("the broker did not come up; its log:\n" + Files.readString(log));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return broker;
    }

    private boolean accepts()
    {
        if (!Files.exists(Path.of(socket)))
        {
            return false;
        }
        try
        {
            BusSocket.connect(socket).close();
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * @return the broker's socket path.
     */
    public String socket()
    {
        return socket;
    }

    /**
     * @return HOST:PORT of its metrics endpoint.
     */
    public String metrics()
    {
        return metrics;
    }

    /**
     * @return its process id.
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * @return where its stdout and stderr go.
     */
    public Path log()
    {
        return log;
    }

    /**
     * Stops it with SIGTERM (it drains and exits 0) and waits.
     */
    @Override
    public void close() throws IOException
    {
        process.destroy();
        try
        {
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}

package io.seqbus.broker.testing;

import io.seqbus.broker.config.BrokerContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A broker in a JVM of its own: the same java and class path as the test's, with the flags the broker needs
 * (Agrona's UnsafeBuffer reaches into jdk.internal.misc), so the test's JVM needs none. Its stdin is the
 * leash: closing it stops the broker, and it closes by itself when the test JVM dies; a shutdown hook
 * destroys the child too, for a test JVM that exits without stopping it.
 */
final class ChildBroker
{
    /** How long a child may take to accept connections. */
    private static final long START_TIMEOUT_S = 60;
    /** How long a stopping child may take to tell its clients and exit, before it is killed. */
    private static final long STOP_TIMEOUT_S = 15;

    private final Process process;
    private final Thread shutdownHook;

    private ChildBroker(final Process process)
    {
        this.process = process;
        shutdownHook = new Thread(process::destroyForcibly, "seqbus-broker-testing child " + process.pid());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a broker with this context in a child JVM and waits until it accepts connections.
     *
     * @param context     the broker's settings.
     * @param folder      a private folder for the context file.
     * @param jvmOptions  further options of the child JVM (heap, say).
     * @return the running child.
     */
    static ChildBroker start(final BrokerContext context, final Path folder, final List<String> jvmOptions)
    {
        final Path contextFile = folder.resolve("broker.properties");
        final Process process;
        try
        {
            ContextFile.write(context, contextFile);
            process = new ProcessBuilder(command(contextFile, jvmOptions))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start a broker JVM for " + context.socket(), ex);
        }
        final ChildBroker child = new ChildBroker(process);
        child.awaitReady(context.socket());
        return child;
    }

    static List<String> command(final Path contextFile, final List<String> jvmOptions)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports");
        command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        if (Runtime.version().feature() >= 22)
        {
            // junixsocket's native library: allowed explicitly, so Java 22+ prints no warning.
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        // Sized as SeqbusBroker's bounds need (about 140 MiB of direct memory, 120 MiB of heap); a quick start
        // matters more than peak speed in a test.
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ChildBrokerMain.class.getName());
        command.add(contextFile.toString());
        return command;
    }

    private void awaitReady(final String socket)
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        final CompletableFuture<Boolean> ready = new CompletableFuture<>();
        final Thread reader = new Thread(() ->
        {
            try
            {
                String line;
                while ((line = out.readLine()) != null)
                {
                    if (line.equals(ChildBrokerMain.READY))
                    {
                        ready.complete(true);
                    }
                    else
                    {
                        System.out.println(line);
                    }
                }
            }
            catch (final IOException ignore)
            {
                // The child is gone; its exit is what counts.
            }
            ready.complete(false);
        }, "seqbus-broker-testing output " + process.pid());
        reader.setDaemon(true);
        reader.start();
        final boolean started;
        try
        {
            started = ready.get(START_TIMEOUT_S, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while the broker JVM for " + socket + " started", ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            stop();
            throw new IllegalStateException("the broker JVM for " + socket + " did not start within " +
                START_TIMEOUT_S + " s", ex);
        }
        if (!started)
        {
            stop();
            throw new IllegalStateException("the broker JVM for " + socket + " exited with status " +
                process.exitValue() + " before it accepted connections (its stderr is above)");
        }
    }

    /** @return the child's process id. */
    long pid()
    {
        return process.pid();
    }

    /**
     * Stops the broker as a restart would (clients hear SHUTTING_DOWN) and waits for the JVM to exit; kills it
     * if it takes too long.
     */
    void stop()
    {
        try
        {
            process.getOutputStream().close();
            if (!process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            }
        }
        catch (final IOException ex)
        {
            process.destroyForcibly();
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        finally
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // The hook is running or about to: it destroys an exited process, harmlessly.
            }
        }
    }
}

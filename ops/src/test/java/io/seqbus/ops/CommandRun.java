package io.seqbus.ops;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A command run to its end (exit code, standard output and error), and the facts a broker's log tells:
 * where its metrics are served.
 *
 * @param exit its exit code.
 * @param out  what it printed on standard output.
 * @param err  what it printed on standard error.
 */
record CommandRun(int exit, String out, String err)
{
    private static final Pattern METRICS = Pattern.compile("metrics on http://([^/\\s]+)/metrics");

    /**
     * @param env     added to the environment.
     * @param command the command.
     * @return how it ended, within 60 s.
     */
    static CommandRun run(final Map<String, String> env, final String... command) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(List.of(command));
        builder.environment().putAll(env);
        final Process p = builder.start();
        p.getOutputStream().close();
        final CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        final String out = read(p.getInputStream());
        if (!p.waitFor(60, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("still running after 60 s: " + String.join(" ", command));
        }
        return new CommandRun(p.exitValue(), out, err.get());
    }

    /** @return the launcher's command line: {@code ./seqbus ARGS}. */
    static String[] seqbus(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(ProcessTestBase.LAUNCHER.toString()));
        command.addAll(List.of(args));
        return command.toArray(new String[0]);
    }

    /**
     * @param log a broker's log.
     * @return {@code http://HOST:PORT} where it serves /metrics and /health, or null before it says.
     */
    static String metricsBase(final Path log) throws IOException
    {
        final Matcher m = METRICS.matcher(Files.readString(log));
        return m.find() ? "http://" + m.group(1) : null;
    }

    /** @return the response to a GET. */
    static HttpResponse<String> get(final String url) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** Asserts exit code 0, with the output as the reason otherwise. */
    CommandRun succeeded()
    {
        assertThat(exit).as("exit code; out: " + out + " err: " + err).isZero();
        return this;
    }

    private static String read(final java.io.InputStream in)
    {
        try
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}

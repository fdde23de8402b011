package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code seqbus} command line as an unprivileged user (setpriv) without {@code --socket}: at
 * {@code /tmp/seqbus-UID/seqbus.sock}, whose folder another user may have made first. Needs root for
 * setpriv and chown, as CI has; fails loudly otherwise.
 */
class DefaultSocketIT extends ProcessTestBase
{
    private static final int USER = 61021;
    private static final int SQUATTER = 61022;
    private static final Path FOLDER = Path.of("/tmp/seqbus-" + USER);

    @BeforeEach
    @AfterEach
    void removeTheFolder() throws IOException
    {
        if (Files.exists(FOLDER, LinkOption.NOFOLLOW_LINKS))
        {
            try (Stream<Path> paths = Files.walk(FOLDER))
            {
                for (final Path p : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void brokerPubAndStatRefuseAFolderAnotherUserMadeFirst() throws Exception
    {
        assertThat(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(),
            StandardCharsets.US_ASCII).trim()).as("needs root for setpriv and chown").isEqualTo("0");
        Files.createDirectory(FOLDER);
        Files.setAttribute(FOLDER, "unix:uid", SQUATTER);
        Files.setAttribute(FOLDER, "unix:mode", 0777);
        final String refusal = "seqbus: refusing " + FOLDER + ": a directory owned by uid 61022, mode 0777; it must be " +
            "a directory of uid 61021 closed to writing by group and others (remove it, or set SEQBUS_SOCKET)";
        for (final String[] command : List.of(
            new String[] {"broker", "--metrics", "off"}, new String[] {"pub", "orders.secret", "card=4111"},
            new String[] {"stat"}))
        {
            final Process p = asUser(command);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            final String err = stderr(p);
            assertThat(p.exitValue()).as(err).isNotZero();
            assertThat(err).as(command[0]).contains(refusal.replace("seqbus: ", ""));
        }
        try (Stream<Path> left = Files.list(FOLDER))
        {
            assertThat(left).as("nothing bound in the squatted folder").isEmpty();
        }
    }

    @Test
    void theBrokerMakesTheFolderItsUsersAloneAndClientsMeetItThere() throws Exception
    {
        final Process broker = asUser("broker", "--metrics", "off");
        final Path socket = FOLDER.resolve("seqbus.sock");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        assertThat(Files.getAttribute(FOLDER, "unix:mode", LinkOption.NOFOLLOW_LINKS)).isEqualTo(040700);
        assertThat(Files.getAttribute(FOLDER, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(USER);
        final Process pub = asUser("pub", "orders.mine", "hello");
        assertThat(pub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(pub.exitValue()).as(stderr(pub)).isZero();
        broker.destroy();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    private Process asUser(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(
            "setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups", LAUNCHER.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf((k) -> k.startsWith("SEQBUS_") || k.startsWith("XDG_"));
        final Process p = builder.start();
        p.getOutputStream().close();
        started.add(p);
        return p;
    }

    private static String stderr(final Process p) throws IOException
    {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}

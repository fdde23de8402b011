package io.seqbus.broker.acl;

import io.seqbus.broker.config.BrokerConfig;
import io.seqbus.broker.config.BrokerContext;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The {@code pass_fds} permission as the config file states it: patterns per rule, the union over a peer's rules,
 * nothing by default, and never from {@code acl.default = "allow"}.
 */
class PassFdsTest
{
    @TempDir
    Path dir;

    @Test
    void onlyARulesPassFdsPatternsGrantIt() throws Exception
    {
        final AccessControl acl = load("""
            [acl]
            default = "allow"

            [[acl.rule]]
            uid = 61001
            publish = [">"]
            pass_fds = ["video.>", "ctl.*.fds"]

            [[acl.rule]]
            gid = 61100
            publish = [">"]
            pass_fds = ["audio.raw"]

            [[acl.rule]]
            uid = 61002
            publish = [">"]
            """);
        final Permissions both = acl.permissionsFor(61001, 61100);
        assertThat(mayPassFds(both, "video.cam1.frame")).isTrue();
        assertThat(mayPassFds(both, "ctl.a.fds")).isTrue();
        assertThat(mayPassFds(both, "audio.raw")).as("the group's rule adds to the user's").isTrue();
        assertThat(mayPassFds(both, "ctl.a.b.fds")).isFalse();
        assertThat(mayPassFds(both, "video")).isFalse();
        assertThat(both.passFdsPatterns()).containsExactly("video.>", "ctl.*.fds", "audio.raw");

        assertThat(mayPassFds(acl.permissionsFor(61002, 61002), "video.cam1.frame"))
            .as("a rule without pass_fds grants none").isFalse();
        assertThat(mayPassFds(acl.permissionsFor(61003, 61003), "video.cam1.frame"))
            .as("acl.default allow grants publishing, not passing descriptors").isFalse();
        assertThat(mayPassFds(Permissions.ALL, "anything")).isFalse();
        assertThat(acl.permissionsFor(61003, 61003).mayPublish(buffer("video.x"), 0, 7)).isTrue();
    }

    @Test
    void badPassFdsAreReportedNamingTheRule() throws Exception
    {
        final Path config = dir.resolve("bad.conf");
        Files.writeString(config, """
            metrics = "off"

            [[acl.rule]]
            uid = 61001
            pass_fds = "video.>"

            [[acl.rule]]
            uid = 61002
            pass_fds = ["a.>.b"]
            """);
        assertThat(catchThrowable(() -> new BrokerConfig(config, socketEnv(), Map.of()).load()))
            .hasMessageContaining("acl.rule #1: pass_fds = \"video.>\" is not allowed; allowed: an array of patterns")
            .hasMessageContaining("acl.rule #2: pass_fds entry \"a.>.b\" is not a valid pattern");
    }

    private AccessControl load(final String toml) throws Exception
    {
        final Path config = dir.resolve("seqbus.conf");
        Files.writeString(config, "metrics = \"off\"\n" + toml);
        final BrokerContext context = new BrokerConfig(config, socketEnv(), Map.of()).load();
        return context.accessControl();
    }

    private Map<String, String> socketEnv()
    {
        return Map.of("SEQBUS_SOCKET", dir.resolve("p.sock").toString());
    }

    private static boolean mayPassFds(final Permissions p, final String topic)
    {
        return p.mayPassFds(buffer(topic), 0, topic.length());
    }

    private static UnsafeBuffer buffer(final String topic)
    {
        return new UnsafeBuffer(topic.getBytes(StandardCharsets.UTF_8));
    }
}

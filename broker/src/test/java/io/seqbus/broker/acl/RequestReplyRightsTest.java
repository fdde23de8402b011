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
 * The {@code request} and {@code reply} verbs as the config file states them: patterns per rule, the union over a
 * peer's rules, and by default what {@code publish} (for request) and {@code subscribe} (for reply) allow.
 */
class RequestReplyRightsTest
{
    @TempDir
    Path dir;

    @Test
    void requestFollowsPublishAndReplyFollowsSubscribeUnlessARuleSaysOtherwise() throws Exception
    {
        final AccessControl acl = load("""
            [acl]
            default = "deny"

            [[acl.rule]]
            uid = 61001
            publish = ["orders.>"]
            subscribe = ["prices.*"]

            [[acl.rule]]
            uid = 61002
            publish = ["orders.>"]
            subscribe = ["svc.>"]
            request = ["svc.price"]
            reply = ["svc.quote"]

            [[acl.rule]]
            gid = 61100
            reply = []
            """);
        final Permissions defaults = acl.permissionsFor(61001, 61001);
        assertThat(mayRequest(defaults, "orders.new")).isTrue();
        assertThat(mayRequest(defaults, "prices.eu")).isFalse();
        assertThat(mayReply(defaults, "prices.eu")).isTrue();
        assertThat(mayReply(defaults, "orders.new")).isFalse();

        final Permissions own = acl.permissionsFor(61002, 61002);
        assertThat(mayRequest(own, "svc.price")).isTrue();
        assertThat(mayRequest(own, "orders.new")).as("request given: publish no longer implies it").isFalse();
        assertThat(own.mayPublish(buffer("orders.new"), 0, 10)).isTrue();
        assertThat(mayReply(own, "svc.quote")).isTrue();
        assertThat(mayReply(own, "svc.price")).as("reply given: subscribe no longer implies it").isFalse();
        assertThat(own.maySubscribe("svc.>")).isTrue();

        final Permissions withGroup = acl.permissionsFor(61001, 61100);
        assertThat(mayReply(withGroup, "prices.eu")).as("an empty reply list adds nothing to the union").isTrue();
        final Permissions groupOnly = acl.permissionsFor(61003, 61100);
        assertThat(mayReply(groupOnly, "prices.eu")).isFalse();
        assertThat(mayRequest(acl.permissionsFor(61004, 61004), "orders.new")).as("default deny").isFalse();

        assertThat(mayRequest(Permissions.ALL, "any.thing")).isTrue();
        assertThat(mayReply(Permissions.ALL, "any.thing")).isTrue();
        assertThat(mayRequest(Permissions.NONE, "any.thing")).isFalse();
    }

    @Test
    void badRequestPatternsAreReportedNamingTheRule() throws Exception
    {
        final Path config = dir.resolve("bad.conf");
        Files.writeString(config, """
            metrics = "off"

            [[acl.rule]]
            uid = 61001
            request = "svc.>"

            [[acl.rule]]
            uid = 61002
            reply = ["a.>.b"]
            """);
        assertThat(catchThrowable(() -> new BrokerConfig(config, socketEnv(), Map.of()).load()))
            .hasMessageContaining("acl.rule #1: request = \"svc.>\" is not allowed; allowed: an array of patterns")
            .hasMessageContaining("acl.rule #2: reply entry \"a.>.b\" is not a valid pattern");
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

    private static boolean mayRequest(final Permissions p, final String topic)
    {
        return p.mayRequest(buffer(topic), 0, topic.length());
    }

    private static boolean mayReply(final Permissions p, final String topic)
    {
        return p.mayReply(buffer(topic), 0, topic.length());
    }

    private static UnsafeBuffer buffer(final String topic)
    {
        return new UnsafeBuffer(topic.getBytes(StandardCharsets.UTF_8));
    }
}

package io.seqbus.broker.acl;

import io.seqbus.broker.config.BrokerConfig;
import io.seqbus.broker.config.BrokerContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The access rules' {@code group} verb (issue 19) as the config file gives it: a rule's list of queue groups, "*"
 * for any, the union over the rules that name a peer, and no list at all meaning any group.
 */
class GroupRuleTest
{
    @TempDir
    Path dir;

    @Test
    void theGroupListSaysWhichGroupsAndNoListMeansAny() throws Exception
    {
        final Path config = dir.resolve("seqbus.conf");
        Files.writeString(config, """
            [[acl.rule]]
            uid = 61020
            subscribe = ["jobs.>"]
            group = ["workers"]

            [[acl.rule]]
            gid = 61021
            subscribe = ["jobs.>"]
            group = ["audit"]

            [[acl.rule]]
            uid = 61022
            subscribe = ["jobs.>"]

            [[acl.rule]]
            uid = 61023
            subscribe = ["jobs.>"]
            group = ["*"]
            """);
        final BrokerContext context = new BrokerConfig(config, Map.of(), Map.of()).load();
        final AccessControl rules = context.accessControl();
        final Permissions both = rules.permissionsFor(61020, 61021);
        assertThat(both.mayJoin("workers")).isTrue();
        assertThat(both.mayJoin("audit")).as("the union of the rules naming it").isTrue();
        assertThat(both.mayJoin("billing")).isFalse();
        assertThat(rules.permissionsFor(61022, 61022).mayJoin("anything")).as("no group list: any group").isTrue();
        assertThat(rules.permissionsFor(61023, 61023).mayJoin("anything")).isTrue();
    }

    @Test
    void aBadGroupEntryNamesTheRuleAndWhatIsAllowed() throws Exception
    {
        final Path config = dir.resolve("bad.conf");
        Files.writeString(config, """
            [[acl.rule]]
            uid = 1
            group = ["a.b", ""]

            [[acl.rule]]
            uid = 2
            group = "workers"
            """);
        assertThat(catchThrowable(new BrokerConfig(config, Map.of(), Map.of())::load))
            .hasMessageContaining("acl.rule #1: group entry \"a.b\" is not a queue group name")
            .hasMessageContaining("acl.rule #1: group entry \"\" is not a queue group name")
            .hasMessageContaining("acl.rule #2: group = \"workers\" is not allowed");
    }
}

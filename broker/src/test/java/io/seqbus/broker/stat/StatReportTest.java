package io.seqbus.broker.stat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.BuildInfo;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.StatRequestFrame;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The STAT document is JSON whatever the names in it hold: quotes, backslashes, line breaks and
 * control characters come back as written.
 */
class StatReportTest
{
    @Test
    void namesWithQuotesAndControlCharactersSurviveAsJson() throws Exception
    {
        final String node = "node \"one\"\\ \n\t\u0001 é";
        final BrokerContext context = new BrokerContext().nodeName(node).nodeId(-2).socket("@bus \"x\"");
        final BrokerCounters counters = new BrokerCounters();
        counters.add(BrokerCounters.MESSAGES_PUBLISHED, 42);

        final StatReport.Facts facts = new StatReport.Facts("@bus \"x\"", 12, new BuildInfo("1.2.3", "abc"),
            new ReloadOutcome(2, ReloadOutcome.REFUSED, "bad \"key\"", 99));
        final String document = StatReport.build(context, counters, List.of(), null, 0, 7, null, 0, facts);

        final JsonNode root = new ObjectMapper().readTree(document);
        assertThat(root.at("/broker/node").asText()).isEqualTo(node);
        assertThat(root.at("/broker/socket").asText()).isEqualTo("@bus \"x\"");
        assertThat(root.at("/broker/node_id").asLong()).as("unsigned").isEqualTo(0xFFFF_FFFEL);
        assertThat(root.at("/broker/uptime_seconds").asLong()).isEqualTo(7);
        assertThat(root.at("/broker/pid").asLong()).isEqualTo(12);
        assertThat(root.at("/broker/version").asText()).isEqualTo("1.2.3");
        assertThat(root.at("/broker/revision").asText()).isEqualTo("abc");
        assertThat(root.at("/broker/reload/generation").asLong()).isEqualTo(2);
        assertThat(root.at("/broker/reload/status").asText()).isEqualTo("refused");
        assertThat(root.at("/broker/reload/message").asText()).isEqualTo("bad \"key\"");
        assertThat(root.at("/totals/messages_published").asLong()).isEqualTo(42);
        assertThat(root.get("clients").isArray()).isTrue();
        assertThat(root.get("clients")).isEmpty();
        assertThat(root.has("topics")).as("no rates, no topics").isFalse();
        assertThat(root.has("lan")).isFalse();

        final JsonNode bare = new ObjectMapper().readTree(StatReport.build(context, counters, List.of(), null,
            StatRequestFrame.NO_CLIENTS | StatRequestFrame.NO_TOPICS, 7, null, 0, facts));
        assertThat(bare.has("clients")).isFalse();
    }

    @Test
    void patternsAreForTheirOwnUidRootAndTheBrokersUserOnly()
    {
        final int own = (int)io.seqbus.wire.DefaultSocket.uid();
        assertThat(StatReport.mayReadPatterns(61011, 61011)).as("same uid").isTrue();
        assertThat(StatReport.mayReadPatterns(0, 61011)).as("root").isTrue();
        assertThat(StatReport.mayReadPatterns(own, 61011)).as("the broker's user").isTrue();
        assertThat(StatReport.mayReadPatterns(61012, 61011)).as("another user").isEqualTo(own == 61012);
        assertThat(StatReport.mayReadPatterns(61012, own)).as("another user, the broker's clients").isFalse();
    }
}

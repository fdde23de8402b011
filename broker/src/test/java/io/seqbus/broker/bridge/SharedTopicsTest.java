package io.seqbus.broker.bridge;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which topics cross to the LAN, and which subscriptions a GAP from the LAN concerns.
 */
class SharedTopicsTest
{
    private final SharedTopics shared = new SharedTopics(List.of("orders.>", "prices.*.eu"));

    @Test
    void matchesSharedTopicsOnly()
    {
        assertThat(matches("orders.eu.created")).isTrue();
        assertThat(matches("prices.fx.eu")).isTrue();
        assertThat(matches("prices.fx.us")).isFalse();
        assertThat(matches("orders")).isFalse();
        assertThat(matches("local.thing")).isFalse();
        assertThat(new SharedTopics(List.of()).matches(buffer("orders.eu"), 0, "orders.eu".length())).isFalse();
    }

    @Test
    void aSubscriptionIsConcernedWhenSomeTopicMatchesItAndASharedPattern()
    {
        assertThat(shared.overlaps("orders.eu.created")).isTrue();
        assertThat(shared.overlaps("orders.*")).isTrue();
        assertThat(shared.overlaps(">")).isTrue();
        assertThat(shared.overlaps("*.fx.*")).isTrue();
        assertThat(shared.overlaps("prices.fx.us")).isFalse();
        assertThat(shared.overlaps("prices.>")).isTrue();
        assertThat(shared.overlaps("orders")).isFalse();
        assertThat(shared.overlaps("local.>")).isFalse();
        assertThat(shared.overlaps("*")).isFalse();
    }

    private boolean matches(final String topic)
    {
        return shared.matches(buffer(topic), 0, topic.getBytes(StandardCharsets.UTF_8).length);
    }

    private static UnsafeBuffer buffer(final String topic)
    {
        return new UnsafeBuffer(topic.getBytes(StandardCharsets.UTF_8));
    }
}

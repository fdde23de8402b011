package io.seqbus.broker.testing;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.BuildInfo;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.stat.StatReport;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * This module's test class path is what a service gets from seqbus-broker-testing (plus the client):
 * Aeron, Micrometer and Jackson's databind and TOML reader are excluded (jackson-core, one jar
 * without dependencies, stays for the STAT document). The broker must start, serve and stop
 * without them.
 */
class NoHeavyDependenciesTest
{
    @RegisterExtension
    static final SeqbusBroker BROKER = new SeqbusBroker();

    @ParameterizedTest
    @ValueSource(strings = {
        "io.aeron.Aeron",
        "io.aeron.driver.MediaDriver",
        "io.micrometer.core.instrument.MeterRegistry",
        "io.micrometer.prometheusmetrics.PrometheusMeterRegistry",
        "com.fasterxml.jackson.databind.ObjectMapper",
        "com.fasterxml.jackson.dataformat.toml.TomlMapper",
    })
    void isNotOnTheClassPath(final String className)
    {
        assertThatThrownBy(() -> Class.forName(className)).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void brokerServesAndStopsWithoutThem()
    {
        try (BusClient bus = BusClient.connect(new ClientOptions().socket(BROKER.socket())))
        {
            bus.sync(Duration.ofSeconds(5));
            assertThat(bus.isConnected()).isTrue();
        }
        BROKER.stop();
        BROKER.start();
        assertThat(BROKER.broker().agentFailure()).isNull();
    }

    @Test
    void theStatDocumentIsWrittenWithoutThem()
    {
        final String document = StatReport.build(new BrokerContext().nodeName("plain"), new BrokerCounters(),
            List.of(), null, 0, 1, null, 0,
            new StatReport.Facts("@plain", 1, BuildInfo.BROKER, ReloadOutcome.BEFORE_FIRST));
        assertThat(document).startsWith("{\"broker\":{\"node\":\"plain\"").contains("\"totals\":{");
    }
}

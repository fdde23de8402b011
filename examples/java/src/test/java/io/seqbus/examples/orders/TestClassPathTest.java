package io.seqbus.examples.orders;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A service that tests against seqbus-broker-testing gets the broker without its LAN bridge,
 * metrics and config file libraries: none of them is on this test class path. And the tests run in a JVM with
 * no flags, as a service's would (seqbus-broker-testing then runs the broker in a JVM of its own).
 */
class TestClassPathTest
{
    @ParameterizedTest
    @ValueSource(strings = {
        "io.aeron.Aeron",
        "io.micrometer.core.instrument.MeterRegistry",
        "com.fasterxml.jackson.databind.ObjectMapper",
    })
    void hasNoAeronMicrometerOrJackson(final String className)
    {
        assertThatThrownBy(() -> Class.forName(className)).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void theTestJvmHasNoSeqbusFlags()
    {
        assertThat(ManagementFactory.getRuntimeMXBean().getInputArguments())
            .noneMatch((argument) -> argument.contains("add-exports") || argument.contains("jdk.internal.misc"));
        assertThat(Object.class.getModule().isExported("jdk.internal.misc", getClass().getModule())).isFalse();
    }
}

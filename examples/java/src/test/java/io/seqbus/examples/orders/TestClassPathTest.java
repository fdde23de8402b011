package io.seqbus.examples.orders;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A service that tests against seqbus-broker-testing gets the broker without its LAN bridge,
 * metrics and config file libraries: none of them is on this test class path.
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
}

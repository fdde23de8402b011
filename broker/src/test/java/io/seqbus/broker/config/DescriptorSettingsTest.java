package io.seqbus.broker.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The descriptor settings of issue 14 as an operator writes them: sizes as numbers or with a binary unit, in the
 * file, the environment and flags, their defaults, and the ranges that tie them together.
 */
class DescriptorSettingsTest
{
    private static final long MIB = 1024 * 1024;
    private static final long GIB = 1024 * MIB;

    @TempDir
    Path dir;

    @Test
    void defaultsAreTheOnesTheDesignFixed()
    {
        final BrokerContext c = new BrokerContext();
        assertThat(c.maxDescriptorsPerMessage()).isEqualTo(8);
        assertThat(c.maxDescriptorsPerDatagram()).isEqualTo(64);
        assertThat(c.maxMemfdSize()).isEqualTo(GIB);
        assertThat(c.maxDescriptorBytesPerSubscriber()).isEqualTo(2 * GIB);
        assertThat(c.maxDescriptorBytesTotal()).isEqualTo(16 * GIB);
        assertThat(c.maxDescriptorMessagesHeld()).isEqualTo(4096);
        assertThat(c.maxDescriptorsInFlight()).isEqualTo(8192);
        assertThat(c.lanMaxPayload()).isEqualTo(8 * MIB);
    }

    @Test
    void sizesTakeBinaryUnitsOrPlainNumbersFromEverySource() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("s.conf"), "max_memfd_size = \"256MiB\"\n" +
            "max_descriptor_bytes_total = 34359738368\n[lan]\nmax_payload = \"1_024 KiB\"\n");
        final BrokerContext c = new BrokerConfig(file, Map.of("SEQBUS_SOCKET", dir.resolve("a.sock").toString(),
            "SEQBUS_MAX_DESCRIPTOR_BYTES_PER_SUBSCRIBER", "3GiB"), Map.of("metrics", "off")).load();
        assertThat(c.maxMemfdSize()).isEqualTo(256 * MIB);
        assertThat(c.maxDescriptorBytesTotal()).isEqualTo(32 * GIB);
        assertThat(c.lanMaxPayload()).isEqualTo(MIB);
        assertThat(c.maxDescriptorBytesPerSubscriber()).isEqualTo(3 * GIB);
    }

    @Test
    void aMemfdSizeOneJavaBufferCannotMapIsRefused()
    {
        assertThatThrownBy(() -> load(Map.of("max_memfd_size", "2GiB")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("max_memfd_size = '2GiB' is out of range; allowed: a size in bytes in " +
                "0..2147483647");
        assertThatThrownBy(() -> load(Map.of("max_memfd_size", "lots")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("is not a size");
        assertThatThrownBy(() -> load(Map.of("lan.max_payload", "2GiB")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("lan.max_payload = '2GiB' is out of range");
    }

    @Test
    void theDatagramBoundHoldsAMessageAndThePoolHoldsADatagram()
    {
        assertThatThrownBy(() -> load(Map.of("max_descriptors_per_message", "16", "max_descriptors_per_datagram", "8")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("max_descriptors_per_datagram = 8 is out of range; allowed: an integer in " +
                "max_descriptors_per_message (16)..253");
        assertThatThrownBy(() -> load(Map.of("max_descriptors_per_datagram", "254")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("out of range");
        assertThatThrownBy(() -> load(Map.of("max_descriptor_messages_held", "32")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("max_descriptor_messages_held = 32 is out of range; allowed: an integer in " +
                "max_descriptors_per_datagram (64)..1048576");
    }

    @Test
    void theExampleWritesSizesWithTheirUnit()
    {
        assertThat(ExampleConfig.render()).contains("max_memfd_size = \"1GiB\"", "max_descriptor_bytes_total = \"16GiB\"",
            "max_payload = \"8MiB\"");
    }

    private BrokerContext load(final Map<String, String> flags)
    {
        final Map<String, String> all = new java.util.HashMap<>(flags);
        all.put("metrics", "off");
        return new BrokerConfig(null, Map.of("SEQBUS_SOCKET", dir.resolve("b.sock").toString()), all).load();
    }
}

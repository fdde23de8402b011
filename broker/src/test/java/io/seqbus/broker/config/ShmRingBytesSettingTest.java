package io.seqbus.broker.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * shm_ring_bytes (issue 15): a ring masks its positions, so its size is a power of two, and it must hold four of the
 * largest datagrams; a value that is not is refused naming what the user wrote and what is allowed.
 */
class ShmRingBytesSettingTest
{
    @TempDir
    Path dir;

    @Test
    void aPowerOfTwoInRangeIsTakenWithOrWithoutAUnit()
    {
        assertThat(load(Map.of("SEQBUS_SHM_RING_BYTES", "2MiB"), Map.of())).isEmpty();
        assertThat(load(Map.of(), Map.of("shm_ring_bytes", "524288"))).isEmpty();
    }

    @Test
    void notAPowerOfTwoOutOfRangeOrUnderFourDatagramsIsRefused()
    {
        for (final String value : new String[]{"786432", "131072", "134217728", "1.5MiB", "lots"})
        {
            assertThat(load(Map.of(), Map.of("shm_ring_bytes", value))).as(value).anySatisfy((p) ->
                assertThat(p).startsWith("flag --shm-ring-bytes: shm_ring_bytes = '" + value + "'")
                    .contains("allowed: a power of two in 262144..67108864 bytes"));
        }
        // 256 KiB is a power of two in range, but four default datagrams (128 KiB) do not fit in it.
        assertThat(load(Map.of("SEQBUS_SHM_RING_BYTES", "262144"), Map.of())).anySatisfy((p) ->
            assertThat(p).contains("shm_ring_bytes = 262144").contains("at least 4 x max_datagram (524288)"));
        assertThat(load(Map.of("SEQBUS_SHM_RING_BYTES", "262144", "SEQBUS_MAX_DATAGRAM", "65536",
            "SEQBUS_MAX_PAYLOAD", "32768"), Map.of()))
            .isEmpty();
    }

    private List<String> load(final Map<String, String> env, final Map<String, String> flags)
    {
        final Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("SEQBUS_SOCKET", dir.resolve("s.sock").toString());
        all.putIfAbsent("SEQBUS_METRICS", "off");
        try
        {
            new BrokerConfig(null, all, flags).load();
            return List.of();
        }
        catch (final ConfigException ex)
        {
            return ex.problems();
        }
    }
}

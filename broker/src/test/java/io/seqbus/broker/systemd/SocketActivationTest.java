package io.seqbus.broker.systemd;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which inherited descriptor is the bus socket and which the metrics port, as systemd names them
 * (seqbus.socket: FileDescriptorName=seqbus; seqbus-metrics.socket: FileDescriptorName=metrics).
 */
class SocketActivationTest
{
    private static final long PID = 4242;

    @Test
    void bothSocketsAreFoundByNameInEitherOrder()
    {
        final Map<String, String> env = env(2, "metrics:seqbus");
        assertThat(SocketActivation.listenFd(env, PID, "seqbus", "seqbus.socket")).isEqualTo(4);
        assertThat(SocketActivation.namedFd(env, PID, SocketActivation.METRICS_FD_NAME)).isEqualTo(3);
    }

    @Test
    void theOneSocketPassedIsTheBusSocketUnlessItIsTheMetricsPort()
    {
        assertThat(SocketActivation.listenFd(env(1, "seqbus"), PID, "seqbus")).isEqualTo(3);
        assertThat(SocketActivation.listenFd(env(1, null), PID, "seqbus")).isEqualTo(3);
        assertThat(SocketActivation.namedFd(env(1, "seqbus"), PID, SocketActivation.METRICS_FD_NAME))
            .isEqualTo(SocketActivation.NONE);
        assertThatThrownBy(() -> SocketActivation.listenFd(env(1, "metrics"), PID, "seqbus"))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("none is named seqbus");
    }

    @Test
    void socketsForAnotherProcessOrUnnamedAreNotTheMetricsPort()
    {
        final Map<String, String> other = Map.of("LISTEN_PID", "1", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "seqbus:metrics");
        assertThat(SocketActivation.namedFd(other, PID, SocketActivation.METRICS_FD_NAME)).isEqualTo(SocketActivation.NONE);
        assertThat(SocketActivation.namedFd(env(2, null), PID, SocketActivation.METRICS_FD_NAME))
            .isEqualTo(SocketActivation.NONE);
        assertThat(SocketActivation.namedFd(Map.of(), PID, SocketActivation.METRICS_FD_NAME))
            .isEqualTo(SocketActivation.NONE);
    }

    private static Map<String, String> env(final int count, final String names)
    {
        return names == null ?
            Map.of("LISTEN_PID", Long.toString(PID), "LISTEN_FDS", Integer.toString(count)) :
            Map.of("LISTEN_PID", Long.toString(PID), "LISTEN_FDS", Integer.toString(count), "LISTEN_FDNAMES", names);
    }
}

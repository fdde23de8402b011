package io.seqbus.wire;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultSocketTest
{
    @Test
    void explicitSocketWins()
    {
        assertThat(DefaultSocket.resolve(Map.of("SEQBUS_SOCKET", "@bus", "XDG_RUNTIME_DIR", "/run/user/7"), 7))
            .isEqualTo("@bus");
    }

    @Test
    void runtimeDirOfALoginSession()
    {
        assertThat(DefaultSocket.resolve(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000))
            .isEqualTo("/run/user/1000/seqbus/seqbus.sock");
    }

    @Test
    void perUserFolderInTmpOtherwise()
    {
        assertThat(DefaultSocket.resolve(Map.of("SEQBUS_SOCKET", " "), 1000)).isEqualTo("/tmp/seqbus-1000/seqbus.sock");
    }

    @Test
    void uidIsThisProcesssOwner()
    {
        assertThat(DefaultSocket.uid()).isGreaterThanOrEqualTo(0);
    }
}

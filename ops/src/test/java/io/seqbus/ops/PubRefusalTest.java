package io.seqbus.ops;

import io.seqbus.broker.Broker;
import io.seqbus.broker.config.BrokerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code seqbus pub} to a topic the access rules deny fails with exit status 3 (ACCESS_DENIED), not 0.
 */
class PubRefusalTest
{
    @TempDir
    Path dir;

    @Test
    void aRefusedPublishExitsThree() throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        final Path config = dir.resolve("seqbus.conf");
        Files.writeString(config, """
            socket = "%s"
            metrics = "off"
            socket_activation = "false"

            [acl]
            default = "deny"

            [[acl.rule]]
            uid = "root"
            publish = ["orders.>"]
            """.formatted(socket));
        try (Broker broker = Broker.launch(new BrokerConfig(config, Map.of(), Map.of()).load()))
        {
            assertThat(Main.run("pub", "--socket", socket, "orders.eu.created", "fine")).isZero();
            assertThat(Main.run("pub", "--socket", socket, "audit.login", "refused")).isEqualTo(ExitStatus.ACCESS_DENIED);
        }
    }
}

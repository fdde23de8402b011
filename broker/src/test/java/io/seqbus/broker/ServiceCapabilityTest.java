package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.WelcomeFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SERVICES capability (issue 19): a HELLO that sets it gets the service limits on WELCOME, alone or after the
 * descriptor limits; one that does not gets WELCOME exactly as before, so clients written before it read it.
 */
class ServiceCapabilityTest
{
    @TempDir
    Path dir;
    private Broker broker;
    private String socket;

    @BeforeEach
    void start() throws IOException
    {
        socket = dir.resolve("bus.sock").toString();
        broker = Broker.launch(new BrokerContext().socket(socket).nodeName("svc")
            .maxHeaderBytes(1000).maxHeaders(7).maxRequestTimeoutMs(9000));
    }

    @AfterEach
    void stop()
    {
        broker.close();
    }

    @Test
    void welcomeCarriesTheServiceLimitsOnlyWhenAskedFor() throws IOException
    {
        try (FdClient services = new FdClient(socket).hello(HelloFrame.FLAG_SERVICES);
            FdClient both = new FdClient(socket).hello(HelloFrame.FLAG_SERVICES | HelloFrame.FLAG_DESCRIPTORS);
            FdClient neither = new FdClient(socket).hello(0);
            FdClient descriptors = new FdClient(socket).hello(HelloFrame.FLAG_DESCRIPTORS))
        {
            for (final FdClient c : new FdClient[]{services, both})
            {
                final WelcomeFrame w = c.welcome();
                assertThat(w.hasServiceLimits()).isTrue();
                assertThat(w.maxHeaderBytes()).isEqualTo(1000);
                assertThat(w.maxHeaders()).isEqualTo(7);
                assertThat(w.maxRequestTimeoutMs()).isEqualTo(9000);
            }
            assertThat(services.welcome().hasDescriptorLimits()).isFalse();
            assertThat(both.welcome().hasDescriptorLimits()).isTrue();
            assertThat(both.welcome().maxDescriptorsPerMessage()).isPositive();
            assertThat(descriptors.welcome().hasServiceLimits()).isFalse();
            assertThat(descriptors.welcome().hasDescriptorLimits()).isTrue();
            // Without either flag, the frame is byte for byte the old WELCOME.
            final WelcomeFrame plain = neither.welcome();
            assertThat(plain.hasServiceLimits()).isFalse();
            assertThat(plain.hasDescriptorLimits()).isFalse();
            assertThat(plain.frameLength()).isEqualTo(WelcomeFrame.NODE_NAME_OFFSET + "svc".length());
        }
    }
}

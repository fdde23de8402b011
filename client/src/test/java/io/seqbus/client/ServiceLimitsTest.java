package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SERVICES capability from the client's side (issue 19): HELLO asks for it; the service limits come from
 * WELCOME's trailer; a broker that sends none predates the service patterns, and every service call to it fails at
 * once with a message that says so.
 */
class ServiceLimitsTest extends ScriptedBrokerTest
{
    private int connect(final boolean services) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        final ClientOptions options = new ClientOptions().socket(broker.socket()).threadMode(ThreadMode.POLL);
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        final ScriptedBroker.Frame hello = peer.next(FrameType.HELLO);
        final int flags = hello.buffer().getInt(HelloFrame.FLAGS_OFFSET, io.seqbus.wire.Protocol.BYTE_ORDER);
        if (services)
        {
            peer.welcomeServices(65536, 131072, 1, 512, 5, 4000).send();
        }
        else
        {
            peer.welcome(65536, 131072, 1).send();
        }
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        return flags;
    }

    @Test
    void helloAsksAndWelcomeTellsTheLimits() throws Exception
    {
        final int flags = connect(true);
        assertThat(flags & HelloFrame.FLAG_SERVICES).isEqualTo(HelloFrame.FLAG_SERVICES);
        final ServiceLimits limits = client.connection().requireServices("request");
        assertThat(limits).isEqualTo(new ServiceLimits(512, 5, 4000));
    }

    @Test
    void aBrokerWithoutTheTrailerPredatesThemAndSaysSoAtTheCall() throws Exception
    {
        connect(false);
        assertThat(client.connection().serviceLimits()).isNull();
        assertThatThrownBy(() -> client.connection().requireServices("request"))
            .isInstanceOf(BusException.class)
            .hasMessageContaining("does not support request").hasMessageContaining("upgrade the broker");
    }
}

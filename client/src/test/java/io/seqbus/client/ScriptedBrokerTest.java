package io.seqbus.client;

import io.seqbus.wire.FrameType;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A client against a {@link ScriptedBroker} on a temporary socket: the client, the broker's side of
 * its connection and the broker are closed after each test, in that order.
 */
abstract class ScriptedBrokerTest
{
    @TempDir
    Path dir;

    ScriptedBroker broker;
    ScriptedBroker.Peer peer;
    BusClient client;

    @AfterEach
    void closeClientPeerAndBroker() throws Exception
    {
        if (client != null)
        {
            client.close();
        }
        if (peer != null)
        {
            peer.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    /**
     * Connects {@link #client} with these options: the scripted broker accepts, reads HELLO and
     * answers WELCOME (max payload 64 KiB, max datagram 128 KiB).
     */
    void connectWith(final ClientOptions options) throws Exception
    {
        final CompletableFuture<BusClient> connecting = CompletableFuture.supplyAsync(() -> BusClient.connect(options));
        peer = broker.accept();
        peer.next(FrameType.HELLO);
        peer.welcome(65536, 131072, 1).send();
        client = connecting.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A bounded wait that polls on the test's thread, for a client in POLL mode driven by the test. */
    static ConditionFactory within()
    {
        return await().atMost(ScriptedBroker.WAIT).pollInSameThread().pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(1));
    }
}

package io.seqbus.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

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
}

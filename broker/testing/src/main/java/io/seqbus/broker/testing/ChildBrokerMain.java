package io.seqbus.broker.testing;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.Broker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The main class of a broker that {@link SeqbusBroker} runs in a child JVM; not for direct use.
 *
 * <p>Arguments: the context file ({@code ContextFile}). It prints {@value #READY} on stdout once the broker
 * accepts, and stops the broker and exits when its stdin ends: the parent closes it to stop the broker, and
 * the kernel closes it when the parent dies by any means, so no broker outlives its test JVM. A failure of the
 * broker's thread is logged on stderr (the broker then closes itself, as it does in any JVM).
 */
public final class ChildBrokerMain
{
    /** The line that says the broker accepts connections. */
    static final String READY = "seqbus-broker-testing: ready";

    private ChildBrokerMain()
    {
    }

    /**
     * @param args the context file.
     * @throws IOException when the broker cannot start; the JVM exits 1 and the parent reports it.
     */
    public static void main(final String[] args) throws IOException
    {
        final BrokerContext context = ContextFile.read(Path.of(args[0]));
        final Broker broker = Broker.launch(context);
        System.out.println(READY);
        System.out.flush();
        final InputStream in = System.in;
        while (in.read() >= 0)
        {
            // Nothing is sent on stdin: its end is the signal.
        }
        broker.close();
        System.exit(0);
    }
}

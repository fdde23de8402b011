package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.BusError;
import io.seqbus.client.BusException;
import io.seqbus.client.ConnectionListener;
import io.seqbus.client.ErrorHandler;
import io.seqbus.client.Gap;
import io.seqbus.client.GapHandler;
import io.seqbus.client.GapReason;
import io.seqbus.client.Message;
import io.seqbus.client.Subscription;

import java.io.PrintStream;

/**
 * What {@code seqbus sub} says on stderr besides the messages: every loss of the connection with the broker's
 * reason, every reconnect, and every gap with its reason and count, so that nothing is missed silently. Runs
 * on the polling thread, the command's only thread.
 */
final class SubEvents implements ConnectionListener, GapHandler, ErrorHandler
{
    private final PrintStream err;
    private boolean connectedOnce;
    private boolean lossReported;
    private long gaps;

    SubEvents(final PrintStream err)
    {
        this.err = err;
    }

    @Override
    public void onConnected(final BusClient client)
    {
        if (connectedOnce)
        {
            err.println("seqbus: reconnected to the broker at " + client.socket() +
                "; what was published while disconnected is missed (see the gaps)");
        }
        connectedOnce = true;
    }

    @Override
    public void onDisconnected(final BusClient client, final BusException cause)
    {
        lossReported = true;
        err.println("seqbus: " + cause.getMessage() + (client.isClosed() ? "" : "; reconnecting"));
    }

    @Override
    public void onGap(final Gap gap)
    {
        gaps++;
        final Subscription subscription = gap.subscription();
        final String where = subscription == null ? "" : " on '" + subscription.pattern() + "'";
        if (gap.reason() == GapReason.RECONNECTED && gap.publisherId() == 0)
        {
            err.println("seqbus: gap RECONNECTED" + where + ": messages published while disconnected are lost; " +
                "each publisher's count follows with its next message");
            return;
        }
        err.println("seqbus: gap " + gap.reasonName() + where + ": " +
            (gap.count() == 0 ? "an unknown number of messages" : gap.count() + (gap.count() == 1 ? " message" : " messages")) +
            " lost from publisher " + Long.toUnsignedString(gap.publisherId()) + " of node " + Integer.toUnsignedString(gap.sourceNode()) +
            (gap.count() == 0 ? "" : ", sequence " + gap.fromSequence() +
                (gap.count() == 1 ? "" : " to " + (gap.fromSequence() + gap.count() - 1))));
    }

    @Override
    public void onError(final BusError error)
    {
        // A fatal ERROR ends the connection and is said by onDisconnected; a refused SUBSCRIBE by the command.
        if (!error.isFatal() && error.ref() == 0)
        {
            err.println("seqbus: the broker says: " + error);
        }
    }

    @Override
    public void onHandlerException(final Throwable throwable, final Subscription subscription, final Message message)
    {
        err.println("seqbus: " + throwable);
    }

    /**
     * @return true when the loss that closed the client was already said on stderr.
     */
    boolean lossReported()
    {
        return lossReported;
    }

    /**
     * @return gaps reported so far.
     */
    long gaps()
    {
        return gaps;
    }
}

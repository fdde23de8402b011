package io.seqbus.client;

import org.agrona.DirectBuffer;

import java.util.concurrent.TimeUnit;

/**
 * A call that hands a frame to the batch and waits, within {@link ClientOptions#publishTimeout()}, while the socket
 * is full or the client reconnects: the inline publish, and the deadline, pause and endings that flush, subscribe,
 * a descriptor publish, request and reply share with it. In one place so that every such call ends alike: "closed"
 * once close() began, "refused" for a topic the broker refused, "timed out" naming what it waited for.
 */
final class BlockingPublish
{
    private final Connection connection;
    private final Outbound outbound;
    private final ClientConductor conductor;
    private final long publishTimeoutNs;

    BlockingPublish(
        final Connection connection, final Outbound outbound, final ClientConductor conductor,
        final long publishTimeoutNs)
    {
        this.connection = connection;
        this.outbound = outbound;
        this.conductor = conductor;
        this.publishTimeoutNs = publishTimeoutNs;
    }

    /** @return when a wait that starts now gives up (compare with {@code System.nanoTime() - deadline >= 0}). */
    long deadline()
    {
        return System.nanoTime() + publishTimeoutNs;
    }

    /** One step of such a wait ({@link ClientConductor#pause}), which polls only on Outbound's poller thread. */
    int pause(final int idle)
    {
        return conductor.pause(idle, outbound.isPollerThread());
    }

    void publish(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text)
    {
        publish(topic, payload, bytes, offset, length, text, null);
    }

    void publish(
        final String topic, final DirectBuffer payload, final byte[] bytes, final int offset, final int length,
        final String text, final Headers headers)
    {
        PublishResult result = outbound.offerLocked(topic, payload, bytes, offset, length, text, headers);
        if (result == PublishResult.OK)
        {
            return;
        }
        if (result == PublishResult.DENIED)
        {
            throw denied(topic);
        }
        final long deadline = deadline();
        int idle = 0;
        while (true)
        {
            // close() sets closing before it closes: a waiting publisher sees it, at the latest, when it
            // finds the client closed, and hears "closed", not a timeout or a bare IllegalStateException.
            checkNotClosing("publish");
            try
            {
                result = outbound.offerLocked(topic, payload, bytes, offset, length, text, headers);
            }
            catch (final IllegalStateException ex)
            {
                checkNotClosing("publish");
                throw ex;
            }
            if (result == PublishResult.OK)
            {
                return;
            }
            if (result == PublishResult.DENIED)
            {
                throw denied(topic);
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw timeout("publish", result);
            }
            idle = pause(idle);
        }
    }

    BusException denied(final String topic)
    {
        final BusError refusal = outbound.refusalLocked(topic);
        return new BusException("publish to '" + topic + "' refused by the seqbus broker at " + connection.socket() +
            (refusal != null ? " (" + refusal.count() + " refused so far): " + refusal.reason() : ""),
            ErrorCode.ACCESS_DENIED, null);
    }

    void checkNotClosing(final String what)
    {
        if (connection.isClosing())
        {
            throw new BusException(what + " failed: this BusClient was closed while it waited (seqbus broker at " +
                connection.socket() + ")");
        }
    }

    BusException timeout(final String what)
    {
        return timeout(what, connection.state() == Connection.CONNECTED ?
            PublishResult.BACK_PRESSURED : PublishResult.DISCONNECTED);
    }

    BusException timeout(final String what, final PublishResult result)
    {
        final long millis = TimeUnit.NANOSECONDS.toMillis(publishTimeoutNs);
        final String socket = connection.socket();
        return new BusException(what + " timed out after " + millis + " ms: " + (result == PublishResult.DISCONNECTED ?
            "not connected to the seqbus broker at " + socket :
            "the seqbus broker at " + socket + " is not reading (" +
            (connection.shm() != null && connection.shm().isAttached() ? "from_client ring" : "socket") + " full)"));
    }
}

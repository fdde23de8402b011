package io.seqbus.client;

import io.seqbus.wire.SafeBuffer;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Sending REQUESTs and REPLYs (issue 19, SPEC.md "Requests and replies"). Apart from the publishes because their
 * waits end otherwise: a request registers its future in {@link PendingRequests} before it is sent, and fails that
 * future, not the call, when the broker does not read in time; a reply cannot wait for a reconnect, as only the
 * connection its request came on may answer it.
 */
final class Requesting
{
    /**
     * The longest timeout a REQUEST carries while the broker's own {@code max_request_timeout_ms} is not known yet
     * (between connections): its default. A longer {@code timeout} is still this client's own; the broker ends the
     * request (TIMED_OUT) at the one the REQUEST carried.
     */
    static final int MAX_REQUEST_TIMEOUT_MS = 60_000;

    private final Connection connection;
    private final Outbound outbound;
    private final PendingRequests requests;
    private final BlockingPublish blocking;

    Requesting(
        final Connection connection, final Outbound outbound, final PendingRequests requests,
        final BlockingPublish blocking)
    {
        this.connection = connection;
        this.outbound = outbound;
        this.requests = requests;
        this.blocking = blocking;
    }

    /** A ByteBuffer's remaining bytes as the request: a heap buffer's array as it is, a direct one wrapped. */
    CompletableFuture<Message> requestFrom(
        final String topic, final ByteBuffer payload, final Headers headers, final Duration timeout)
    {
        if (payload.hasArray())
        {
            return request(topic, null, payload.array(), payload.arrayOffset() + payload.position(),
                payload.remaining(), headers, timeout);
        }
        return request(topic, new SafeBuffer(payload), null, payload.position(), payload.remaining(), headers,
            timeout);
    }

    CompletableFuture<Message> request(
        final String topic, final DirectBuffer buffer, final byte[] bytes, final int offset, final int length,
        final Headers headers, final Duration timeout)
    {
        Objects.requireNonNull(topic, "topic");
        if (timeout.isNegative() || timeout.isZero())
        {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        final ServiceLimits limits = connection.serviceLimits();
        if (limits == null && connection.state() == Connection.CONNECTED)
        {
            throw ServiceLimits.unsupported("request", connection.socket());
        }
        final long timeoutNs = timeout.toNanos();
        // The broker refuses a longer timeout_ms (INVALID_REQUEST); a longer wait is this client's own timer.
        final long brokerMaxMs = limits != null ? limits.maxRequestTimeoutMs() : MAX_REQUEST_TIMEOUT_MS;
        final int timeoutMs = (int)Math.max(1, Math.min(brokerMaxMs, (timeoutNs + 999_999) / 1_000_000));
        final CompletableFuture<Message> future = new CompletableFuture<>();
        final int id = requests.register(future, topic);
        final long deadline = blocking.deadline();
        int idle = 0;
        try
        {
            while (true)
            {
                blocking.checkNotClosing("request");
                final PublishResult result = outbound.offerRequestLocked(topic, id, timeoutMs, buffer, bytes, offset,
                    length, headers);
                if (result == PublishResult.OK)
                {
                    requests.startTimer(id, timeoutNs);
                    return future;
                }
                if (System.nanoTime() - deadline >= 0)
                {
                    requests.abandon(id, blocking.timeout("request", result));
                    return future;
                }
                idle = blocking.pause(idle);
            }
        }
        catch (final RuntimeException ex)
        {
            requests.abandon(id, ex);
            throw ex;
        }
    }

    /** A ByteBuffer's remaining bytes as the reply: a heap buffer's array as it is, a direct one wrapped. */
    void replyFrom(final long replyToken, final ByteBuffer payload, final Headers headers)
    {
        if (payload.hasArray())
        {
            reply(replyToken, null, payload.array(), payload.arrayOffset() + payload.position(), payload.remaining(),
                headers);
            return;
        }
        reply(replyToken, new SafeBuffer(payload), null, payload.position(), payload.remaining(), headers);
    }

    void reply(
        final long replyToken, final DirectBuffer buffer, final byte[] bytes, final int offset, final int length,
        final Headers headers)
    {
        final long deadline = blocking.deadline();
        int idle = 0;
        while (true)
        {
            blocking.checkNotClosing("reply");
            final PublishResult result = outbound.offerReplyLocked(replyToken, buffer, bytes, offset, length, headers);
            if (result == PublishResult.OK)
            {
                return;
            }
            if (result == PublishResult.DISCONNECTED)
            {
                // A reply names a request delivered on the connection that is gone: no other may answer it.
                throw new BusException("reply not sent: not connected to the seqbus broker at " + connection.socket() +
                    "; the request came on a connection that is gone, and the broker drops replies from any other");
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw blocking.timeout("reply", result);
            }
            idle = blocking.pause(idle);
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.wire.ResponseFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proxy slots (requests from another broker delivered here, SPEC.md "Requests across the LAN") end in
 * seqbus_requests_total with role proxy, never as this broker's own requests: the outcomes a proxy slot can have
 * without a local recipient, on the request table itself.
 */
class ProxyRequestOutcomesTest
{
    private static final long ORIGIN_TOKEN = (5L << 32) | 0x1_00;

    private final BrokerCounters counters = new BrokerCounters();
    private final Requests requests = new Requests(counters, 7);
    private final UnsafeBuffer topic = new UnsafeBuffer("shared.svc".getBytes());

    @Test
    void aProxySlotNothingHereMatchedIsCountedNoRespondersAsProxy()
    {
        final int slot = requests.beginProxy(ORIGIN_TOKEN, 60_000, 0, 16);
        requests.delivering(slot, topic, 0, topic.capacity());
        assertThat(requests.delivered(slot)).isFalse();
        assertThat(proxy(ResponseFrame.NO_RESPONDERS)).isEqualTo(1);
        assertThat(origin(ResponseFrame.NO_RESPONDERS)).isZero();
        assertThat(requests.pending()).isZero();
    }

    @Test
    void aProxySlotPastItsTimeoutIsCountedTimedOutAsProxy()
    {
        final int slot = requests.beginProxy(ORIGIN_TOKEN, 5, 0, 16);
        requests.viaLan(slot, 1); // kept without a local recipient, as if one had been delivered to
        requests.delivering(slot, topic, 0, topic.capacity());
        assertThat(requests.delivered(slot)).isTrue();
        assertThat(requests.expire(1_000_000_000L)).isEqualTo(1);
        assertThat(proxy(ResponseFrame.TIMED_OUT)).isEqualTo(1);
        assertThat(origin(ResponseFrame.TIMED_OUT)).isZero();
    }

    @Test
    void aProxyRequestAtAFullTableIsCountedTooManyRequestsAsProxy()
    {
        requests.beginProxy(ORIGIN_TOKEN, 60_000, 0, 1);
        assertThat(requests.beginProxy(ORIGIN_TOKEN + 1, 60_000, 0, 1)).isEqualTo(Requests.FULL);
        assertThat(proxy(ResponseFrame.TOO_MANY_REQUESTS)).isEqualTo(1);
        assertThat(origin(ResponseFrame.TOO_MANY_REQUESTS)).isZero();
    }

    private long proxy(final int status)
    {
        return counters.get(BrokerCounters.PROXY_REQUESTS_OUTCOME + status);
    }

    private long origin(final int status)
    {
        return counters.get(BrokerCounters.REQUESTS_OUTCOME + status);
    }
}

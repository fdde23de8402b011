package io.seqbus.broker.bridge;

import io.seqbus.broker.config.BrokerContext;
import io.aeron.ChannelUri;
import io.aeron.CommonContext;
import io.seqbus.broker.config.Configuration;

import java.util.ArrayList;
import java.util.List;

/**
 * The Aeron channels of the bridge, from the broker's settings. Multicast: publication and subscription on
 * the one channel. Unicast fallback: a manual multi-destination-cast publication with one destination per
 * peer, and a subscription on this broker's own endpoint. Defaults the operator did not set are added:
 * flow control, term length, receive buffer.
 */
final class LanChannels
{
    private final String publication;
    private final String subscription;
    private final List<String> destinations = new ArrayList<>();

    LanChannels(final BrokerContext context)
    {
        final ChannelUri own = ChannelUri.parse(context.lanChannel());
        putIfAbsent(own, CommonContext.SOCKET_RCVBUF_PARAM_NAME, Integer.toString(Configuration.LAN_SO_RCVBUF_DEFAULT));
        subscription = own.toString();

        final ChannelUri pub;
        if (context.lanPeerList().isEmpty())
        {
            pub = ChannelUri.parse(context.lanChannel());
        }
        else
        {
            pub = ChannelUri.parse("aeron:udp?" + CommonContext.MDC_CONTROL_MODE_PARAM_NAME + "=" +
                CommonContext.MDC_CONTROL_MODE_MANUAL);
            final String self = own.get(CommonContext.ENDPOINT_PARAM_NAME);
            for (final String peer : context.lanPeerList())
            {
                if (!peer.equals(self))
                {
                    destinations.add("aeron:udp?" + CommonContext.ENDPOINT_PARAM_NAME + "=" + peer);
                }
            }
        }
        pub.put(CommonContext.FLOW_CONTROL_PARAM_NAME, context.lanFlowControl());
        putIfAbsent(pub, CommonContext.TERM_LENGTH_PARAM_NAME, Integer.toString(Configuration.LAN_TERM_LENGTH_DEFAULT));
        publication = pub.toString();
    }

    private static void putIfAbsent(final ChannelUri uri, final String key, final String value)
    {
        if (uri.get(key) == null)
        {
            uri.put(key, value);
        }
    }

    String publication()
    {
        return publication;
    }

    String subscription()
    {
        return subscription;
    }

    /**
     * @return unicast destinations of the publication; empty for multicast.
     */
    List<String> destinations()
    {
        return destinations;
    }
}

package io.seqbus.broker.config;

import io.aeron.ChannelUri;
import io.aeron.CommonContext;
import io.seqbus.wire.Topics;

import java.util.List;

import static io.seqbus.broker.config.Settings.LAN_CHANNEL;
import static io.seqbus.broker.config.Settings.LAN_FLOW_CONTROL;
import static io.seqbus.broker.config.Settings.LAN_PEERS;
import static io.seqbus.broker.config.Settings.LAN_TOPICS;

/**
 * The checks of the LAN bridge's settings that a type cannot make alone: the channel is an Aeron
 * UDP channel with an endpoint and without {@code fc}, the topics are patterns, the peers are
 * {@code host:port}, and the peers need a channel. Each refusal names the key at fault.
 */
final class LanBridgeSettings
{
    private LanBridgeSettings()
    {
    }

    /**
     * @param context   the settings, with the LAN ones already trimmed.
     * @param topics    {@code lan.topics} split into patterns.
     * @param peers     {@code lan.peers} split into {@code host:port}.
     * @throws SettingException naming the key at fault.
     */
    static void check(final BrokerContext context, final List<String> topics, final List<String> peers)
    {
        for (final String pattern : topics)
        {
            if (!Topics.isValidPattern(pattern))
            {
                throw SettingException.of(LAN_TOPICS, quote(context.lanTopics()), "has an invalid pattern '" +
                    pattern + "'; allowed: comma-separated patterns such as orders.>,prices.*.eu (see SPEC.md, Topics)");
            }
        }
        final String channel = context.lanChannel();
        if (channel == null)
        {
            if (!peers.isEmpty())
            {
                throw SettingException.of(LAN_PEERS, quote(context.lanPeers()), "needs " + LAN_CHANNEL.key() +
                    " (this broker's own unicast endpoint)");
            }
            return;
        }
        checkChannel(channel);
        for (final String peer : peers)
        {
            if (!isHostPort(peer))
            {
                throw SettingException.of(LAN_PEERS, quote(context.lanPeers()), "has '" + peer +
                    "'; allowed: comma-separated host:port");
            }
        }
        if (!context.lanFlowControl().matches("(min|tagged)(,[a-z]:[^,|]+)*"))
        {
            throw SettingException.of(LAN_FLOW_CONTROL, quote(context.lanFlowControl()), "is not allowed; allowed: " +
                "min or tagged with Aeron's options, e.g. min,t:500ms or tagged,g:1/2 (never max: it leaves a " +
                "lossy receiver behind silently)");
        }
    }

    private static void checkChannel(final String channel)
    {
        if (!channel.startsWith("aeron:udp?"))
        {
            throw SettingException.of(LAN_CHANNEL, quote(channel), "is not allowed; allowed: an Aeron UDP channel " +
                "such as aeron:udp?endpoint=239.255.77.1:40457|interface=10.77.0.0/24");
        }
        final ChannelUri uri;
        try
        {
            uri = ChannelUri.parse(channel);
        }
        catch (final RuntimeException ex)
        {
            throw SettingException.of(LAN_CHANNEL, quote(channel), "is not an Aeron channel: " + ex.getMessage());
        }
        if (uri.get(CommonContext.FLOW_CONTROL_PARAM_NAME) != null)
        {
            throw SettingException.of(LAN_CHANNEL, quote(channel), "sets fc; allowed: a channel without fc (flow " +
                "control is " + LAN_FLOW_CONTROL.key() + ")");
        }
        if (uri.get(CommonContext.ENDPOINT_PARAM_NAME) == null)
        {
            throw SettingException.of(LAN_CHANNEL, quote(channel), "has no endpoint; allowed: " +
                "aeron:udp?endpoint=GROUP:PORT|interface=NET/BITS (multicast) or aeron:udp?endpoint=OWN_ADDRESS:PORT " +
                "with " + LAN_PEERS.key());
        }
    }

    private static boolean isHostPort(final String peer)
    {
        final int colon = peer.lastIndexOf(':');
        if (colon <= 0 || colon == peer.length() - 1)
        {
            return false;
        }
        try
        {
            final int port = Integer.parseInt(peer.substring(colon + 1));
            return port > 0 && port < 65536;
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    private static String quote(final String value)
    {
        return SettingType.quote(value);
    }
}

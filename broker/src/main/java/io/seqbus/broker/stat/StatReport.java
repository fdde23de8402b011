package io.seqbus.broker.stat;

import io.seqbus.broker.config.BrokerContext;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.bridge.Peer;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.StatRequestFrame;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The JSON document a STAT_REPLY carries (SPEC.md, STAT_REPLY). Built on the agent thread when
 * asked, which is rare: allocation is fine here, never on the message path.
 */
public final class StatReport
{
    private StatReport()
    {
    }

    /**
     * @param context       the broker's settings.
     * @param counters      the broker's counters.
     * @param connections   every open connection.
     * @param rates         per-topic rates, or null when tracking is off.
     * @param statFlags     from the request: {@link StatRequestFrame#NO_CLIENTS}, {@link StatRequestFrame#NO_TOPICS}.
     * @param uptimeSeconds since the broker started.
     * @param bridge        the LAN bridge, or null without one.
     * @return the document.
     */
    public static String build(
        final BrokerContext context, final BrokerCounters counters, final Collection<ClientConnection> connections,
        final TopicRates rates, final int statFlags, final long uptimeSeconds, final LanBridge bridge)
    {
        final StringBuilder sb = new StringBuilder(1024);
        sb.append("{\"broker\":{\"node\":").append(quote(context.nodeName()))
            .append(",\"node_id\":").append(context.nodeId() & 0xFFFF_FFFFL)
            .append(",\"socket\":").append(quote(context.socket()))
            .append(",\"uptime_seconds\":").append(uptimeSeconds)
            .append(",\"stat_top_topics\":").append(context.statTopTopics())
            .append(",\"topics_sampled_one_in\":").append(TopicRates.SAMPLE_EVERY)
            .append("},\"totals\":{");
        long rejected = 0;
        for (int code = 1; code <= ErrorCode.maxCode(); code++)
        {
            rejected += counters.rejected(code);
        }
        field(sb, "clients", counters.get(BrokerCounters.CONNECTIONS_OPEN)).append(',');
        field(sb, "subscriptions", counters.get(BrokerCounters.SUBSCRIPTIONS)).append(',');
        field(sb, "messages_published", counters.get(BrokerCounters.MESSAGES_PUBLISHED)).append(',');
        field(sb, "bytes_published", counters.get(BrokerCounters.BYTES_PUBLISHED)).append(',');
        field(sb, "messages_delivered", counters.get(BrokerCounters.MESSAGES_DELIVERED)).append(',');
        field(sb, "bytes_delivered", counters.get(BrokerCounters.BYTES_DELIVERED)).append(',');
        field(sb, "queued_bytes", counters.get(BrokerCounters.QUEUED_BYTES_TOTAL)).append(',');
        field(sb, "queued_memory_bytes", counters.get(BrokerCounters.QUEUED_MEMORY)).append(',');
        field(sb, "subscription_bytes", counters.get(BrokerCounters.SUBSCRIPTION_BYTES)).append(',');
        field(sb, "connections_accepted", counters.get(BrokerCounters.CONNECTIONS_ACCEPTED)).append(',');
        field(sb, "connections_refused", counters.get(BrokerCounters.CONNECTIONS_REFUSED)).append(',');
        field(sb, "publisher_stalls", counters.get(BrokerCounters.PUBLISHER_STALLS)).append(',');
        field(sb, "evictions", counters.get(BrokerCounters.SLOW_CONSUMER_EVICTIONS)).append(',');
        field(sb, "frames_rejected", rejected).append(',');
        field(sb, "dropped_oldest", counters.get(BrokerCounters.DROPPED_OLDEST)).append(',');
        field(sb, "dropped_newest", counters.get(BrokerCounters.DROPPED_NEWEST)).append(',');
        field(sb, "disconnect_evictions", counters.get(BrokerCounters.DISCONNECT_EVICTIONS)).append(',');
        field(sb, "datagrams_read", counters.get(BrokerCounters.DATAGRAMS_READ)).append(',');
        field(sb, "datagrams_written", counters.get(BrokerCounters.DATAGRAMS_WRITTEN)).append(',');
        field(sb, "agent_allocated_bytes", counters.get(BrokerCounters.AGENT_ALLOCATED_BYTES));
        sb.append('}');
        if (bridge != null)
        {
            appendLan(sb, bridge);
        }
        if ((statFlags & StatRequestFrame.NO_CLIENTS) == 0)
        {
            final List<ClientConnection> sorted = new ArrayList<>(connections);
            sorted.sort((a, b) -> Long.compare(a.connectionId(), b.connectionId()));
            sb.append(",\"clients\":[");
            for (int i = 0; i < sorted.size(); i++)
            {
                final ClientConnection c = sorted.get(i);
                sb.append(i == 0 ? "{" : ",{");
                field(sb, "id", c.connectionId()).append(",\"name\":").append(quote(c.name())).append(',');
                field(sb, "pid", c.pid()).append(',');
                field(sb, "uid", c.uid()).append(',');
                field(sb, "gid", c.gid()).append(',');
                field(sb, "subscriptions", c.subscriptions().size()).append(',');
                field(sb, "queued_bytes", c.outbox().queuedBytes()).append(',');
                field(sb, "queue_limit_bytes", c.queueLimit()).append(',');
                field(sb, "subscription_bytes", c.subscriptionBytes).append(',');
                field(sb, "uid_queued_bytes", c.account().queuedBytes()).append(',');
                field(sb, "uid_subscription_bytes", c.account().subscriptionBytes()).append(',');
                field(sb, "published", c.lastSequence());
                sb.append('}');
            }
            sb.append(']');
        }
        if ((statFlags & StatRequestFrame.NO_TOPICS) == 0 && rates != null)
        {
            final List<TopicRates.TopicRate> top = rates.top(context.statTopTopics());
            sb.append(",\"topics\":[");
            for (int i = 0; i < top.size(); i++)
            {
                final TopicRates.TopicRate t = top.get(i);
                sb.append(i == 0 ? "{" : ",{").append("\"topic\":").append(quote(t.topic()))
                    .append(",\"rate_per_second\":").append(Math.round(t.ratePerSecond() * 10) / 10.0)
                    .append(",\"messages\":").append(t.messages()).append('}');
            }
            sb.append(']');
        }
        return sb.append('}').toString();
    }

    /** The other brokers this one hears on the LAN, with last-heard time and traffic, and the bridge's totals. */
    private static void appendLan(final StringBuilder sb, final LanBridge bridge)
    {
        final BridgeCounters c = bridge.counters();
        sb.append(",\"lan\":{");
        field(sb, "messages_out", c.get(BridgeCounters.MESSAGES_OUT)).append(',');
        field(sb, "bytes_out", c.get(BridgeCounters.BYTES_OUT)).append(',');
        field(sb, "messages_in", c.get(BridgeCounters.MESSAGES_IN)).append(',');
        field(sb, "bytes_in", c.get(BridgeCounters.BYTES_IN)).append(',');
        field(sb, "messages_lost", c.get(BridgeCounters.MESSAGES_LOST)).append(',');
        field(sb, "gaps", c.get(BridgeCounters.GAPS)).append(',');
        field(sb, "nodes_lost", c.get(BridgeCounters.NODES_LOST)).append(',');
        field(sb, "invalid_datagrams", c.get(BridgeCounters.INVALID_DATAGRAMS)).append(',');
        field(sb, "unauthenticated_datagrams", c.get(BridgeCounters.UNAUTHENTICATED_DATAGRAMS)).append(',');
        field(sb, "naks_sent", c.aeron(SystemCounterDescriptor.NAK_MESSAGES_SENT)).append(',');
        field(sb, "retransmits_sent", c.aeron(SystemCounterDescriptor.RETRANSMITS_SENT)).append(',');
        sb.append("\"peers\":[");
        final long now = System.currentTimeMillis();
        final List<Peer> peers = bridge.peers();
        for (int i = 0; i < peers.size(); i++)
        {
            final Peer p = peers.get(i);
            sb.append(i == 0 ? "{" : ",{");
            sb.append("\"node\":").append(quote(p.name())).append(',');
            field(sb, "node_id", p.nodeId() & 0xFFFF_FFFFL).append(',');
            sb.append("\"state\":").append(quote(p.state())).append(',');
            field(sb, "last_heard_ms_ago", Math.max(0, now - p.lastHeardMs())).append(',');
            field(sb, "messages_in", p.messagesIn()).append(',');
            field(sb, "bytes_in", p.bytesIn()).append(',');
            field(sb, "messages_lost", p.messagesLost()).append(',');
            field(sb, "announced_messages_out", p.announcedOut());
            sb.append('}');
        }
        sb.append("]}");
    }

    private static StringBuilder field(final StringBuilder sb, final String name, final long value)
    {
        return sb.append('"').append(name).append("\":").append(value);
    }

    /**
     * @param text any string, or null.
     * @return it as a JSON string literal ({@code null} for null).
     */
    public static String quote(final String text)
    {
        if (text == null)
        {
            return "null";
        }
        final StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char ch = text.charAt(i);
            switch (ch)
            {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (ch < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)ch));
                    }
                    else
                    {
                        sb.append(ch);
                    }
            }
        }
        return sb.append('"').toString();
    }
}

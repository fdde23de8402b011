package io.seqbus.broker.stat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.BuildInfo;
import io.seqbus.broker.config.ReloadOutcome;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.counters.GroupCounters;
import io.seqbus.broker.bridge.BridgeCounters;
import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.bridge.Peer;
import io.seqbus.broker.fanout.Subscriber;
import io.seqbus.broker.fanout.SubscriberCounts;
import io.seqbus.broker.fanout.Subscription;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.DefaultSocket;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.Printable;
import io.seqbus.wire.StatRequestFrame;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The JSON document a STAT_REPLY carries (SPEC.md, STAT_REPLY). Built on the agent thread when
 * asked, which is rare: allocation is fine here, never on the message path.
 */
public final class StatReport
{
    private static final JsonFactory JSON = new JsonFactory();
    private static final int OWN_UID = (int)DefaultSocket.uid();

    private StatReport()
    {
    }

    /**
     * What the broker says of itself beyond its settings.
     *
     * @param socket the socket it listens on (the one systemd passed, with socket activation).
     * @param pid    its process id, for the signal {@code seqbus reload} sends.
     * @param build  its version and revision.
     * @param reload how the latest reload ended.
     */
    public record Facts(String socket, long pid, BuildInfo build, ReloadOutcome reload)
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
     * @param viewerUid     uid of the client that asked: whose subscription patterns it may see
     *                      ({@link #mayReadPatterns}).
     * @param facts         what the broker says of itself.
     * @return the document.
     */
    public static String build(
        final BrokerContext context, final BrokerCounters counters, final Collection<ClientConnection> connections,
        final TopicRates rates, final int statFlags, final long uptimeSeconds, final LanBridge bridge,
        final int viewerUid, final Facts facts)
    {
        final StringWriter out = new StringWriter(1024);
        try (JsonGenerator json = JSON.createGenerator(out))
        {
            json.writeStartObject();
            json.writeObjectFieldStart("broker");
            json.writeStringField("node", context.nodeName());
            json.writeNumberField("node_id", context.nodeId() & 0xFFFF_FFFFL);
            json.writeStringField("socket", facts.socket());
            json.writeNumberField("pid", facts.pid());
            json.writeStringField("version", facts.build().version());
            json.writeStringField("revision", facts.build().revision());
            json.writeNumberField("uptime_seconds", uptimeSeconds);
            json.writeNumberField("stat_top_topics", context.statTopTopics());
            json.writeNumberField("topics_sampled_one_in", TopicRates.SAMPLE_EVERY);
            json.writeObjectFieldStart("reload");
            json.writeNumberField("generation", facts.reload().generation());
            json.writeStringField("status", facts.reload().status());
            json.writeStringField("message", facts.reload().message());
            json.writeNumberField("epoch_ms", facts.reload().epochMillis());
            json.writeEndObject();
            json.writeEndObject();
            writeTotals(json, counters);
            if (bridge != null)
            {
                writeLan(json, bridge);
            }
            if ((statFlags & StatRequestFrame.NO_CLIENTS) == 0)
            {
                writeClients(json, connections, viewerUid);
            }
            if ((statFlags & StatRequestFrame.NO_TOPICS) == 0 && rates != null)
            {
                json.writeArrayFieldStart("topics");
                for (final TopicRates.TopicRate t : rates.top(context.statTopTopics()))
                {
                    json.writeStartObject();
                    json.writeStringField("topic", t.topic());
                    json.writeNumberField("rate_per_second", Math.round(t.ratePerSecond() * 10) / 10.0);
                    json.writeNumberField("messages", t.messages());
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void writeTotals(final JsonGenerator json, final BrokerCounters counters) throws IOException
    {
        long rejected = 0;
        for (int code = 1; code <= ErrorCode.maxCode(); code++)
        {
            rejected += counters.rejected(code);
        }
        json.writeObjectFieldStart("totals");
        json.writeNumberField("clients", counters.get(BrokerCounters.CONNECTIONS_OPEN));
        json.writeNumberField("subscriptions", counters.get(BrokerCounters.SUBSCRIPTIONS));
        json.writeNumberField("messages_published", counters.get(BrokerCounters.MESSAGES_PUBLISHED));
        json.writeNumberField("bytes_published", counters.get(BrokerCounters.BYTES_PUBLISHED));
        json.writeNumberField("messages_delivered", counters.get(BrokerCounters.MESSAGES_DELIVERED));
        json.writeNumberField("bytes_delivered", counters.get(BrokerCounters.BYTES_DELIVERED));
        json.writeNumberField("queued_bytes", counters.get(BrokerCounters.QUEUED_BYTES_TOTAL));
        json.writeNumberField("queued_memory_bytes", counters.get(BrokerCounters.QUEUED_MEMORY));
        json.writeNumberField("subscription_bytes", counters.get(BrokerCounters.SUBSCRIPTION_BYTES));
        json.writeNumberField("connections_accepted", counters.get(BrokerCounters.CONNECTIONS_ACCEPTED));
        json.writeNumberField("connections_refused", counters.get(BrokerCounters.CONNECTIONS_REFUSED));
        json.writeNumberField("publisher_stalls", counters.get(BrokerCounters.PUBLISHER_STALLS));
        json.writeNumberField("evictions", counters.get(BrokerCounters.SLOW_CONSUMER_EVICTIONS));
        json.writeNumberField("frames_rejected", rejected);
        json.writeNumberField("dropped_oldest", counters.get(BrokerCounters.DROPPED_OLDEST));
        json.writeNumberField("dropped_newest", counters.get(BrokerCounters.DROPPED_NEWEST));
        json.writeNumberField("disconnect_evictions", counters.get(BrokerCounters.DISCONNECT_EVICTIONS));
        json.writeNumberField("datagrams_read", counters.get(BrokerCounters.DATAGRAMS_READ));
        json.writeNumberField("datagrams_written", counters.get(BrokerCounters.DATAGRAMS_WRITTEN));
        json.writeNumberField("bytes_read", counters.get(BrokerCounters.BYTES_READ));
        json.writeNumberField("bytes_written", counters.get(BrokerCounters.BYTES_WRITTEN));
        json.writeNumberField("descriptors_received", counters.get(BrokerCounters.DESCRIPTORS_RECEIVED));
        json.writeNumberField("descriptors_passed", counters.get(BrokerCounters.DESCRIPTORS_PASSED));
        json.writeNumberField("descriptor_bytes_passed", counters.get(BrokerCounters.DESCRIPTOR_BYTES_PASSED));
        json.writeNumberField("descriptors_held", counters.get(BrokerCounters.DESCRIPTORS_HELD));
        json.writeNumberField("descriptors_in_flight", counters.get(BrokerCounters.DESCRIPTORS_IN_FLIGHT));
        json.writeNumberField("agent_allocated_bytes", counters.get(BrokerCounters.AGENT_ALLOCATED_BYTES));
        writeGroupTotals(json, counters);
        json.writeEndObject();
    }

    private static void writeClients(
        final JsonGenerator json, final Collection<ClientConnection> connections, final int viewerUid)
        throws IOException
    {
        final List<ClientConnection> sorted = new ArrayList<>(connections);
        sorted.sort((a, b) -> Long.compare(a.connectionId(), b.connectionId()));
        json.writeArrayFieldStart("clients");
        for (final ClientConnection c : sorted)
        {
            json.writeStartObject();
            json.writeNumberField("id", c.connectionId());
            json.writeStringField("name", c.name());
            json.writeNumberField("pid", c.pid());
            json.writeNumberField("uid", c.uid());
            json.writeNumberField("gid", c.gid());
            json.writeStringField("transport", c.transportName());
            json.writeNumberField("subscriptions", c.subscriber().subscriptionCount());
            json.writeNumberField("queued_bytes", c.subscriber().queuedBytes());
            json.writeNumberField("pending_requests", c.pendingRequests());
            json.writeNumberField("queue_limit_bytes", c.subscriber().queueLimit());
            json.writeNumberField("descriptor_bytes_queued", c.subscriber().descriptorBytesQueued());
            json.writeNumberField("descriptors_unread", c.subscriber().descriptorsUnread());
            json.writeNumberField("subscription_bytes", c.subscriber().subscriptionBytes());
            json.writeNumberField("uid_queued_bytes", c.account().queuedBytes());
            json.writeNumberField("uid_subscription_bytes", c.account().subscriptionBytes());
            json.writeNumberField("published", c.lastSequence());
            writeTraffic(json, c.subscriber().counts());
            writePatterns(json, c.subscriber(), mayReadPatterns(viewerUid, c.uid()));
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    /** The other brokers this one hears on the LAN, with last-heard time and traffic, and the bridge's totals. */
    private static void writeLan(final JsonGenerator json, final LanBridge bridge) throws IOException
    {
        final BridgeCounters c = bridge.counters();
        json.writeObjectFieldStart("lan");
        json.writeNumberField("messages_out", c.get(BridgeCounters.MESSAGES_OUT));
        json.writeNumberField("bytes_out", c.get(BridgeCounters.BYTES_OUT));
        json.writeNumberField("messages_in", c.get(BridgeCounters.MESSAGES_IN));
        json.writeNumberField("bytes_in", c.get(BridgeCounters.BYTES_IN));
        json.writeNumberField("messages_lost", c.get(BridgeCounters.MESSAGES_LOST));
        json.writeNumberField("gaps", c.get(BridgeCounters.GAPS));
        json.writeNumberField("nodes_lost", c.get(BridgeCounters.NODES_LOST));
        json.writeNumberField("invalid_datagrams", c.get(BridgeCounters.INVALID_DATAGRAMS));
        json.writeNumberField("unauthenticated_datagrams", c.get(BridgeCounters.UNAUTHENTICATED_DATAGRAMS));
        json.writeNumberField("naks_sent", c.aeron(SystemCounterDescriptor.NAK_MESSAGES_SENT));
        json.writeNumberField("retransmits_sent", c.aeron(SystemCounterDescriptor.RETRANSMITS_SENT));
        json.writeArrayFieldStart("peers");
        final long now = System.currentTimeMillis();
        for (final Peer p : bridge.peers())
        {
            json.writeStartObject();
            json.writeStringField("node", p.name());
            json.writeNumberField("node_id", p.nodeId() & 0xFFFF_FFFFL);
            json.writeStringField("state", p.state());
            json.writeNumberField("last_heard_ms_ago", Math.max(0, now - p.lastHeardMs()));
            json.writeNumberField("messages_in", p.messagesIn());
            json.writeNumberField("bytes_in", p.bytesIn());
            json.writeNumberField("messages_lost", p.messagesLost());
            json.writeNumberField("announced_messages_out", p.announcedOut());
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /** One client's traffic since it connected (SPEC.md, STAT_REPLY). */
    private static void writeTraffic(final JsonGenerator json, final SubscriberCounts counts) throws IOException
    {
        json.writeNumberField("messages_delivered", counts.messagesDelivered());
        json.writeNumberField("bytes_delivered", counts.bytesDelivered());
        json.writeNumberField("dropped_oldest", counts.droppedOldest());
        json.writeNumberField("dropped_newest", counts.droppedNewest());
        json.writeNumberField("gaps_sent", counts.gapsSent());
        json.writeNumberField("messages_published", counts.messagesPublished());
        json.writeNumberField("bytes_published", counts.bytesPublished());
    }

    /**
     * One client's subscriptions, by id, with the pattern as {@link Printable} shows it (a control character
     * a client chose cannot act on the terminal of whoever reads the table); or, for a viewer who may not read
     * them, only that they are hidden.
     */
    // Issue 19: queue groups. Discards by group are the bounded labels of GroupCounters.
    private static void writeGroupTotals(final JsonGenerator json, final BrokerCounters counters) throws IOException
    {
        json.writeNumberField("group_deliveries", counters.get(BrokerCounters.GROUP_DELIVERIES));
        json.writeNumberField("group_discarded", counters.get(BrokerCounters.GROUP_DISCARDED));
        json.writeObjectFieldStart("group_discarded_by_group");
        final GroupCounters groups = counters.groups();
        for (int i = 0; i < groups.slots(); i++)
        {
            final String name = groups.name(i);
            if (name != null && groups.discarded(i) > 0)
            {
                json.writeNumberField(Printable.of(name), groups.discarded(i));
            }
        }
        json.writeEndObject();
    }

    private static void writePatterns(final JsonGenerator json, final Subscriber subscriber, final boolean visible)
        throws IOException
    {
        if (!visible)
        {
            json.writeBooleanField("patterns_hidden", true);
            return;
        }
        final List<Subscription> byId = new ArrayList<>(subscriber.subscriptions());
        byId.sort((a, b) -> Integer.compare(a.id(), b.id()));
        json.writeArrayFieldStart("patterns");
        for (final Subscription s : byId)
        {
            json.writeStartObject();
            json.writeNumberField("id", s.id() & 0xFFFF_FFFFL);
            json.writeStringField("pattern", Printable.of(s.pattern()));
            json.writeStringField("policy", s.policy().label());
            json.writeNumberField("queue_bytes", s.queueBytes());
            if (s.group() != null)
            {
                json.writeStringField("group", Printable.of(s.group().name()));
                json.writeNumberField("group_queued", subscriber.queuedMessagesOf(s.id()));
            }
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    /**
     * What a client subscribes to says what it is interested in, which another local user has no business
     * reading (README, Security): a client's patterns are shown to clients of the same uid, to root and to the
     * broker's own user; to anyone else, only counts. Names, pids and counts stay visible to all, as before.
     *
     * @param viewerUid uid of the client that asked.
     * @param ownerUid  uid of the client whose patterns they are.
     * @return true when the viewer may read them.
     */
    static boolean mayReadPatterns(final int viewerUid, final int ownerUid)
    {
        return viewerUid == ownerUid || viewerUid == 0 || viewerUid == OWN_UID;
    }
}

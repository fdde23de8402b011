package io.seqbus.broker.bridge;

import io.seqbus.broker.log.Log;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * The other brokers this one has heard on the LAN, one entry per broker process (instance id): what they
 * announced, when they were last heard, what came from them. Kept by the agent thread; other threads read
 * {@link #snapshot()}, rebuilt when something changes and at every announcement tick.
 */
final class PeerTable
{
    static final String UP = "up";
    static final String LEAVING = "leaving";
    static final String LOST = "lost";

    /** Gone peers are shown this long, then forgotten, so churn cannot grow the table. */
    private static final long FORGET_AFTER_MS = 300_000;

    /** One broker process, mutable, agent thread only. */
    static final class Entry
    {
        final int nodeId;
        final long instanceId;
        int sessionId;
        String name = "";
        long startTimeMs;
        long lastHeardMs;
        String state = UP;
        long expectedSequence;
        long messagesIn;
        long bytesIn;
        long messagesLost;
        long announcedOut;
        long announcedIn;
        boolean collisionReported;
        // Issue 19: the queue groups it announced (GROUPS), pattern -> group names, and when that last changed.
        io.seqbus.broker.route.TopicIndex<String> groups;
        java.util.List<io.seqbus.wire.GroupsFrame.Entry> groupEntries = java.util.List.of();
        long groupsChangedMs;

        Entry(final int nodeId, final long instanceId)
        {
            this.nodeId = nodeId;
            this.instanceId = instanceId;
        }

        String label()
        {
            return (name.isEmpty() ? "?" : name) + " (node " + Integer.toHexString(nodeId) + ")";
        }
    }

    private final Long2ObjectHashMap<Entry> byInstance = new Long2ObjectHashMap<>();
    private final Int2ObjectHashMap<Entry> bySession = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<Entry> currentByNode = new Int2ObjectHashMap<>();
    private final BridgeCounters counters;
    private volatile List<Peer> snapshot = List.of();
    private boolean dirty;
    private Entry replaced;

    PeerTable(final BridgeCounters counters)
    {
        this.counters = counters;
    }

    /**
     * Finds or makes the entry of a datagram's sender.
     *
     * @param nodeId     from the NODE frame.
     * @param instanceId from the NODE frame.
     * @param sessionId  Aeron session of the image it came on.
     * @param nowMs      wall clock.
     * @return the entry; {@link #replaced()} names the entry it displaced as its node's current one, if any.
     */
    Entry onNode(final int nodeId, final long instanceId, final int sessionId, final long nowMs)
    {
        replaced = null;
        Entry entry = byInstance.get(instanceId);
        if (entry == null)
        {
            entry = new Entry(nodeId, instanceId);
            entry.sessionId = sessionId;
            byInstance.put(instanceId, entry);
            bySession.put(sessionId, entry);
            dirty = true;
            Log.info("bridge: peer node " + Integer.toHexString(nodeId) + " instance " +
                Long.toHexString(instanceId) + " joined");
        }
        else if (entry.nodeId != nodeId)
        {
            // An instance id is random per process: a second node id for one means a corrupt sender.
            return null;
        }
        else if (entry.sessionId != sessionId || !bySession.containsKey(sessionId))
        {
            // Its image closed and came back (this broker fell out of the window): heard again, so up.
            entry.sessionId = sessionId;
            bySession.put(sessionId, entry);
            state(entry, UP);
        }
        final Entry current = currentByNode.get(nodeId);
        if (current != entry)
        {
            if (current != null && current.lastHeardMs != 0 && byInstance.containsKey(current.instanceId) &&
                entry.lastHeardMs != 0)
            {
                // Both instances were heard before: two live brokers share this node id.
                counters.increment(BridgeCounters.NODE_ID_COLLISIONS);
                if (!entry.collisionReported)
                {
                    entry.collisionReported = true;
                    Log.error("bridge: two brokers use node id " + Integer.toHexString(nodeId) + " (" +
                        current.label() + " and " + entry.label() + "): give them different --node-name");
                }
            }
            else
            {
                replaced = current;
            }
            currentByNode.put(nodeId, entry);
        }
        entry.lastHeardMs = nowMs;
        return entry;
    }

    /**
     * @return the entry the last {@link #onNode} displaced as its node's current instance (a restart), or null.
     */
    Entry replaced()
    {
        return replaced;
    }

    /**
     * @param sessionId of an Aeron image that went away.
     * @return the entry that sent on it, or null.
     */
    Entry onSessionGone(final int sessionId)
    {
        return bySession.remove(sessionId);
    }

    void state(final Entry entry, final String state)
    {
        if (!entry.state.equals(state))
        {
            entry.state = state;
            dirty = true;
        }
    }

    void onAnnounce(
        final Entry entry, final String name, final long startTimeMs, final long messagesOut, final long messagesIn,
        final boolean leaving)
    {
        if (!entry.name.equals(name))
        {
            entry.name = name;
            Log.info("bridge: peer " + entry.label() + " announced, started " + java.time.Instant.ofEpochMilli(startTimeMs));
        }
        entry.startTimeMs = startTimeMs;
        entry.announcedOut = messagesOut;
        entry.announcedIn = messagesIn;
        dirty = true;
        if (leaving)
        {
            state(entry, LEAVING);
            Log.info("bridge: peer " + entry.label() + " is leaving");
        }
        else if (!UP.equals(entry.state))
        {
            state(entry, UP);
        }
    }

    /**
     * A peer's GROUPS: its queue groups and their patterns replace what it announced before.
     *
     * @param entry   the peer.
     * @param entries what it announced.
     * @param nowMs   wall clock.
     */
    void onGroups(final Entry entry, final java.util.List<io.seqbus.wire.GroupsFrame.Entry> entries, final long nowMs)
    {
        if (entries.equals(entry.groupEntries))
        {
            return;
        }
        final io.seqbus.broker.route.TopicIndex<String> index = new io.seqbus.broker.route.TopicIndex<>(1024);
        for (final io.seqbus.wire.GroupsFrame.Entry e : entries)
        {
            if (io.seqbus.wire.Topics.isValidPattern(e.pattern()) && io.seqbus.wire.Groups.isValidGroup(e.group()))
            {
                index.add(e.pattern(), e.group());
            }
        }
        entry.groups = index;
        entry.groupEntries = java.util.List.copyOf(entries);
        entry.groupsChangedMs = nowMs;
        Log.info("bridge: peer " + entry.label() + " announced " + entries.size() + " queue group entries");
    }

    /**
     * @param nodeId a node.
     * @return its current broker's entry, or null.
     */
    Entry current(final int nodeId)
    {
        return currentByNode.get(nodeId);
    }

    /** @return the current entry of every node heard, whatever its state; iterate without allocating. */
    Int2ObjectHashMap<Entry>.ValueCollection currentEntries()
    {
        return currentByNode.values();
    }

    /**
     * Rebuilds the snapshot if anything changed or {@code force}; forgets long-gone peers.
     *
     * @param nowMs wall clock.
     * @param force rebuild anyway, so traffic figures stay fresh.
     */
    void publish(final long nowMs, final boolean force)
    {
        if (!dirty && !force)
        {
            return;
        }
        dirty = false;
        final ArrayList<Peer> peers = new ArrayList<>(byInstance.size());
        final ArrayList<Entry> forget = new ArrayList<>();
        int up = 0;
        for (final Entry e : byInstance.values())
        {
            if (!UP.equals(e.state) && nowMs - e.lastHeardMs > FORGET_AFTER_MS)
            {
                forget.add(e);
                continue;
            }
            up += UP.equals(e.state) ? 1 : 0;
            peers.add(new Peer(e.nodeId, e.instanceId, e.name, e.startTimeMs, e.lastHeardMs, e.state, e.messagesIn,
                e.bytesIn, e.messagesLost, e.announcedOut, e.announcedIn));
        }
        for (final Entry e : forget)
        {
            byInstance.remove(e.instanceId);
            if (currentByNode.get(e.nodeId) == e)
            {
                currentByNode.remove(e.nodeId);
            }
        }
        peers.sort((a, b) -> a.name().compareTo(b.name()));
        counters.set(BridgeCounters.PEERS, up);
        snapshot = List.copyOf(peers);
    }

    /**
     * @return the peers as of the last rebuild; safe from any thread.
     */
    List<Peer> snapshot()
    {
        return snapshot;
    }
}

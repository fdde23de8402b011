package io.seqbus.broker.bridge;

import io.seqbus.broker.config.BrokerContext;
import io.aeron.Aeron;
import io.aeron.AeronCounters;
import io.aeron.ControlledFragmentAssembler;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.exceptions.DriverTimeoutException;
import io.seqbus.broker.config.Configuration;
import io.seqbus.broker.log.Log;
import io.seqbus.wire.AnnounceFrame;
import io.seqbus.wire.GroupsFrame;
import io.seqbus.wire.GapReason;
import io.seqbus.wire.Protocol;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.CountersReader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentInvoker;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The broker's link to the other brokers of its LAN, owned and driven by the broker agent: local messages on
 * shared topics go out through {@link #onLocalMessage}, and {@link #doWork} brings in what other brokers sent,
 * runs the Aeron client's conductor (on this thread, so image events need no locks), sends the backlog and
 * announces this broker. Nothing blocks. Messages from the LAN are delivered locally and never sent back out.
 *
 * <p>With the embedded driver the agent also runs the driver's duty cycle ({@link EmbeddedDriver}), before the
 * client's and again after a cycle that offered, so a message goes out in the duty cycle that received it; the
 * driver's sockets are in the agent's epoll, so a datagram from the LAN wakes it, and {@link #idleBlockMs} bounds its
 * idle block for Aeron's timers. An external driver wakes nobody: the agent then blocks 1 ms at a time.
 */
public final class LanBridge implements AutoCloseable
{
    private static final int FRAGMENT_LIMIT = 64;
    private static final long CLOSE_DRAIN_NS = TimeUnit.SECONDS.toNanos(1);

    private final BrokerContext context;
    private final LocalBus local;
    private final BridgeCounters counters;
    private final SharedTopics shared;
    private final PeerTable peers;
    private final GapDetector gaps;
    private final PayloadAssembler payloads;
    private final long maxPayload;
    private final EmbeddedDriver driver;
    private final Aeron aeron;
    private final AgentInvoker conductor;
    private final ExclusivePublication publication;
    private final Subscription subscription;
    private final BridgeEncoder encoder;
    private final BridgeDecoder decoder;
    private final ControlledFragmentAssembler assembler;
    private final long startTimeMs = System.currentTimeMillis();
    private final long announceIntervalNs;
    private java.util.function.Supplier<java.util.List<GroupsFrame.Entry>> localGroups = java.util.List::of;
    private long nextAnnounceNs;
    private long publishedPosition;
    private boolean closing;

    private LanBridge(final BrokerContext context, final LocalBus local, final BridgeCounters counters)
    {
        this.context = context;
        this.local = local;
        this.counters = counters;
        this.shared = new SharedTopics(context.lanTopicList());
        this.peers = new PeerTable(counters);
        this.gaps = new GapDetector(local, peers, counters);
        this.maxPayload = context.lanMaxPayload();
        this.payloads = new PayloadAssembler(local, gaps, counters, maxPayload);
        this.announceIntervalNs = TimeUnit.MILLISECONDS.toNanos(context.lanAnnounceIntervalMs());
        final long instanceId = new SecureRandom().nextLong() | 1;
        final LanChannels channels = new LanChannels(context);
        final byte[] key = context.lanKey();

        EmbeddedDriver driver = null;
        Aeron aeron = null;
        try
        {
            if (context.embeddedDriver())
            {
                driver = EmbeddedDriver.launch(context.aeronDir(), Configuration.LAN_SO_RCVBUF_DEFAULT, local);
            }
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(context.aeronDir())
                .clientName("seqbus-broker " + context.nodeName())
                .useConductorAgentInvoker(true)
                // Waiting for the driver's answers (connect, add publication): run the driver meanwhile.
                .driverAgentInvoker(driver == null ? null : driver.invoker())
                .errorHandler((ex) -> Log.warn("aeron: " + ex)));
            this.publication = aeron.addExclusivePublication(channels.publication(), context.lanStream());
            for (final String destination : channels.destinations())
            {
                publication.addDestination(destination);
            }
            this.subscription = aeron.addSubscription(
                channels.subscription(), context.lanStream(), this::onImageAvailable, this::onImageUnavailable);
            this.encoder = new BridgeEncoder(publication, counters, context.nodeId(), instanceId,
                // The largest frame it sends: a DELIVER_REQUEST (a DELIVER's fields and a reply token).
                io.seqbus.wire.DeliverRequestFrame.frameLength(Protocol.MAX_TOPIC_LENGTH, context.maxPayload()),
                key == null ? null : new LanAuthenticator(key));
        }
        catch (final DriverTimeoutException ex)
        {
            CloseHelper.quietCloseAll(aeron, driver);
            if (context.embeddedDriver())
            {
                throw ex;
            }
            // Aeron's own words name a file (cnc.dat); the operator needs the setting that led there.
            throw new IllegalStateException("no Aeron media driver answered at " + context.aeronDir() +
                " (aeron.driver = external): start one with that aeron.dir, or use aeron.driver = embedded; aeron: " +
                ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(aeron, driver);
            throw ex;
        }
        this.driver = driver;
        this.aeron = aeron;
        this.conductor = aeron.conductorAgentInvoker();
        this.decoder = new BridgeDecoder(context.nodeId(), instanceId, local, shared, peers, gaps, payloads, counters,
            key == null ? null : new LanAuthenticator(key));
        this.assembler = new ControlledFragmentAssembler(decoder);
        counters.aeronCounters(aeron.countersReader());
        Log.info("bridge: node " + Integer.toHexString(context.nodeId()) + " instance " +
            Long.toHexString(instanceId) + " on " + channels.publication() +
            (channels.destinations().isEmpty() ? "" : " to " + channels.destinations()) +
            ", receiving on " + channels.subscription() + " stream " + context.lanStream() +
            ", sharing " + context.lanTopicList() + ", aeron dir " + context.aeronDir() +
            (key == null ? ", datagrams not authenticated" : ", datagrams authenticated with the key in " +
            context.lanKeyFile()));
    }

    /**
     * Starts the bridge: the media driver (if embedded), the Aeron client, the publication and subscription.
     *
     * @param context  the broker's settings, concluded.
     * @param local    the broker's side.
     * @param counters where the bridge counts.
     * @return the bridge.
     */
    public static LanBridge launch(final BrokerContext context, final LocalBus local, final BridgeCounters counters)
    {
        return new LanBridge(context, local, counters);
    }

    /**
     * Hands a local message to the bridge; it goes to the LAN if its topic is shared.
     */
    public void onLocalMessage(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid)
    {
        onLocalMessage(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence, timestampNs,
            uid, pid, 0);
    }

    /**
     * Hands a local message to the bridge with its frame-header flags; with {@code HEADERS} its payload starts with a
     * header block, which crosses as it is (SPEC.md, "Headers").
     *
     * @param headerFlag {@link io.seqbus.wire.Protocol#FLAG_HEADERS} or 0.
     */
    public void onLocalMessage(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final int headerFlag)
    {
        if (shared.matches(buffer, topicIndex, topicLength))
        {
            encoder.append(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence,
                timestampNs, uid, pid, headerFlag);
        }
    }

    /**
     * Hands a local request to the bridge (SPEC.md, "Requests across the LAN"): on a shared topic it goes to the LAN
     * as a DELIVER_REQUEST carrying this broker's token.
     *
     * @return the live peers it went to, each of which answers with a reply or a "none" (0: not to the LAN, or no
     * peer up): while any has not, the LAN is one more recipient.
     */
    public int onLocalRequest(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int payloadLength,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final long replyToken, final int headerFlag)
    {
        if (!shared.matches(buffer, topicIndex, topicLength))
        {
            return 0;
        }
        encoder.appendRequest(buffer, topicIndex, topicLength, payloadLength, sourceNode, publisherId, sequence,
            timestampNs, uid, pid, replyToken, headerFlag);
        return livePeers();
    }

    /**
     * Sends the first reply of a local subscriber to a request from the LAN back to the requester's broker.
     */
    public void sendLanReply(
        final int targetNode, final long replyToken, final int replierUid, final int replierPid,
        final long timestampNs, final DirectBuffer payload, final int payloadIndex, final int payloadLength,
        final int headerFlag)
    {
        encoder.appendLanReply(targetNode, replyToken, context.nodeId(), replierUid, replierPid, timestampNs, payload,
            payloadIndex, payloadLength, headerFlag);
    }

    /**
     * Tells the requester's broker that no reply will come from this one for its request: none of its subscribers
     * could answer ({@link LanReplyFrame#FLAG_NO_RESPONDERS}) or all that could left ({@code FLAG_RESPONDERS_GONE}).
     */
    public void sendLanNone(final long replyToken, final long timestampNs, final int flag)
    {
        encoder.appendLanNone((int)(replyToken >>> 32), replyToken, context.nodeId(), timestampNs, flag);
    }

    /** @return peers up now: the requester's broker waits for a reply, or a "none", from each. */
    private int livePeers()
    {
        int live = 0;
        for (final PeerTable.Entry peer : peers.currentEntries())
        {
            if (peer.nodeId != context.nodeId() && PeerTable.UP.equals(peer.state))
            {
                live++;
            }
        }
        return live;
    }

    /**
     * @param buffer      holding the topic.
     * @param topicIndex  of the first topic byte.
     * @param topicLength bytes of the topic.
     * @return true if messages on this topic go to the LAN.
     */
    public boolean isShared(final DirectBuffer buffer, final int topicIndex, final int topicLength)
    {
        return shared.matches(buffer, topicIndex, topicLength);
    }

    /**
     * Hands a local memfd payload to the bridge; it goes to the LAN, in order with the small messages, if its topic
     * is shared. The caller has checked it against {@code lan.max_payload} and keeps the descriptor (it closes it
     * after the call): the bridge maps it read-only, and the mapping keeps the bytes until they are sent.
     *
     * @param buffer      holding the topic.
     * @param topicIndex  of the first topic byte.
     * @param topicLength bytes of the topic.
     * @param memfd       the sealed payload memfd, checked.
     * @param payloadSize its size.
     */
    public void onLocalMemfd(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int memfd, final long payloadSize,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid)
    {
        onLocalMemfd(buffer, topicIndex, topicLength, memfd, payloadSize, sourceNode, publisherId, sequence,
            timestampNs, uid, pid, 0);
    }

    /**
     * As {@link #onLocalMemfd(DirectBuffer, int, int, int, long, int, long, long, long, int, int)} for a message with
     * a header block: the {@code blockLength} bytes right after the topic in {@code buffer} (the PUBLISH_FDS's inline
     * part), which cross in the DELIVER_MEMFD (SPEC.md, "Headers").
     *
     * @param blockLength bytes of the header block after the topic; 0 for none.
     */
    public void onLocalMemfd(
        final DirectBuffer buffer, final int topicIndex, final int topicLength, final int memfd, final long payloadSize,
        final int sourceNode, final long publisherId, final long sequence, final long timestampNs, final int uid,
        final int pid, final int blockLength)
    {
        if (shared.matches(buffer, topicIndex, topicLength))
        {
            encoder.appendMemfd(buffer, topicIndex, topicLength, memfd, payloadSize, sourceNode, publisherId, sequence,
                timestampNs, uid, pid, buffer, topicIndex + topicLength, blockLength);
        }
    }

    /**
     * A message from the LAN the broker could not take (no holder for its memfd): counted and told to the shared
     * subscriptions as LAN loss.
     *
     * @param sourceNode the node it came from.
     */
    public void lostLocally(final int sourceNode)
    {
        counters.add(BridgeCounters.MESSAGES_LOST, 1);
        counters.increment(BridgeCounters.GAPS);
        local.gapToSharedSubscriptions(sourceNode, 1, GapReason.BRIDGE_LOSS);
    }

    /**
     * @return the largest memfd payload that crosses the LAN, {@code lan.max_payload}: a bigger one on a shared
     * topic is refused ({@code NOT_ON_LAN}), and one from a peer is dropped as lost.
     */
    public long maxPayload()
    {
        return maxPayload;
    }

    /**
     * @param localGroups this broker's queue groups by pattern, for the GROUPS announcement.
     */
    public void localGroups(final java.util.function.Supplier<java.util.List<GroupsFrame.Entry>> localGroups)
    {
        this.localGroups = localGroups;
    }

    /**
     * Whether this broker delivers a message from the LAN to its members of a queue group (SPEC.md, "Queue groups
     * across the LAN"), decided alike by every broker from the GROUPS announcements: not when the origin announced a
     * member of the group whose pattern matches the topic (the origin served it); otherwise this broker only if its
     * rendezvous score for the message is the highest among itself and the live peers announcing such a member.
     * A decision taken while the announcement of a broker it involved is younger than {@link #UNCERTAIN_MS} is
     * counted: membership was changing, and another broker may have decided differently (a duplicate or a loss).
     * Agent thread; allocates nothing once each topic is in the peers' caches.
     *
     * @return true when this broker delivers it to one of its members.
     */
    public boolean deliversToGroup(
        final String group, final DirectBuffer buffer, final int topicIndex, final int topicLength,
        final int sourceNode, final long publisherId, final long sequence)
    {
        final long nowMs = decoderNowMs();
        boolean uncertain = false;
        final PeerTable.Entry origin = peers.current(sourceNode);
        if (origin != null)
        {
            uncertain = nowMs - origin.groupsChangedMs < UNCERTAIN_MS;
            if (announces(origin, group, buffer, topicIndex, topicLength))
            {
                counters.increment(BridgeCounters.GROUP_LAN_ELSEWHERE);
                return false;
            }
        }
        final long mine = rendezvous(context.nodeId(), sourceNode, publisherId, sequence);
        for (final PeerTable.Entry peer : peers.currentEntries())
        {
            if (peer == origin || peer.nodeId == context.nodeId() || !PeerTable.UP.equals(peer.state))
            {
                continue;
            }
            if (announces(peer, group, buffer, topicIndex, topicLength))
            {
                uncertain |= nowMs - peer.groupsChangedMs < UNCERTAIN_MS;
                final long theirs = rendezvous(peer.nodeId, sourceNode, publisherId, sequence);
                if (Long.compareUnsigned(theirs, mine) > 0 || (theirs == mine && peer.nodeId > context.nodeId()))
                {
                    counters.increment(BridgeCounters.GROUP_LAN_ELSEWHERE);
                    return false;
                }
            }
        }
        if (uncertain)
        {
            counters.increment(BridgeCounters.GROUP_LAN_UNCERTAIN);
        }
        return true;
    }

    /** Views younger than this are uncertain: announcements are a second apart and an image times out in 2 s. */
    static final long UNCERTAIN_MS = 2_000;

    private static boolean announces(
        final PeerTable.Entry peer, final String group, final DirectBuffer buffer, final int topicIndex,
        final int topicLength)
    {
        if (peer.groups == null)
        {
            return false;
        }
        final java.util.List<String> names = peer.groups.match(buffer, topicIndex, topicLength);
        for (int i = 0, n = names.size(); i < n; i++)
        {
            if (names.get(i).equals(group))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The rendezvous score of a broker for one message: the same function on every broker (SPEC.md gives it).
     */
    static long rendezvous(final int nodeId, final int sourceNode, final long publisherId, final long sequence)
    {
        long h = (nodeId & 0xFFFF_FFFFL) * 0x9E3779B97F4A7C15L;
        h ^= ((sourceNode & 0xFFFF_FFFFL) << 32 | (sourceNode & 0xFFFF_FFFFL)) * 0xC2B2AE3D27D4EB4FL;
        h ^= publisherId * 0x165667B19E3779F9L;
        h ^= sequence * 0xD6E8FEB86659FD93L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    private long decoderNowMs()
    {
        return decoder.nowMs();
    }

    /**
     * One duty cycle's share of bridge work.
     *
     * @param nowNs  the agent's monotonic clock.
     * @param nowMs  wall clock.
     * @param poll   false while local subscribers are full: read nothing from the LAN.
     * @param runDriver true when the agent's last poll found a socket of the embedded driver ready, or the agent
     *                  is spinning: run the driver, which reads its sockets.
     * @return work done.
     */
    public int doWork(final long nowNs, final long nowMs, final boolean poll, final boolean runDriver)
    {
        // The driver first: what local publishers offered in this cycle goes out, and datagrams come in. Not on
        // every cycle: its receiver reads every socket each time, a system call each, which cost local traffic on a
        // bridged broker 18% of its rate.
        final long offeredBefore = publication.position();
        int work = 0;
        if (driver != null && (runDriver || offeredBefore != publishedPosition || driver.due(nowNs)))
        {
            work += driver.doWork(nowNs);
        }
        work += conductor.invoke();
        decoder.nowMs(nowMs);
        if (poll)
        {
            work += subscription.controlledPoll(assembler, FRAGMENT_LIMIT);
        }
        work += encoder.drain();
        final boolean announceDue = nowNs - nextAnnounceNs >= 0;
        if (announceDue && encoder.announce(startTimeMs, decoder.messagesIn(), decoder.bytesIn(),
            AnnounceFrame.STATE_UP, context.nodeName()))
        {
            nextAnnounceNs = nowNs + announceIntervalNs;
            work++;
            // Issue 19: the queue groups with members here, after every ANNOUNCE (a lost one is sent again then).
            encoder.groups(localGroups.get());
        }
        peers.publish(nowMs, announceDue);
        final long position = publication.position();
        if (position != publishedPosition)
        {
            publishedPosition = position;
            if (driver != null)
            {
                driver.offered();
                if (position != offeredBefore)
                {
                    // Offered after the driver ran (by this drain or announce): send it now, not next cycle.
                    work += driver.doWork(nowNs);
                }
            }
        }
        return work;
    }

    /**
     * The agent is idle and about to block in epoll_wait.
     *
     * @param idleBlockMs how long it would block without the bridge.
     * @return how long it may: with the embedded driver, as its timers allow (a datagram ends the block anyway);
     * otherwise {@link Configuration#LAN_IDLE_BLOCK_MS}, since nothing tells it that LAN data arrived.
     */
    public int idleBlockMs(final int idleBlockMs)
    {
        return driver == null || !driver.watchesSockets() ?
            Math.min(idleBlockMs, Configuration.LAN_IDLE_BLOCK_MS) : Math.min(idleBlockMs, driver.nextBlockMs());
    }

    /**
     * @return true while messages wait for room in the publication: the agent then looks again within 1 ms, since
     * room comes with the peers' status messages, which do not ring.
     */
    public boolean hasBacklog()
    {
        return encoder.backlogBytes() > 0 || encoder.payloadsQueued() > 0;
    }

    /**
     * Which subscriptions a GAP from the LAN concerns: those whose pattern can match a shared topic.
     *
     * @param pattern a subscription's pattern.
     * @return true if some shared topic could match it.
     */
    public boolean overlapsShared(final String pattern)
    {
        return shared.overlaps(pattern);
    }

    /**
     * @return true while the backlog to the LAN is long: the agent then holds local publishers back.
     */
    public boolean isBackPressured()
    {
        // Queued memfd payloads are the publishers' memory, mapped: bounded apart, and in count (mappings).
        return encoder.backlogBytes() > Configuration.LAN_BACKLOG_BYTES ||
            encoder.payloadBacklogBytes() > Configuration.LAN_PAYLOAD_BACKLOG_FACTOR * maxPayload ||
            encoder.payloadsQueued() > Configuration.LAN_PAYLOADS_QUEUED;
    }

    /**
     * @return the other brokers heard on the LAN; safe from any thread.
     */
    public List<Peer> peers()
    {
        return peers.snapshot();
    }

    /**
     * @return the bridge's counters; safe from any thread.
     */
    public BridgeCounters counters()
    {
        return counters;
    }

    private void onImageAvailable(final Image image)
    {
        Log.debug("bridge: image of session " + image.sessionId() + " from " + image.sourceIdentity());
    }

    private void onImageUnavailable(final Image image)
    {
        final PeerTable.Entry entry = peers.onSessionGone(image.sessionId());
        // While this broker closes, every image goes away because of it: no news about the peers.
        if (entry != null && !closing)
        {
            payloads.onSenderGone(entry);
            gaps.onImageGone(entry);
        }
    }

    /**
     * Sends what is queued (within a bound), says this broker is leaving, and closes Aeron.
     */
    @Override
    public void close()
    {
        closing = true;
        final long deadline = System.nanoTime() + CLOSE_DRAIN_NS;
        while ((encoder.backlogBytes() > 0 || encoder.payloadsQueued() > 0) && System.nanoTime() - deadline < 0)
        {
            runDriver();
            conductor.invoke();
            encoder.drain();
            Thread.onSpinWait();
        }
        boolean said = false;
        while (!said && System.nanoTime() - deadline < 0)
        {
            runDriver();
            conductor.invoke();
            said = encoder.announce(startTimeMs, decoder.messagesIn(), decoder.bytesIn(),
                AnnounceFrame.STATE_LEAVING, context.nodeName());
        }
        // Nobody to tell (no peer up: all left or were lost), or nobody connected (the driver sends no data then):
        // no wait, so the last broker of a LAN to stop stops at once.
        final boolean sent = said && (livePeers() == 0 || !publication.isConnected() || awaitSent(deadline));
        encoder.closePayloads();
        payloads.close();
        CloseHelper.quietCloseAll(subscription, publication, aeron, driver);
        Log.info("bridge: closed" + (!said ? " (could not announce leaving)" : sent ? "" :
            " (leaving announced, not seen sent)"));
    }

    /**
     * Waits, within the deadline, until the driver has sent all that was offered: its sender position (the
     * {@code snd-pos} counter of this publication) reaches the publication's position. Closing the driver at once
     * could drop the leaving announcement (seen under load), and peers would then wait out their timeout.
     *
     * @return true when it was sent in time.
     */
    private boolean awaitSent(final long deadline)
    {
        final CountersReader counters = aeron.countersReader();
        final long registrationId = publication.registrationId();
        final int[] found = {CountersReader.NULL_COUNTER_ID};
        counters.forEach((counterId, typeId, key, label) ->
        {
            if (typeId == AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID && key.getLong(0) == registrationId)
            {
                found[0] = counterId;
            }
        });
        if (found[0] == CountersReader.NULL_COUNTER_ID)
        {
            return false;
        }
        final long offered = publication.position();
        while (counters.getCounterValue(found[0]) < offered)
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            runDriver();
            conductor.invoke();
            Thread.onSpinWait();
        }
        return true;
    }

    /**
     * While closing: the agent no longer cycles, so the embedded driver sends only what this thread runs.
     */
    private void runDriver()
    {
        if (driver != null)
        {
            driver.doWork(System.nanoTime());
        }
    }
}

package io.seqbus.broker;

import io.seqbus.broker.bridge.LanBridge;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.fanout.ClientProxy;
import io.seqbus.broker.fanout.FanOut;
import io.seqbus.broker.fanout.Subscriber;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.LanReplyFrame;
import io.seqbus.wire.ResponseFrame;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * The table of pending requests (SPEC.md, "Requests and replies"): each accepted REQUEST holds one slot until exactly
 * one RESPONSE ends it. A slot keeps the requester, its request_id, the subscribers the request went to and the
 * deadline. A reply token names a slot and its generation, so a REPLY finds its request in O(1) and a stale or forged
 * token misses. Deadlines sit in a timer wheel of intrusive lists through the slots, on the agent's clock: nothing
 * is allocated per request once the arrays have grown to the load (slots are reused oldest-freed first, so a
 * generation comes round as late as it can).
 *
 * <p>Agent thread only; the one owner of every request's state.
 */
final class Requests implements FanOut.RequestRecipients
{
    /** What {@link #begin} returns when the request_id is pending already on that connection. */
    static final int DUPLICATE = -1;
    /**
     * What {@link #begin} returns at max_pending_requests_per_connection, max_pending_requests_per_uid or
     * max_pending_requests_total.
     */
    static final int FULL = -2;
    /** Outcome counted when the requester closed first: no RESPONSE. */
    static final int ABANDONED = ResponseFrame.TOO_MANY_REQUESTS + 1;

    private static final int GENERATION_BITS = 8;
    private static final int GENERATION_MASK = (1 << GENERATION_BITS) - 1;
    /** Slots a token can name: 24 bits beside the generation. */
    static final int MAX_SLOTS = 1 << (32 - GENERATION_BITS);
    private static final int TICK_SHIFT = 20; // ~1 ms
    private static final int WHEEL_SIZE = 4096; // ~4.3 s a turn; later deadlines wait in their bucket for their turn
    private static final int WHEEL_MASK = WHEEL_SIZE - 1;
    private static final int NONE = -1;

    private final BrokerCounters counters;
    private final int nodeId;
    private final Long2LongHashMap slotByRequest = new Long2LongHashMap(NONE);
    private final int[] wheel = new int[WHEEL_SIZE];
    private long wheelTick;

    private int capacity;
    private ClientConnection[] requester = new ClientConnection[0];
    private int[] requestId = new int[0];
    private int[] generation = new int[0];
    private long[] deadlineNs = new long[0];
    private Subscriber[][] recipients = new Subscriber[0][];
    private int[] recipientCount = new int[0];
    private int[] next = new int[0];
    private int[] prev = new int[0];
    private int[] bucket = new int[0];
    // Requests across the LAN (SPEC.md, "Requests across the LAN"): an origin slot the LAN is one more recipient of,
    // and a proxy slot (no requester here) standing for a request from another broker, with that broker's token.
    private boolean[] viaLan = new boolean[0];
    // An origin slot: the live peers it went to that have not yet answered (a reply or a "none"); while any has not,
    // the LAN is one more recipient. And whether a recipient, here or on a peer, left before replying.
    private int[] lanWaiting = new int[0];
    private boolean[] anyGone = new boolean[0];
    private boolean[] proxy = new boolean[0];
    private long[] originToken = new long[0];
    private LanBridge bridge;
    // Free slots, a ring: freed at the tail, reused from the head.
    private int[] free = new int[0];
    private int freeHead;
    private int freeCount;
    private int live;
    // The request being fanned out, for mayReceive/delivered.
    private int delivering = NONE;
    private DirectBuffer deliveringTopic;
    private int deliveringTopicIndex;
    private int deliveringTopicLength;

    /**
     * @param counters where outcomes and drops are counted.
     * @param nodeId   this broker's node id: the top 32 bits of every token it issues.
     */
    Requests(final BrokerCounters counters, final int nodeId)
    {
        this.counters = counters;
        this.nodeId = nodeId;
        Arrays.fill(wheel, NONE);
        wheelTick = System.nanoTime() >> TICK_SHIFT;
    }

    /**
     * @param bridge where proxy slots send their reply (LAN_REPLY), or null without a LAN.
     */
    void bridge(final LanBridge bridge)
    {
        this.bridge = bridge;
    }

    /**
     * Takes a proxy slot for a request from another broker: its local recipients may reply, the first reply goes
     * back on the LAN, and nothing is told when it ends otherwise (the origin keeps its own timeout).
     *
     * @param token     the origin's reply token.
     * @param timeoutMs how long to keep it: this broker's max_request_timeout_ms (the frame carries no timeout).
     * @param nowNs     the agent's clock.
     * @param total     max_pending_requests_total.
     * @return the slot, or {@link #FULL}.
     */
    int beginProxy(final long token, final long timeoutMs, final long nowNs, final int total)
    {
        if (live >= Math.min(total, MAX_SLOTS))
        {
            counters.increment(BrokerCounters.PROXY_REQUESTS_OUTCOME + ResponseFrame.TOO_MANY_REQUESTS);
            return FULL;
        }
        final int slot = take(nowNs, timeoutMs);
        proxy[slot] = true;
        originToken[slot] = token;
        return slot;
    }

    /**
     * The request in this slot also went to the LAN, where a live peer may answer: it waits for a LAN_REPLY, for
     * every one of those peers to say none will come, or for its timeout, even when no local subscriber matched.
     *
     * @param slot  from {@link #begin}.
     * @param peers the live peers it went to: 1 or more.
     */
    void viaLan(final int slot, final int peers)
    {
        viaLan[slot] = true;
        lanWaiting[slot] = peers;
    }

    /**
     * A LAN_REPLY for this broker saying no reply will come from its broker: once every peer the request went to said
     * so and no local recipient is left, the request ends with NO_RESPONDERS (RESPONDERS_GONE when a recipient,
     * here or there, left before replying), not at its timeout.
     *
     * @param goneThere true for {@code FLAG_RESPONDERS_GONE}: the peer had recipients, and they left.
     * @return true when that ended the request.
     */
    boolean noneFromLan(final long token, final boolean goneThere)
    {
        final int slot = (int)(token >>> GENERATION_BITS) & (MAX_SLOTS - 1);
        if ((int)(token >>> 32) != nodeId || slot >= capacity || requester[slot] == null ||
            generation[slot] != ((int)token & GENERATION_MASK) || lanWaiting[slot] == 0)
        {
            return false; // ended already, or a peer that joined after it went out
        }
        anyGone[slot] |= goneThere;
        if (--lanWaiting[slot] == 0 && recipientCount[slot] == 0)
        {
            fail(slot, anyGone[slot] ? ResponseFrame.RESPONDERS_GONE : ResponseFrame.NO_RESPONDERS);
            return true;
        }
        return false;
    }

    /**
     * A LAN_REPLY for this broker: the first one ends its request with REPLIED, as a local REPLY would.
     *
     * @return true when it was routed to the requester.
     */
    boolean replyFromLan(final long token, final int replierNode, final int replierUid, final int replierPid,
        final long timestampNs, final DirectBuffer payload, final int payloadIndex, final int payloadLength,
        final int headerFlag)
    {
        final int slot = (int)(token >>> GENERATION_BITS) & (MAX_SLOTS - 1);
        if ((int)(token >>> 32) != nodeId || slot >= capacity || requester[slot] == null ||
            generation[slot] != ((int)token & GENERATION_MASK))
        {
            counters.increment(BrokerCounters.REPLIES_DROPPED_LATE);
            return false;
        }
        if (!viaLan[slot])
        {
            counters.increment(BrokerCounters.REPLIES_DROPPED_NOT_RECIPIENT);
            return false;
        }
        ClientProxy.responseReplied(requester[slot].subscriber(), requestId[slot], replierNode, replierUid,
            replierPid, timestampNs, payload, payloadIndex, payloadLength, headerFlag);
        release(slot, ResponseFrame.REPLIED);
        return true;
    }

    /** @return requests pending now. */
    int pending()
    {
        return live;
    }

    /**
     * @param c a connection.
     * @return its requests pending now.
     */
    int pending(final ClientConnection c)
    {
        return c.pendingRequests();
    }

    /**
     * @param c         the requester.
     * @param id        its request_id.
     * @return true when that request_id is pending on that connection.
     */
    boolean isPending(final ClientConnection c, final int id)
    {
        return slotByRequest.get(key(c, id)) != NONE;
    }

    /**
     * Takes a slot for a request.
     *
     * @param c          the requester.
     * @param id         its request_id, not 0.
     * @param timeoutMs  1..max_request_timeout_ms.
     * @param nowNs      the agent's clock.
     * @param perConnection max_pending_requests_per_connection.
     * @param perUid     max_pending_requests_per_uid: the uid's connections together (charged in its account, released
     *                   in {@link #release} whichever way the slot ends), so one user cannot fill the table.
     * @param total      max_pending_requests_total.
     * @return the slot, or {@link #DUPLICATE} or {@link #FULL}.
     */
    int begin(final ClientConnection c, final int id, final long timeoutMs, final long nowNs,
        final int perConnection, final int perUid, final int total)
    {
        final long key = key(c, id);
        if (slotByRequest.get(key) != NONE)
        {
            return DUPLICATE;
        }
        if (c.pendingRequests() >= perConnection || live >= Math.min(total, MAX_SLOTS))
        {
            return FULL;
        }
        if (c.account().pendingRequests() >= perUid)
        {
            counters.increment(BrokerCounters.LIMIT_PENDING_REQUESTS_PER_UID);
            return FULL;
        }
        final int slot = take(nowNs, timeoutMs);
        requester[slot] = c;
        requestId[slot] = id;
        slotByRequest.put(key, slot);
        c.pendingRequests(1);
        c.account().requests(1);
        return slot;
    }

    private int take(final long nowNs, final long timeoutMs)
    {
        if (freeCount == 0)
        {
            grow(Math.min(Math.max(16, capacity * 2), MAX_SLOTS));
        }
        final int slot = free[freeHead];
        freeHead = (freeHead + 1) % free.length;
        freeCount--;
        if (live == 0)
        {
            // Nothing was due: the wheel may skip the idle time at once.
            wheelTick = nowNs >> TICK_SHIFT;
        }
        live++;
        recipientCount[slot] = 0;
        viaLan[slot] = false;
        lanWaiting[slot] = 0;
        anyGone[slot] = false;
        proxy[slot] = false;
        deadlineNs[slot] = nowNs + timeoutMs * 1_000_000L;
        link(slot);
        counters.set(BrokerCounters.REQUESTS_PENDING, live);
        return slot;
    }

    /**
     * @param slot from {@link #begin}.
     * @return the token a REPLY to it names: node id, slot and generation.
     */
    long token(final int slot)
    {
        return ((long)nodeId << 32) | (((long)slot << GENERATION_BITS | generation[slot]) & 0xFFFF_FFFFL);
    }

    /**
     * Starts the fan-out of a request: {@link #mayReceive} checks each subscriber's right to reply on this topic.
     *
     * @param slot        from {@link #begin}.
     * @param topic       buffer holding the topic.
     * @param topicIndex  of its first byte.
     * @param topicLength bytes of it.
     */
    void delivering(final int slot, final DirectBuffer topic, final int topicIndex, final int topicLength)
    {
        delivering = slot;
        deliveringTopic = topic;
        deliveringTopicIndex = topicIndex;
        deliveringTopicLength = topicLength;
    }

    /**
     * A recipient is a connection whose HELLO said SERVICES (a client from before requests does not know
     * DELIVER_REQUEST, so it is no responder) and whose rules let it reply on the topic.
     */
    @Override
    public boolean mayReceive(final Subscriber to)
    {
        final ClientConnection c = (ClientConnection)to.owner();
        return c != null && to.acceptsRequests() &&
            c.permissions().mayReply(deliveringTopic, deliveringTopicIndex, deliveringTopicLength);
    }

    @Override
    public void delivered(final Subscriber to)
    {
        final int slot = delivering;
        final int count = recipientCount[slot];
        final Subscriber[] list = recipients[slot];
        for (int i = 0; i < count; i++)
        {
            if (list[i] == to)
            {
                return; // a second matching subscription of the same connection
            }
        }
        if (count == list.length)
        {
            recipients[slot] = Arrays.copyOf(list, Math.max(4, count * 2));
        }
        recipients[slot][count] = to;
        recipientCount[slot] = count + 1;
    }

    /**
     * Ends the fan-out: with no recipient the requester learns at once that nobody can answer.
     *
     * @param slot from {@link #begin}.
     * @return true when the request is pending; false when it was answered NO_RESPONDERS.
     */
    boolean delivered(final int slot)
    {
        delivering = NONE;
        deliveringTopic = null;
        if (recipientCount[slot] == 0 && lanWaiting[slot] == 0)
        {
            fail(slot, ResponseFrame.NO_RESPONDERS);
            return false;
        }
        return true;
    }

    /**
     * A REPLY: the first one from a recipient ends its request with REPLIED; every other is dropped and counted.
     *
     * @param replier       the sender of the REPLY.
     * @param token         the token it named.
     * @param payload       buffer holding its payload.
     * @param payloadIndex  of the first byte.
     * @param payloadLength bytes of it, a header block included.
     * @param headerFlag    the REPLY's {@code HEADERS} flag: the payload starts with a block, carried to the RESPONSE.
     * @param timestampNs   when it arrived, ns since the epoch.
     * @return true when it was routed to the requester.
     */
    boolean reply(final ClientConnection replier, final long token, final DirectBuffer payload, final int payloadIndex,
        final int payloadLength, final int headerFlag, final long timestampNs)
    {
        final int slot = (int)(token >>> GENERATION_BITS) & (MAX_SLOTS - 1);
        if ((int)(token >>> 32) != nodeId || slot >= capacity || !isLive(slot) ||
            generation[slot] != ((int)token & GENERATION_MASK))
        {
            counters.increment(BrokerCounters.REPLIES_DROPPED_LATE);
            return false;
        }
        if (!isRecipient(slot, replier.subscriber()))
        {
            counters.increment(BrokerCounters.REPLIES_DROPPED_NOT_RECIPIENT);
            return false;
        }
        if (proxy[slot])
        {
            // The first reply of a recipient here: back to the requester's broker, which ends the request.
            if (bridge != null)
            {
                // The header block, checked here as a REPLY's, crosses with its flag.
                bridge.sendLanReply((int)(originToken[slot] >>> 32), originToken[slot], replier.uid(), replier.pid(),
                    timestampNs, payload, payloadIndex, payloadLength, headerFlag);
            }
            release(slot, ResponseFrame.REPLIED);
            return true;
        }
        ClientProxy.responseReplied(requester[slot].subscriber(), requestId[slot], nodeId, replier.uid(),
            replier.pid(), timestampNs, payload, payloadIndex, payloadLength, headerFlag);
        release(slot, ResponseFrame.REPLIED);
        return true;
    }

    /**
     * Answers a request at once, with no slot: DENIED or TOO_MANY_REQUESTS.
     *
     * @param c      the requester.
     * @param id     its request_id.
     * @param status a RESPONSE status.
     */
    void refuse(final ClientConnection c, final int id, final int status)
    {
        ClientProxy.responseFailure(c.subscriber(), id, status);
        counters.increment(BrokerCounters.REQUESTS_OUTCOME + status);
    }

    /**
     * Ends every request whose deadline passed with TIMED_OUT; once per duty cycle.
     *
     * @param nowNs the agent's clock.
     * @return requests ended.
     */
    int expire(final long nowNs)
    {
        final long nowTick = nowNs >> TICK_SHIFT;
        if (live == 0)
        {
            wheelTick = nowTick;
            return 0;
        }
        int expired = 0;
        // A long sleep visits each bucket once at most.
        final long from = Math.max(wheelTick, nowTick - WHEEL_SIZE + 1);
        for (long tick = from; tick <= nowTick && live > 0; tick++)
        {
            int slot = wheel[(int)(tick & WHEEL_MASK)];
            while (slot != NONE)
            {
                final int after = next[slot];
                if (deadlineNs[slot] <= nowNs)
                {
                    fail(slot, ResponseFrame.TIMED_OUT);
                    expired++;
                }
                slot = after;
            }
        }
        wheelTick = nowTick;
        return expired;
    }

    /**
     * A connection closes: its own requests are forgotten (nobody is left to answer); it leaves the recipients of
     * every other, and a request it was the last recipient of ends with RESPONDERS_GONE at once.
     *
     * @param c the connection.
     */
    void onClosed(final ClientConnection c)
    {
        if (live == 0)
        {
            return;
        }
        final Subscriber gone = c.subscriber();
        for (int slot = 0; slot < capacity && live > 0; slot++)
        {
            if (!isLive(slot))
            {
                continue;
            }
            if (requester[slot] == c)
            {
                release(slot, ABANDONED);
                continue;
            }
            final Subscriber[] list = recipients[slot];
            final int count = recipientCount[slot];
            for (int i = 0; i < count; i++)
            {
                if (list[i] == gone)
                {
                    list[i] = list[count - 1];
                    list[count - 1] = null;
                    recipientCount[slot] = count - 1;
                    anyGone[slot] = true;
                    if (count == 1 && lanWaiting[slot] == 0)
                    {
                        fail(slot, ResponseFrame.RESPONDERS_GONE);
                    }
                    break;
                }
            }
        }
    }

    private boolean isRecipient(final int slot, final Subscriber s)
    {
        final Subscriber[] list = recipients[slot];
        for (int i = 0, n = recipientCount[slot]; i < n; i++)
        {
            if (list[i] == s)
            {
                return true;
            }
        }
        return false;
    }

    private boolean isLive(final int slot)
    {
        return requester[slot] != null || proxy[slot];
    }

    private void fail(final int slot, final int status)
    {
        if (proxy[slot])
        {
            // The origin answers its requester itself; it hears at once that no reply will come from here.
            if (bridge != null && (status == ResponseFrame.NO_RESPONDERS || status == ResponseFrame.RESPONDERS_GONE))
            {
                bridge.sendLanNone(originToken[slot], 0, status == ResponseFrame.NO_RESPONDERS ?
                    LanReplyFrame.FLAG_NO_RESPONDERS : LanReplyFrame.FLAG_RESPONDERS_GONE);
            }
            release(slot, status);
            return;
        }
        ClientProxy.responseFailure(requester[slot].subscriber(), requestId[slot], status);
        release(slot, status);
    }

    private void release(final int slot, final int outcome)
    {
        final ClientConnection c = requester[slot];
        final int outcomes = proxy[slot] ? BrokerCounters.PROXY_REQUESTS_OUTCOME : BrokerCounters.REQUESTS_OUTCOME;
        if (c != null)
        {
            slotByRequest.remove(key(c, requestId[slot]));
            c.pendingRequests(-1);
            c.account().requests(-1);
        }
        proxy[slot] = false;
        viaLan[slot] = false;
        unlink(slot);
        Arrays.fill(recipients[slot], 0, recipientCount[slot], null);
        recipientCount[slot] = 0;
        requester[slot] = null;
        generation[slot] = (generation[slot] + 1) & GENERATION_MASK;
        free[(freeHead + freeCount) % free.length] = slot;
        freeCount++;
        live--;
        counters.increment(outcomes + outcome);
        counters.set(BrokerCounters.REQUESTS_PENDING, live);
    }

    private void link(final int slot)
    {
        final long tick = Math.max(deadlineNs[slot] >> TICK_SHIFT, wheelTick + 1);
        final int b = (int)(tick & WHEEL_MASK);
        bucket[slot] = b;
        final int head = wheel[b];
        next[slot] = head;
        prev[slot] = NONE;
        if (head != NONE)
        {
            prev[head] = slot;
        }
        wheel[b] = slot;
    }

    private void unlink(final int slot)
    {
        final int before = prev[slot];
        final int after = next[slot];
        if (before != NONE)
        {
            next[before] = after;
        }
        else
        {
            wheel[bucket[slot]] = after;
        }
        if (after != NONE)
        {
            prev[after] = before;
        }
    }

    private static long key(final ClientConnection c, final int id)
    {
        return (c.connectionId() << 32) | (id & 0xFFFF_FFFFL);
    }

    // Growth is the one allocation: to the load's high-water mark, then never again.
    private void grow(final int newCapacity)
    {
        final int old = capacity;
        requester = Arrays.copyOf(requester, newCapacity);
        requestId = Arrays.copyOf(requestId, newCapacity);
        generation = Arrays.copyOf(generation, newCapacity);
        deadlineNs = Arrays.copyOf(deadlineNs, newCapacity);
        recipients = Arrays.copyOf(recipients, newCapacity);
        recipientCount = Arrays.copyOf(recipientCount, newCapacity);
        next = Arrays.copyOf(next, newCapacity);
        prev = Arrays.copyOf(prev, newCapacity);
        bucket = Arrays.copyOf(bucket, newCapacity);
        viaLan = Arrays.copyOf(viaLan, newCapacity);
        lanWaiting = Arrays.copyOf(lanWaiting, newCapacity);
        anyGone = Arrays.copyOf(anyGone, newCapacity);
        proxy = Arrays.copyOf(proxy, newCapacity);
        originToken = Arrays.copyOf(originToken, newCapacity);
        final int[] ring = new int[newCapacity];
        for (int i = 0; i < freeCount; i++)
        {
            ring[i] = free[(freeHead + i) % free.length];
        }
        for (int slot = old; slot < newCapacity; slot++)
        {
            recipients[slot] = new Subscriber[4];
            ring[freeCount++] = slot;
        }
        free = ring;
        freeHead = 0;
        capacity = newCapacity;
    }
}

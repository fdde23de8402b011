package io.seqbus.broker.fanout;

import io.seqbus.wire.SlowConsumerPolicy;

/**
 * One live subscription: which subscriber, under which id, for which pattern, with which slow-consumer
 * policy; and the delivery state only the fan-out writes: the DELIVER_RUN it may extend and the drops not
 * yet reported by a GAP. Created and removed by {@link SubscriptionRegistry} alone.
 */
public final class Subscription
{
    /** What one subscription is charged whatever its pattern: its objects and its index entry, bytes. */
    public static final int BASE_COST = 256;
    /**
     * What each token of a pattern is charged: a topic-index node with its map, measured at ~210 bytes on
     * a 64-bit JVM with compressed pointers (4,000 patterns of 10 distinct tokens took 2,069 bytes each).
     */
    public static final int TOKEN_COST = 224;

    private final Subscriber subscriber;
    private final int id;
    private final String pattern;
    private final FlowControl flowControl;
    private final int queueBytes;
    private final int cost;
    private final Group group;

    // The DELIVER_RUN this subscription last wrote, while it is the last frame of its outbox; FanOut's alone.
    /** Outbox version right after the run was last written; it may grow while the version is unchanged. */
    long runVersion = -1;
    /** Offset of the run's frame in the outbox's open datagram. */
    int runOffset;
    /** Publisher of the run's messages. */
    long runPublisherId;
    /** Sequence the run's next message must have. */
    long runNextSequence;
    /** Receive time shared by the run's messages. */
    long runTimestampNs;
    /** Source node of the run's messages. */
    int runSourceNode;

    // Messages dropped for this subscription (drop-newest) and not yet reported by a GAP.
    private long droppedCount;
    private int droppedSourceNode;
    private long droppedPublisherId;
    private long droppedFromSequence;
    private boolean droppedFromSeveral;
    private boolean droppedFromSeveralNodes;
    private int droppedReason;

    /**
     * @param subscriber that subscribed.
     * @param id         the client's subscription id.
     * @param pattern    the validated pattern.
     * @param policy     resolved slow-consumer policy (never DEFAULT).
     * @param queueBytes the bound of its subscriber's queue it asked for (or the broker's default).
     * @param cost       heap charged for it to its connection and uid, bytes.
     */
    Subscription(
        final Subscriber subscriber, final int id, final String pattern, final SlowConsumerPolicy policy,
        final int queueBytes, final int cost)
    {
        this(subscriber, id, pattern, policy, queueBytes, cost, null);
    }

    /**
     * @param subscriber that subscribed.
     * @param id         the client's subscription id.
     * @param pattern    the validated pattern.
     * @param policy     resolved slow-consumer policy (never DEFAULT).
     * @param queueBytes the bound of its subscriber's queue it asked for (or the broker's default).
     * @param cost       heap charged for it to its connection and uid, bytes.
     * @param group      the queue group it is a member of, or null.
     */
    Subscription(
        final Subscriber subscriber, final int id, final String pattern, final SlowConsumerPolicy policy,
        final int queueBytes, final int cost, final Group group)
    {
        this.group = group;
        this.queueBytes = queueBytes;
        this.cost = cost;
        this.subscriber = subscriber;
        this.id = id;
        this.pattern = pattern;
        this.flowControl = FlowControl.of(policy);
    }

    /** @return the subscriber it delivers to. */
    public Subscriber subscriber()
    {
        return subscriber;
    }

    /** @return the client's subscription id. */
    public int id()
    {
        return id;
    }

    /** @return the pattern. */
    public String pattern()
    {
        return pattern;
    }

    /** @return the queue group it is a member of, or null for an ordinary subscription. */
    public Group group()
    {
        return group;
    }

    /** @return the slow-consumer policy. */
    public SlowConsumerPolicy policy()
    {
        return flowControl.policy();
    }

    /** @return what its policy does when its subscriber's queue is at a bound. */
    FlowControl flowControl()
    {
        return flowControl;
    }

    /** @return the bound of its subscriber's queue it asked for, bytes. */
    public int queueBytes()
    {
        return queueBytes;
    }

    /** @return heap charged for it, bytes. */
    public int cost()
    {
        return cost;
    }

    /**
     * @param pattern a valid pattern.
     * @return what a subscription to it is charged: a fixed part, the pattern's characters and an
     * index node per token (patterns that share a prefix share nodes, so this is an upper bound).
     */
    public static int costOf(final String pattern)
    {
        int tokens = 1;
        for (int i = 0; i < pattern.length(); i++)
        {
            if (pattern.charAt(i) == '.')
            {
                tokens++;
            }
        }
        return BASE_COST + 2 * pattern.length() + tokens * TOKEN_COST;
    }

    /**
     * Records one message dropped for this subscription.
     *
     * @param sourceNode  of the dropped message (the GAP names it, as the client keys publishers by node).
     * @param publisherId of the dropped message.
     * @param sequence    of the dropped message.
     * @param reason      the GAP reason that will report it; one per GAP (the caller reports others first).
     * @return true if this is the first drop since the last GAP.
     */
    boolean recordDrop(final int sourceNode, final long publisherId, final long sequence, final int reason)
    {
        if (droppedCount++ == 0)
        {
            droppedReason = reason;
            droppedSourceNode = sourceNode;
            droppedPublisherId = publisherId;
            droppedFromSequence = sequence;
            droppedFromSeveral = false;
            droppedFromSeveralNodes = false;
            return true;
        }
        if (publisherId != droppedPublisherId || sourceNode != droppedSourceNode)
        {
            droppedFromSeveral = true;
        }
        if (sourceNode != droppedSourceNode)
        {
            droppedFromSeveralNodes = true;
        }
        return false;
    }

    /**
     * @return true when a drop for these would extend the unreported ones exactly: same reason, node and
     * publisher, and the next sequence.
     */
    boolean continuesDrop(final int reason, final int sourceNode, final long publisherId, final long sequence)
    {
        return droppedCount > 0 && droppedReason == reason && !droppedFromSeveral &&
            droppedSourceNode == sourceNode && droppedPublisherId == publisherId &&
            droppedFromSequence + droppedCount == sequence;
    }

    /** @return the GAP reason of the unreported drops. */
    int droppedReason()
    {
        return droppedReason;
    }

    /** @return messages dropped and not yet reported. */
    public long droppedCount()
    {
        return droppedCount;
    }

    /** @return the node of the unreported drops' publishers, 0 when they are on several nodes. */
    public int droppedSourceNode()
    {
        // Several publishers of one node (the local ones, say) still have one node: DELIVER says it, so does the GAP.
        return droppedFromSeveralNodes ? 0 : droppedSourceNode;
    }

    /** @return the publisher of the unreported drops, 0 when several. */
    public long droppedPublisherId()
    {
        return droppedFromSeveral ? 0 : droppedPublisherId;
    }

    /** @return the first unreported dropped sequence, 0 when from several publishers. */
    public long droppedFromSequence()
    {
        return droppedFromSeveral ? 0 : droppedFromSequence;
    }

    /** Forgets the drops once a GAP has reported them. */
    void dropsReported()
    {
        droppedCount = 0;
    }

    @Override
    public String toString()
    {
        return "Subscription{" + subscriber.label() + " #" + id + " '" + pattern + "' " + policy().label() + "}";
    }
}

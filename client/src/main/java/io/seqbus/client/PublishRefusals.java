package io.seqbus.client;

import io.seqbus.wire.ErrorCode;

import java.util.HashMap;

/**
 * The topics the broker refused to take publishes for, so the next publish to one fails at the call
 * instead of being sent only to be refused again. Used only under the {@link Outbound} lock.
 * <p>
 * The broker stays the authority: a refusal is believed for {@code ttl} only (access rules change on a
 * broker reload), after which publishes to the topic go to the broker again; one it refuses renews the
 * refusal, quietly. A refusal not renewed within a further {@code ttl} is forgotten, so a later one is
 * reported afresh. A new connection forgets them all.
 */
final class PublishRefusals
{
    private static final String PREFIX = "publish '";

    private final long ttlNs;
    private final HashMap<String, Refusal> byTopic = new HashMap<>();

    private static final class Refusal
    {
        final BusError error;
        long deniedUntilNs;
        long forgetAtNs;

        Refusal(final BusError error)
        {
            this.error = error;
        }
    }

    PublishRefusals(final long ttlNs)
    {
        this.ttlNs = ttlNs;
    }

    /**
     * The topic a refused PUBLISH names (SPEC.md, ERROR): a non-fatal ACCESS_DENIED with ref 0 whose reason
     * starts with {@code publish 'TOPIC' }. A topic never holds a space, so the first {@code "' "} ends it.
     *
     * @return the topic, or null when the error is not a refused publish.
     */
    static String topicOf(final int code, final boolean fatal, final int ref, final String reason)
    {
        if (code != ErrorCode.ACCESS_DENIED || fatal || ref != 0 || reason == null || !reason.startsWith(PREFIX))
        {
            return null;
        }
        final int end = reason.indexOf("' ", PREFIX.length());
        return end > PREFIX.length() ? reason.substring(PREFIX.length(), end) : null;
    }

    /**
     * A publish to {@code topic} is about to be sent; the hot path, allocation-free.
     *
     * @return the refusal it falls under, counted, or null when it may go to the broker.
     */
    BusError check(final String topic)
    {
        if (byTopic.isEmpty())
        {
            return null;
        }
        final Refusal refusal = byTopic.get(topic);
        if (refusal == null)
        {
            return null;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - refusal.deniedUntilNs < 0)
        {
            refusal.error.refusedOnceMore();
            return refusal.error;
        }
        if (nowNs - refusal.forgetAtNs >= 0)
        {
            byTopic.remove(topic);
        }
        return null;
    }

    /**
     * @return the refusal publishes to this topic fail under now, or null; counts nothing.
     */
    BusError peek(final String topic)
    {
        final Refusal refusal = byTopic.get(topic);
        return refusal != null && System.nanoTime() - refusal.deniedUntilNs < 0 ? refusal.error : null;
    }

    /**
     * The broker refused a publish to the error's topic.
     *
     * @param error as read, with its topic and a count of 1.
     * @return true when this refusal is new and the error handler should hear of it; false when it renews
     * (and counts into) one it has heard of.
     */
    boolean refused(final BusError error)
    {
        final long nowNs = System.nanoTime();
        Refusal refusal = byTopic.get(error.topic());
        final boolean fresh = refusal == null;
        if (fresh)
        {
            refusal = new Refusal(error);
            byTopic.put(error.topic(), refusal);
        }
        else
        {
            refusal.error.refusedOnceMore();
        }
        refusal.deniedUntilNs = nowNs + ttlNs;
        refusal.forgetAtNs = nowNs + 2 * ttlNs;
        return fresh;
    }

    /** A new connection: its rules may differ, so the broker is asked again. */
    void clear()
    {
        byTopic.clear();
    }
}

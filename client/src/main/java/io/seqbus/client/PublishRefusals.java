package io.seqbus.client;


import java.util.HashMap;

/**
 * The topics the broker refused to take publishes for, so the next publish to one fails at the call
 * instead of being sent only to be refused again. Used only under the {@link Outbound} lock.
 * <p>
 * The broker stays the authority: a refusal is believed for {@code ttl} only (access rules change on a
 * broker reload). Then one publish to the topic goes to the broker as a probe, followed by a PING, while
 * the others are still refused at the call: the broker handles a connection's frames in order, so an
 * ERROR for the probe comes before the PONG and renews the refusal, quietly; a PONG without it means the
 * probe was taken, and the refusal is forgotten, so a later one is reported afresh. A probe unanswered
 * for a further {@code ttl}, or one that could not be followed by a PING, lets publishes through until
 * the broker answers. A new connection forgets them all.
 */
final class PublishRefusals
{
    private static final String PREFIX = "publish '";

    private final long ttlNs;
    private final HashMap<String, Refusal> byTopic = new HashMap<>();
    // The refusal the publish just checked probes, until probeSent; then the number of probes out.
    private Refusal probing;
    private volatile int probesOut;

    private static final class Refusal
    {
        final BusError error;
        long deniedUntilNs;
        long forgetAtNs;
        // The PING sent after the probe, 0 when no probe is out.
        long probeToken;

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
        probing = null;
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
        if (nowNs - refusal.forgetAtNs >= 0)
        {
            forget(topic, refusal);
            return null;
        }
        if (nowNs - refusal.deniedUntilNs < 0 || refusal.probeToken != 0)
        {
            refusal.error.refusedOnceMore();
            return refusal.error;
        }
        // Believed long enough: this publish asks the broker again.
        probing = refusal;
        return null;
    }

    /**
     * @return true when the publish {@link #check} just let through is a probe.
     */
    boolean isProbing()
    {
        return probing != null;
    }

    /**
     * After the publish that {@link #check} let through joined the batch.
     *
     * @param pingToken of the PING appended after it, or 0 when there was no room for one.
     */
    void probeSent(final long pingToken)
    {
        final Refusal refusal = probing;
        if (refusal == null)
        {
            return;
        }
        probing = null;
        if (pingToken != 0)
        {
            refusal.probeToken = pingToken;
            probesOut++;
        }
    }

    /**
     * @return true while a probe waits for its PONG; read without the lock.
     */
    boolean probesOut()
    {
        return probesOut > 0;
    }

    /**
     * A PONG came: every probe sent before its PING that no ERROR renewed was taken by the broker.
     */
    void ponged(final long token)
    {
        byTopic.values().removeIf((refusal) ->
        {
            if (refusal.probeToken != 0 && refusal.probeToken <= token)
            {
                probesOut--;
                return true;
            }
            return false;
        });
    }

    private void forget(final String topic, final Refusal refusal)
    {
        if (refusal.probeToken != 0)
        {
            probesOut--;
        }
        byTopic.remove(topic);
    }

    /**
     * @return the refusal publishes to this topic fail under now, or null; counts nothing.
     */
    BusError peek(final String topic)
    {
        final Refusal refusal = byTopic.get(topic);
        if (refusal == null)
        {
            return null;
        }
        final long nowNs = System.nanoTime();
        return nowNs - refusal.forgetAtNs < 0 && (nowNs - refusal.deniedUntilNs < 0 || refusal.probeToken != 0) ?
            refusal.error : null;
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
            if (refusal.probeToken != 0)
            {
                refusal.probeToken = 0;
                probesOut--;
            }
        }
        refusal.deniedUntilNs = nowNs + ttlNs;
        refusal.forgetAtNs = nowNs + 2 * ttlNs;
        return fresh;
    }

    /** A new connection: its rules may differ, so the broker is asked again. */
    void clear()
    {
        byTopic.clear();
        probing = null;
        probesOut = 0;
    }
}

package io.seqbus.broker.fanout;

import java.util.ArrayList;

/**
 * What descriptor deliveries weigh on the broker now, over all subscribers: payload bytes queued or unread
 * (max_descriptor_bytes_total), and descriptors sent but perhaps not read, which the kernel charges to the broker's
 * user until they are (max_descriptors_in_flight, below its RLIMIT_NOFILE, so sendmsg never meets ETOOMANYREFS
 * in the normal course). Unread counts come from SIOCOUTQ: a subscriber's are reset once its socket is empty.
 * No EPOLLOUT says when a subscriber read its socket, so subscribers held back by these counts sit on a list that
 * the agent re-checks each duty cycle, as it does throttled publishers. Owned by the agent thread.
 */
final class DescriptorLoad
{
    // One SIOCOUTQ per subscriber with unread descriptors per sweep: rare enough to cost nothing under load.
    private static final long SWEEP_INTERVAL_NS = 100_000_000;

    private final ArrayList<Subscriber> waiting = new ArrayList<>();
    private final ArrayList<Subscriber> withUnread = new ArrayList<>();
    private long bytes;
    private long unreadDescriptors;
    private boolean recheckAllUnread;
    private long maxInFlight = Long.MAX_VALUE;
    private long nextSweepNs;

    /** @return payload bytes queued or unread over all subscribers. */
    long bytes()
    {
        return bytes;
    }

    /** @return descriptors sent to subscribers and not known read. */
    long unreadDescriptors()
    {
        return unreadDescriptors;
    }

    /** @param maxInFlight max_descriptors_in_flight (changes on reload; set once per duty cycle). */
    void maxInFlight(final long maxInFlight)
    {
        this.maxInFlight = maxInFlight;
    }

    /**
     * @param pending descriptors sent but not yet counted here (the sending subscriber's, this flush).
     * @param more    descriptors of the next datagram.
     * @return true when they may go: within max_descriptors_in_flight, or nothing is in flight at all (one datagram
     * always goes, whatever it carries: a bound below a datagram's worth must slow descriptors down, never stop them).
     */
    boolean mayPutInFlight(final int pending, final int more)
    {
        final long inFlight = unreadDescriptors + pending;
        return inFlight == 0 || inFlight + more <= maxInFlight;
    }

    /** Forgets a subscriber that closed: off the re-check list. Its unread counts must be 0 already. */
    void forget(final Subscriber s)
    {
        if (s.descriptorWaiting)
        {
            s.descriptorWaiting = false;
            waiting.remove(s);
        }
    }

    void bytes(final long delta)
    {
        bytes += delta;
    }

    void unread(final Subscriber s, final long descriptorsDelta, final long bytesDelta)
    {
        unreadDescriptors += descriptorsDelta;
        bytes += bytesDelta;
        if (descriptorsDelta > 0 && s.unreadIndex < 0)
        {
            s.unreadIndex = withUnread.size();
            withUnread.add(s);
        }
        else if (descriptorsDelta <= 0 && s.unreadIndex >= 0 && s.descriptorsUnread() == 0)
        {
            final int i = s.unreadIndex;
            final Subscriber last = withUnread.remove(withUnread.size() - 1);
            if (last != s)
            {
                withUnread.set(i, last);
                last.unreadIndex = i;
            }
            s.unreadIndex = -1;
        }
    }

    /**
     * @param s held back by a descriptor bound: re-checked each duty cycle until its reader catches up.
     */
    void wait(final Subscriber s)
    {
        if (!s.descriptorWaiting)
        {
            s.descriptorWaiting = true;
            waiting.add(s);
        }
    }

    /** A bound over all subscribers was reached: every subscriber with unread descriptors is asked again. */
    void recheckAllUnread()
    {
        recheckAllUnread = true;
    }

    /** @return true while some subscriber waits on a descriptor bound: the agent must not sleep long. */
    boolean hasWaiting()
    {
        return !waiting.isEmpty();
    }

    /**
     * Once per duty cycle, before the flush: asks the kernel again about the waiting subscribers (and, after a
     * bound over all of them was reached or every 100 ms, about every subscriber with unread descriptors), and lists
     * the waiting ones for flushing, so what they could not be sent goes now if it may.
     *
     * @param nowNs the agent's clock.
     */
    void recheck(final long nowNs)
    {
        // Subscribers that read everything and then got nothing more are never flushed again: a sweep now and
        // then forgets their unread counts, so the gauge and the in-flight bound do not keep them for ever.
        if (recheckAllUnread || (!withUnread.isEmpty() && nowNs - nextSweepNs >= 0))
        {
            recheckAllUnread = false;
            nextSweepNs = nowNs + SWEEP_INTERVAL_NS;
            for (int i = withUnread.size() - 1; i >= 0; i--)
            {
                withUnread.get(i).refreshUnread();
            }
        }
        for (int i = waiting.size() - 1; i >= 0; i--)
        {
            final Subscriber s = waiting.get(i);
            if (s.refreshUnread() && !s.stillWaitsOnDescriptors())
            {
                s.descriptorWaiting = false;
                waiting.set(i, waiting.get(waiting.size() - 1));
                waiting.remove(waiting.size() - 1);
            }
            s.markForFlush();
        }
    }
}

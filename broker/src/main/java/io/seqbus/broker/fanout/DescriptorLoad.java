package io.seqbus.broker.fanout;

import io.seqbus.broker.counters.BrokerCounters;

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
    private final BrokerCounters counters;
    private final ArrayList<Subscriber> waiting = new ArrayList<>();
    private final ArrayList<Subscriber> withUnread = new ArrayList<>();
    private long bytes;
    private long unreadDescriptors;
    private boolean recheckAllUnread;
    private long maxInFlight = Long.MAX_VALUE;

    DescriptorLoad(final BrokerCounters counters)
    {
        this.counters = counters;
    }

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

    /** @return descriptors that may still be sent before max_descriptors_in_flight; 0 or less: none. */
    long inFlightRoom()
    {
        return maxInFlight - unreadDescriptors;
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
     * bound over all of them was reached, about every subscriber with unread descriptors), and lists the waiting
     * ones for flushing, so what they could not be sent goes now if it may.
     */
    void recheck()
    {
        if (recheckAllUnread)
        {
            recheckAllUnread = false;
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
        counters.set(BrokerCounters.DESCRIPTORS_IN_FLIGHT, unreadDescriptors);
    }
}

package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.broker.log.Log;
import io.seqbus.broker.net.ClientConnection;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Session publishers (HELLO with a session, SPEC.md): which connection is each session's newest, where a closed
 * session's numbering stopped, and the PUBLISHER_RESUMED GAPs when a session comes back past publishes the broker
 * never numbered. Owned by the agent thread.
 */
final class Sessions
{
    private final BrokerContext context;
    private final BrokerCounters counters;
    private final ResumedPublishers resumedPublishers;
    private final ClosedSessions closedSessions;
    /** The newest open connection of each session publisher: only its close says where the numbering stopped. */
    private final Long2ObjectHashMap<ClientConnection> liveSessions = new Long2ObjectHashMap<>();

    /**
     * Tells subscribers that a session publisher came back with sequences the broker never numbered.
     */
    @FunctionalInterface
    interface ResumedPublishers
    {
        /**
         * @param resumer      the publisher's new connection (told nothing: its own client knows).
         * @param publisherId  the session's publisher id.
         * @param fromSequence the first sequence never numbered.
         * @param count        how many.
         * @return connections told.
         */
        int tell(ClientConnection resumer, long publisherId, long fromSequence, long count);
    }

    Sessions(final BrokerContext context, final BrokerCounters counters, final ResumedPublishers resumedPublishers)
    {
        this.context = context;
        this.counters = counters;
        this.resumedPublishers = resumedPublishers;
        this.closedSessions = new ClosedSessions(context.maxClosedSessions(), context.maxClosedSessionsPerUid());
    }

    /**
     * A session came back. When its previous connection was closed by this broker with publishes unread (an
     * eviction, a fatal ERROR), the client counted them sent and the broker never numbered them: the sequences
     * between where the broker stopped and where the client resumes are lost, and only now can that be known.
     * Subscribers are told once, with one GAP per connection that has subscriptions, and only when there is a
     * hole: the client library passes it on to the subscriptions that saw this publisher (SPEC.md, GAP).
     *
     * @param c            the session's new connection.
     * @param publisherId  derived from the uid and the session.
     * @param nextSequence the sequence its next publish gets, as the client says.
     */
    void resume(final ClientConnection c, final long publisherId, final long nextSequence)
    {
        liveSessions.put(publisherId, c);
        final long last = closedSessions.resumed(publisherId);
        counters.set(BrokerCounters.CLOSED_SESSIONS, closedSessions.size());
        c.resumeSession(publisherId, nextSequence, last >= 0);
        final long next = Math.max(1, nextSequence);
        if (last >= 0 && next > last + 1)
        {
            final int told = resumedPublishers.tell(c, publisherId, last + 1, next - last - 1);
            counters.increment(BrokerCounters.SESSIONS_RESUMED_WITH_LOSS);
            counters.add(BrokerCounters.RESUMED_LOSS_GAPS, told);
            Log.debug(c.label() + " resumed its session at sequence " + next + ": the broker had numbered up to " +
                last + "; told " + told + " subscriber connections");
        }
    }

    /**
     * Remembers where a closing session connection's numbering stopped, once, and only for the newest connection
     * of its session: an older one that closes late says nothing about the newer one's numbering.
     *
     * @param c a closing connection.
     */
    void closed(final ClientConnection c)
    {
        if (!c.hasSession() || liveSessions.get(c.publisherId()) != c)
        {
            return;
        }
        liveSessions.remove(c.publisherId());
        if (!c.sessionSeen() && !c.numberedAny())
        {
            // No subscriber can have seen this publisher here: nothing to compare a resume with.
            return;
        }
        closedSessions.limits(context.maxClosedSessions(), context.maxClosedSessionsPerUid());
        closedSessions.closed(c.uid(), c.publisherId(), c.lastSequence());
        counters.set(BrokerCounters.CLOSED_SESSIONS, closedSessions.size());
        counters.set(BrokerCounters.CLOSED_SESSIONS_FORGOTTEN, closedSessions.forgotten());
    }
}

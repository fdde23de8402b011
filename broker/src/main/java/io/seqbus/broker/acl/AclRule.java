package io.seqbus.broker.acl;

import java.util.List;

/**
 * One {@code [[acl.rule]]} of the config: who (a uid or a gid, names already resolved) may
 * publish to and subscribe to which patterns.
 *
 * @param uid       the peer uid it applies to, or -1 when it names a group.
 * @param gid       the peer's primary gid it applies to, or -1 when it names a user.
 * @param label     how the config named it, for logs and messages, e.g. {@code user orders (1001)}.
 * @param publish   patterns whose topics it may publish to.
 * @param subscribe patterns it may subscribe within.
 * @param block     true when it may subscribe with the block policy, holding publishers back.
 * @param passFds   patterns whose topics it may publish descriptors other than a payload memfd to.
 * @param request   patterns whose topics it may send requests to; null: as {@code publish}.
 * @param reply     patterns of topics whose requests it may receive and answer; null: as {@code subscribe}.
 * @param group     queue group names it may join ({@code *} for any), or null when the rule does not say: then
 *                  anyone who may subscribe may join any group (issue 19).
 */
public record AclRule(
    int uid, int gid, String label, List<String> publish, List<String> subscribe, boolean block, List<String> passFds,
    List<String> request, List<String> reply, List<String> group)
{
    /**
     * A rule whose request and reply rights follow publish and subscribe, and that says nothing of queue groups.
     *
     * @param uid       as above.
     * @param gid       as above.
     * @param label     as above.
     * @param publish   as above.
     * @param subscribe as above.
     * @param block     as above.
     * @param passFds   as above.
     */
    public AclRule(final int uid, final int gid, final String label, final List<String> publish,
        final List<String> subscribe, final boolean block, final List<String> passFds)
    {
        this(uid, gid, label, publish, subscribe, block, passFds, null, null, null);
    }

    /**
     * A rule that names the queue groups it may join; request and reply rights follow publish and subscribe.
     *
     * @param uid       as above.
     * @param gid       as above.
     * @param label     as above.
     * @param publish   as above.
     * @param subscribe as above.
     * @param block     as above.
     * @param passFds   as above.
     * @param group     as above.
     */
    public AclRule(final int uid, final int gid, final String label, final List<String> publish,
        final List<String> subscribe, final boolean block, final List<String> passFds, final List<String> group)
    {
        this(uid, gid, label, publish, subscribe, block, passFds, null, null, group);
    }

    /**
     * A rule with its own request and reply rights that says nothing of queue groups.
     *
     * @param uid       as above.
     * @param gid       as above.
     * @param label     as above.
     * @param publish   as above.
     * @param subscribe as above.
     * @param block     as above.
     * @param passFds   as above.
     * @param request   as above.
     * @param reply     as above.
     */
    public AclRule(final int uid, final int gid, final String label, final List<String> publish,
        final List<String> subscribe, final boolean block, final List<String> passFds, final List<String> request,
        final List<String> reply)
    {
        this(uid, gid, label, publish, subscribe, block, passFds, request, reply, null);
    }

    /** @return the patterns it may request on: its own {@code request}, else its {@code publish}. */
    public List<String> requestOrPublish()
    {
        return request != null ? request : publish;
    }

    /** @return the patterns it may reply within: its own {@code reply}, else its {@code subscribe}. */
    public List<String> replyOrSubscribe()
    {
        return reply != null ? reply : subscribe;
    }

    /**
     * A rule that grants no pass_fds.
     *
     * @param uid       as above.
     * @param gid       as above.
     * @param label     as above.
     * @param publish   as above.
     * @param subscribe as above.
     * @param block     as above.
     */
    public AclRule(final int uid, final int gid, final String label, final List<String> publish,
        final List<String> subscribe, final boolean block)
    {
        this(uid, gid, label, publish, subscribe, block, List.of());
    }

    /**
     * A rule that grants no block policy.
     *
     * @param uid       as above.
     * @param gid       as above.
     * @param label     as above.
     * @param publish   as above.
     * @param subscribe as above.
     */
    public AclRule(final int uid, final int gid, final String label, final List<String> publish,
        final List<String> subscribe)
    {
        this(uid, gid, label, publish, subscribe, false, List.of());
    }

    /**
     * @param peerUid the connection's uid from SO_PEERCRED.
     * @param peerGid the connection's gid from SO_PEERCRED.
     * @return true when this rule names that peer.
     */
    public boolean appliesTo(final int peerUid, final int peerGid)
    {
        return uid >= 0 ? uid == peerUid : gid == peerGid;
    }
}

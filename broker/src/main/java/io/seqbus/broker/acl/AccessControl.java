package io.seqbus.broker.acl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The access rules of a broker: a default for peers no rule names, and rules that name a uid or
 * a gid. A peer named by rules may do what the union of those rules allows and nothing else;
 * rules never widen the default for others. The identity is the kernel's ({@code SO_PEERCRED}:
 * uid and primary gid), so it cannot be claimed by the client.
 *
 * <p>Compiled {@link Permissions} are kept per identity, so connections of one service share one
 * publish-topic cache. Used by the agent thread only, once handed over.
 */
public final class AccessControl
{
    /** The rule set of a fresh install: no rules, everyone may do everything. */
    public static final AccessControl ALLOW_ALL = new AccessControl(true, List.of());

    private static final int OWN_UID = (int)io.seqbus.wire.DefaultSocket.uid();

    private final boolean defaultAllow;
    private final List<AclRule> rules;
    private final Map<Long, Permissions> byIdentity = new HashMap<>();

    /**
     * @param defaultAllow what peers no rule names may do: everything, or nothing.
     * @param rules        the rules, in config order.
     */
    public AccessControl(final boolean defaultAllow, final List<AclRule> rules)
    {
        this.defaultAllow = defaultAllow;
        this.rules = List.copyOf(rules);
    }

    /**
     * @param uid peer uid from the kernel, -1 when unknown.
     * @param gid peer gid from the kernel, -1 when unknown.
     * @return what that peer may do; the same instance for the same identity.
     */
    public Permissions permissionsFor(final int uid, final int gid)
    {
        if (rules.isEmpty())
        {
            return defaultAllow ? Permissions.ALL : Permissions.NONE;
        }
        final long identity = ((long)uid << 32) | (gid & 0xFFFF_FFFFL);
        Permissions permissions = byIdentity.get(identity);
        if (permissions == null)
        {
            permissions = compile(uid, gid);
            byIdentity.put(identity, permissions);
        }
        return permissions;
    }

    /**
     * Whether a peer may subscribe with the block policy, which holds back every publisher of the
     * topics it matches while it does not read (as a full pipe does): root, the broker's own user,
     * and whoever a rule grants {@code block = true}. Anyone else asking for block is refused, and a
     * subscription of theirs that leaves the policy to the broker gets drop-newest instead, so a
     * local user cannot stall other users' publishers by not reading.
     *
     * @param uid peer uid from the kernel.
     * @param gid peer gid from the kernel.
     * @return true when that peer may hold publishers back.
     */
    public boolean mayBlock(final int uid, final int gid)
    {
        if (uid == 0 || uid == OWN_UID)
        {
            return true;
        }
        for (final AclRule rule : rules)
        {
            if (rule.block() && rule.appliesTo(uid, gid))
            {
                return true;
            }
        }
        return false;
    }

    private Permissions compile(final int uid, final int gid)
    {
        final LinkedHashSet<String> publish = new LinkedHashSet<>();
        final LinkedHashSet<String> subscribe = new LinkedHashSet<>();
        final LinkedHashSet<String> passFds = new LinkedHashSet<>();
        // Null while no applying rule says which queue groups: then any group, as far as subscribe allows.
        LinkedHashSet<String> groups = null;
        final LinkedHashSet<String> request = new LinkedHashSet<>();
        final LinkedHashSet<String> reply = new LinkedHashSet<>();
        final List<String> labels = new ArrayList<>();
        for (final AclRule rule : rules)
        {
            if (rule.appliesTo(uid, gid))
            {
                publish.addAll(rule.publish());
                subscribe.addAll(rule.subscribe());
                passFds.addAll(rule.passFds());
                if (rule.group() != null)
                {
                    groups = groups == null ? new LinkedHashSet<>() : groups;
                    groups.addAll(rule.group());
                }
                request.addAll(rule.requestOrPublish());
                reply.addAll(rule.replyOrSubscribe());
                labels.add(rule.label());
            }
        }
        if (labels.isEmpty())
        {
            return defaultAllow ? Permissions.ALL : Permissions.NONE;
        }
        return new Permissions("rules for " + String.join(", ", labels), List.copyOf(publish), List.copyOf(subscribe),
            List.copyOf(passFds), List.copyOf(request), List.copyOf(reply), groups == null ? null : List.copyOf(groups));
    }

    /** @return true when peers no rule names may do everything. */
    public boolean defaultAllow()
    {
        return defaultAllow;
    }

    /** @return the rules. */
    public List<AclRule> rules()
    {
        return rules;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof AccessControl other && defaultAllow == other.defaultAllow && rules.equals(other.rules);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(defaultAllow, rules);
    }

    @Override
    public String toString()
    {
        return "acl(default " + (defaultAllow ? "allow" : "deny") + ", " + rules.size() + " rules)";
    }
}

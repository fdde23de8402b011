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

    private Permissions compile(final int uid, final int gid)
    {
        final LinkedHashSet<String> publish = new LinkedHashSet<>();
        final LinkedHashSet<String> subscribe = new LinkedHashSet<>();
        final List<String> labels = new ArrayList<>();
        for (final AclRule rule : rules)
        {
            if (rule.appliesTo(uid, gid))
            {
                publish.addAll(rule.publish());
                subscribe.addAll(rule.subscribe());
                labels.add(rule.label());
            }
        }
        if (labels.isEmpty())
        {
            return defaultAllow ? Permissions.ALL : Permissions.NONE;
        }
        return new Permissions("rules for " + String.join(", ", labels), List.copyOf(publish), List.copyOf(subscribe));
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

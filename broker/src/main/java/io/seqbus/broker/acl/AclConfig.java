package io.seqbus.broker.acl;

import com.fasterxml.jackson.databind.JsonNode;
import io.seqbus.wire.Groups;
import io.seqbus.wire.Topics;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the {@code [[acl.rule]]} array of the config file. Each rule names exactly one of
 * {@code uid} or {@code gid}, as a number or a name (resolved now), and lists {@code publish}
 * and {@code subscribe} patterns; a missing list allows nothing of that kind.
 *
 * <pre>
 * [[acl.rule]]
 * uid = "orders"              # or a number; gid = "ops" names the peer's primary group
 * publish = ["orders.&gt;"]
 * subscribe = ["orders.&gt;", "prices.*"]
 * pass_fds = ["orders.fds.&gt;"]  # descriptors besides a payload memfd; no rule, none (acl.default allow too)
 * group = ["workers"]         # queue groups it may join, "*" for any; no group key: any (where it may subscribe)
 * request = ["svc.&gt;"]      # topics it may send requests to; absent: as publish
 * reply = ["svc.price"]       # topics whose requests it receives and answers; absent: as subscribe
 * </pre>
 */
public final class AclConfig
{
    private static final Set<String> KEYS = Set.of("uid", "gid", "publish", "subscribe", "block", "pass_fds", "request",
        "reply", "group");

    private AclConfig()
    {
    }

    /**
     * @param rules    the value of {@code acl.rule}: an array of tables.
     * @param where    the file, for messages.
     * @param problems where each problem is added, naming the rule, the key, the value and what is allowed.
     * @return the rules read; complete only when no problem was added.
     */
    public static List<AclRule> parse(final JsonNode rules, final String where, final List<String> problems)
    {
        final List<AclRule> parsed = new ArrayList<>();
        if (!rules.isArray())
        {
            problems.add(where + ": acl.rule must be an array of tables, written [[acl.rule]]");
            return parsed;
        }
        for (int i = 0; i < rules.size(); i++)
        {
            final String name = where + ": acl.rule #" + (i + 1);
            final JsonNode rule = rules.get(i);
            if (!rule.isObject())
            {
                problems.add(name + " must be a table, written [[acl.rule]]");
                continue;
            }
            final int before = problems.size();
            final Iterator<String> keys = rule.fieldNames();
            while (keys.hasNext())
            {
                final String key = keys.next();
                if (!KEYS.contains(key))
                {
                    problems.add(name + ": unknown key '" + key + "'; allowed: uid or gid, publish, subscribe, " +
                        "block, pass_fds, request, reply, group");
                }
            }
            if (rule.has("uid") == rule.has("gid"))
            {
                problems.add(name + ": give exactly one of uid or gid (a number or a name)");
                continue;
            }
            final boolean user = rule.has("uid");
            final JsonNode who = rule.get(user ? "uid" : "gid");
            int id = -1;
            String label = null;
            if (who.isIntegralNumber() && who.canConvertToInt() && who.intValue() >= 0)
            {
                id = who.intValue();
                label = (user ? "uid " : "gid ") + id;
            }
            else if (who.isTextual())
            {
                id = user ? Accounts.uidOf(who.textValue()) : Accounts.gidOf(who.textValue());
                label = (user ? "user " : "group ") + who.textValue() + " (" + id + ")";
                if (id < 0)
                {
                    problems.add(name + ": " + (user ? "uid" : "gid") + " = " + who + " names no " +
                        (user ? "user" : "group") + " (getent " + (user ? "passwd" : "group") + ")");
                }
            }
            else
            {
                problems.add(name + ": " + (user ? "uid" : "gid") + " = " + who +
                    " is not allowed; allowed: a number 0..2147483647 or a name");
            }
            final List<String> publish = patterns(rule, "publish", name, problems);
            final List<String> subscribe = patterns(rule, "subscribe", name, problems);
            final List<String> passFds = patterns(rule, "pass_fds", name, problems);
            final List<String> group = rule.has("group") ? groups(rule, name, problems) : null;
            final List<String> request = rule.has("request") ? patterns(rule, "request", name, problems) : null;
            final List<String> reply = rule.has("reply") ? patterns(rule, "reply", name, problems) : null;
            final JsonNode block = rule.get("block");
            if (block != null && !block.isBoolean())
            {
                problems.add(name + ": block = " + block + " is not allowed; allowed: true or false");
            }
            if (problems.size() == before)
            {
                parsed.add(new AclRule(user ? id : -1, user ? -1 : id, label, publish, subscribe,
                    block != null && block.booleanValue(), passFds, request, reply, group));
            }
        }
        return parsed;
    }

    // Queue group names are one token: a name, or '*' (or '>') for any.
    private static List<String> groups(final JsonNode rule, final String name, final List<String> problems)
    {
        final List<String> groups = new ArrayList<>();
        final JsonNode list = rule.get("group");
        if (!list.isArray())
        {
            problems.add(name + ": group = " + list + " is not allowed; allowed: an array of queue group names or " +
                "\"*\" for any, e.g. [\"workers\"]");
            return groups;
        }
        for (final JsonNode g : list)
        {
            if (!g.isTextual() || !(Groups.isValidGroup(g.textValue()) || "*".equals(g.textValue()) ||
                ">".equals(g.textValue())))
            {
                problems.add(name + ": group entry " + g + " is not a queue group name; allowed: 1 to 64 bytes of " +
                    "one topic token, or \"*\" for any");
                continue;
            }
            groups.add(g.textValue());
        }
        return groups;
    }

    private static List<String> patterns(
        final JsonNode rule, final String key, final String name, final List<String> problems)
    {
        final List<String> patterns = new ArrayList<>();
        final JsonNode list = rule.get(key);
        if (list == null)
        {
            return patterns;
        }
        if (!list.isArray())
        {
            problems.add(name + ": " + key + " = " + list + " is not allowed; allowed: an array of patterns, " +
                "e.g. [\"orders.>\", \"prices.*\"]");
            return patterns;
        }
        for (final JsonNode p : list)
        {
            if (!p.isTextual() || !Topics.isValidPattern(p.textValue()))
            {
                problems.add(name + ": " + key + " entry " + p + " is not a valid pattern; allowed: dot-separated " +
                    "tokens, '*' for one whole token, '>' as the last token only");
                continue;
            }
            patterns.add(p.textValue());
        }
        return patterns;
    }
}

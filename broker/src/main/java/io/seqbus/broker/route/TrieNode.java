package io.seqbus.broker.route;

import org.agrona.collections.Object2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * A node of the topic trie: the entries whose pattern ends here and the children for the next token.
 * Wildcard children have their own fields so a match never looks them up by name; the map and the entry
 * list are created on first use and dropped when they empty, so a pruned-back trie holds no stale storage.
 *
 * @param <S> subscription type.
 */
final class TrieNode<S>
{
    private Object2ObjectHashMap<String, TrieNode<S>> literals;
    private TrieNode<S> one;
    private TrieNode<S> rest;
    private ArrayList<SubscriptionEntry<S>> entries;

    TrieNode<S> child(final String token)
    {
        if (TopicTokens.isOne(token))
        {
            return one;
        }
        if (TopicTokens.isRest(token))
        {
            return rest;
        }
        return literal(token);
    }

    TrieNode<S> literal(final String token)
    {
        return null == literals ? null : literals.get(token);
    }

    TrieNode<S> one()
    {
        return one;
    }

    TrieNode<S> rest()
    {
        return rest;
    }

    void putChild(final String token, final TrieNode<S> child)
    {
        if (TopicTokens.isOne(token))
        {
            one = child;
        }
        else if (TopicTokens.isRest(token))
        {
            rest = child;
        }
        else
        {
            if (null == literals)
            {
                literals = new Object2ObjectHashMap<>();
            }
            literals.put(token, child);
        }
    }

    void removeChild(final String token)
    {
        if (TopicTokens.isOne(token))
        {
            one = null;
        }
        else if (TopicTokens.isRest(token))
        {
            rest = null;
        }
        else if (null != literals)
        {
            literals.remove(token);
            if (literals.isEmpty())
            {
                literals = null;
            }
        }
    }

    void addEntry(final SubscriptionEntry<S> entry)
    {
        if (null == entries)
        {
            entries = new ArrayList<>(2);
        }
        entries.add(entry);
    }

    /**
     * Removes the earliest entry for this subscription (by identity), keeping the others in order.
     *
     * @param subscription to remove.
     * @return true if an entry was removed.
     */
    boolean removeEntry(final S subscription)
    {
        if (null == entries)
        {
            return false;
        }
        for (int i = 0, n = entries.size(); i < n; i++)
        {
            if (entries.get(i).subscription == subscription)
            {
                entries.remove(i);
                if (entries.isEmpty())
                {
                    entries = null;
                }
                return true;
            }
        }
        return false;
    }

    void entriesTo(final List<SubscriptionEntry<S>> out)
    {
        if (null != entries)
        {
            for (int i = 0, n = entries.size(); i < n; i++)
            {
                out.add(entries.get(i));
            }
        }
    }

    boolean isEmpty()
    {
        return null == entries && null == literals && null == one && null == rest;
    }
}

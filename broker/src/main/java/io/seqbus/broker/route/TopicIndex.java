package io.seqbus.broker.route;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Which subscriptions a topic reaches: a trie of pattern tokens with {@code *} (exactly one token) and
 * {@code >} (one or more trailing tokens) nodes, fronted by a cache of exact topics (see SPEC.md, "Topics").
 * <p>
 * Owned by one thread, the broker's duty cycle: nothing here is thread safe and nothing locks.
 * <p>
 * <b>Entries.</b> Each {@link #add(String, Object)} makes one entry; the same subscription (compared by
 * identity) may be added under several patterns, or even twice under one, and each {@link #remove(String, Object)}
 * takes out one entry, the earliest of that pattern and subscription.
 * <p>
 * <b>Order.</b> A match lists entries in the order they were added, so fan-out order is stable no matter which
 * trie branches matched.
 * <p>
 * <b>Cost.</b> A repeated topic is answered from the cache: hash the bytes in place, compare them with the
 * cached key, return the cached list, no allocation. A miss tokenises the topic, walks the trie, builds an
 * immutable result and caches it. Every add or remove that changes the index clears the cache. Removing the
 * last entry under a node prunes it and any ancestors it leaves empty, so churn does not grow the trie.
 *
 * @param <S> subscription type; compared by identity.
 */
public final class TopicIndex<S>
{
    private static final Comparator<SubscriptionEntry<?>> BY_SEQUENCE =
        (a, b) -> Long.compare(a.sequence, b.sequence);

    private final TrieNode<S> root = new TrieNode<>();
    private final MatchCache<S> cache;
    // Reused by every miss; the index is single threaded and a miss never re-enters.
    private final ArrayList<SubscriptionEntry<S>> scratch = new ArrayList<>();
    private Comparator<? super S> arrangement;
    private long nextSequence;
    private int subscriptionCount;
    private int nodeCount;

    /**
     * @param maxCacheEntries most exact topics the cache holds, e.g. 4096; 0 disables the cache.
     */
    public TopicIndex(final int maxCacheEntries)
    {
        cache = new MatchCache<>(maxCacheEntries);
    }

    /**
     * Orders every match result after the add order, stably: entries the comparator finds equal keep their add
     * order. Paid once per topic when its result is built, never per lookup; the fan-out uses it to list a queue
     * group's members together. Clears the cache.
     *
     * @param arrangement the order, or null for add order alone.
     */
    public void arrange(final Comparator<? super S> arrangement)
    {
        this.arrangement = arrangement;
        cache.clear();
    }

    /**
     * Adds an entry.
     *
     * @param pattern      a valid pattern (see {@code io.seqbus.wire.Topics#isValidPattern}); not checked here.
     * @param subscription to report for topics the pattern matches.
     */
    public void add(final String pattern, final S subscription)
    {
        Objects.requireNonNull(subscription, "subscription");
        final String[] tokens = TopicTokens.split(pattern);

        TrieNode<S> node = root;
        for (final String token : tokens)
        {
            TrieNode<S> next = node.child(token);
            if (null == next)
            {
                next = new TrieNode<>();
                node.putChild(token, next);
                nodeCount++;
            }
            node = next;
        }

        node.addEntry(new SubscriptionEntry<>(subscription, nextSequence++));
        subscriptionCount++;
        cache.clear();
    }

    /**
     * Removes the earliest entry of this pattern and subscription.
     *
     * @param pattern      as given to {@link #add(String, Object)}.
     * @param subscription as given to {@link #add(String, Object)}, compared by identity.
     * @return true if an entry was removed, false if there was none.
     */
    public boolean remove(final String pattern, final S subscription)
    {
        final boolean removed = remove(root, TopicTokens.split(pattern), 0, subscription);
        if (removed)
        {
            subscriptionCount--;
            cache.clear();
        }
        return removed;
    }

    /**
     * Subscriptions whose pattern matches a topic, one element per matching entry, in the order the entries were
     * added. A subscription added under two patterns that both match appears twice.
     * <p>
     * The list belongs to the index: read-only, valid until the next add or remove. Iterate it by index to stay
     * allocation free; it is {@link java.util.RandomAccess}.
     *
     * @param buffer holding the topic.
     * @param index  of the topic's first byte.
     * @param length of the topic in bytes; the bytes must be a valid topic.
     * @return the matching subscriptions, possibly empty.
     */
    public List<S> match(final DirectBuffer buffer, final int index, final int length)
    {
        final int hash = MatchCache.hash(buffer, index, length);
        final List<S> cached = cache.get(buffer, index, length, hash);
        if (null != cached)
        {
            return cached;
        }

        final List<S> result = lookup(buffer.getStringWithoutLengthUtf8(index, length));
        cache.put(buffer, index, length, hash, result);
        return result;
    }

    /**
     * Convenience for tests and tools; allocates.
     *
     * @param topic a valid topic.
     * @return as {@link #match(DirectBuffer, int, int)}.
     */
    public List<S> match(final String topic)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        return match(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    /**
     * @return number of entries.
     */
    public int subscriptionCount()
    {
        return subscriptionCount;
    }

    /**
     * @return number of topics the cache currently holds.
     */
    public int cacheSize()
    {
        return cache.size();
    }

    /**
     * @return trie nodes other than the root; 0 when the index is empty.
     */
    int nodeCount()
    {
        return nodeCount;
    }

    private List<S> lookup(final String topic)
    {
        final ArrayList<SubscriptionEntry<S>> entries = scratch;
        collect(root, TopicTokens.split(topic), 0, entries);

        final int size = entries.size();
        if (0 == size)
        {
            return List.of();
        }

        // Each node's entries are already in add order; the sort merges the runs from different branches.
        entries.sort(BY_SEQUENCE);
        final ArrayList<S> subscriptions = new ArrayList<>(size);
        for (int i = 0; i < size; i++)
        {
            subscriptions.add(entries.get(i).subscription);
        }
        entries.clear();
        if (arrangement != null)
        {
            subscriptions.sort(arrangement);
        }

        return List.copyOf(subscriptions);
    }

    private static <S> void collect(
        final TrieNode<S> node, final String[] tokens, final int depth, final List<SubscriptionEntry<S>> out)
    {
        if (depth == tokens.length)
        {
            node.entriesTo(out);
            return;
        }

        final TrieNode<S> rest = node.rest();
        if (null != rest)
        {
            // '>' needs at least one token and depth < tokens.length guarantees one.
            rest.entriesTo(out);
        }

        final TrieNode<S> literal = node.literal(tokens[depth]);
        if (null != literal)
        {
            collect(literal, tokens, depth + 1, out);
        }

        final TrieNode<S> one = node.one();
        if (null != one)
        {
            collect(one, tokens, depth + 1, out);
        }
    }

    private boolean remove(final TrieNode<S> node, final String[] tokens, final int depth, final S subscription)
    {
        if (depth == tokens.length)
        {
            return node.removeEntry(subscription);
        }

        final String token = tokens[depth];
        final TrieNode<S> child = node.child(token);
        if (null == child)
        {
            return false;
        }

        final boolean removed = remove(child, tokens, depth + 1, subscription);
        if (removed && child.isEmpty())
        {
            node.removeChild(token);
            nodeCount--;
        }
        return removed;
    }
}

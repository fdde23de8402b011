package io.seqbus.broker.route;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * PLACEHOLDER: replaced by the trie with a cache (branch topic-index).
 */
public final class TopicIndex<S>
{
    private final List<String> patterns = new ArrayList<>();
    private final List<S> subs = new ArrayList<>();
    private final ArrayList<S> result = new ArrayList<>();

    public TopicIndex(final int maxCacheEntries)
    {
    }

    public void add(final String pattern, final S subscription)
    {
        patterns.add(pattern);
        subs.add(subscription);
    }

    public boolean remove(final String pattern, final S subscription)
    {
        for (int i = 0; i < subs.size(); i++)
        {
            if (subs.get(i) == subscription && patterns.get(i).equals(pattern))
            {
                subs.remove(i);
                patterns.remove(i);
                return true;
            }
        }
        return false;
    }

    public List<S> match(final DirectBuffer buffer, final int index, final int length)
    {
        final byte[] b = new byte[length];
        buffer.getBytes(index, b);
        return match(new String(b, StandardCharsets.UTF_8));
    }

    public List<S> match(final String topic)
    {
        result.clear();
        final String[] t = topic.split("\\.", -1);
        for (int i = 0; i < subs.size(); i++)
        {
            final String[] p = patterns.get(i).split("\\.", -1);
            if (matches(p, t))
            {
                result.add(subs.get(i));
            }
        }
        return result;
    }

    private static boolean matches(final String[] p, final String[] t)
    {
        for (int i = 0; i < p.length; i++)
        {
            if (p[i].equals(">"))
            {
                return t.length > i;
            }
            if (i >= t.length || (!p[i].equals("*") && !p[i].equals(t[i])))
            {
                return false;
            }
        }
        return p.length == t.length;
    }

    public int subscriptionCount()
    {
        return subs.size();
    }
}

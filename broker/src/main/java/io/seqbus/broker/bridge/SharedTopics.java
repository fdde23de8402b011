package io.seqbus.broker.bridge;

import io.seqbus.broker.route.TopicIndex;
import org.agrona.DirectBuffer;

import java.util.List;

/**
 * The topics shared with the LAN ({@code --lan-topics}): a {@link TopicIndex} holding one marker per
 * pattern, so a repeated topic is answered from the index's cache without allocating.
 */
final class SharedTopics
{
    private static final Object MARKER = new Object();

    private final TopicIndex<Object> index = new TopicIndex<>(4096);
    private final String[][] patterns;

    SharedTopics(final List<String> patterns)
    {
        this.patterns = new String[patterns.size()][];
        for (int i = 0; i < patterns.size(); i++)
        {
            index.add(patterns.get(i), MARKER);
            this.patterns[i] = patterns.get(i).split("\\.");
        }
    }

    /**
     * @param buffer holding a valid topic.
     * @param index  of its first byte.
     * @param length of it.
     * @return true if the topic is shared.
     */
    boolean matches(final DirectBuffer buffer, final int index, final int length)
    {
        return patterns.length != 0 && !this.index.match(buffer, index, length).isEmpty();
    }

    /**
     * Whether some topic matches both this pattern and a shared one: which subscriptions a GAP from
     * the LAN concerns. Allocates; used only when loss is reported.
     *
     * @param pattern a valid subscription pattern.
     * @return true if the pattern overlaps a shared pattern.
     */
    boolean overlaps(final String pattern)
    {
        final String[] tokens = pattern.split("\\.");
        for (final String[] shared : patterns)
        {
            if (overlap(tokens, 0, shared, 0))
            {
                return true;
            }
        }
        return false;
    }

    static boolean overlap(final String[] a, final int i, final String[] b, final int j)
    {
        if (i < a.length && ">".equals(a[i]))
        {
            return j < b.length;
        }
        if (j < b.length && ">".equals(b[j]))
        {
            return i < a.length;
        }
        if (i == a.length || j == b.length)
        {
            return i == a.length && j == b.length;
        }
        final boolean token = "*".equals(a[i]) || "*".equals(b[j]) || a[i].equals(b[j]);
        return token && overlap(a, i + 1, b, j + 1);
    }
}

package io.seqbus.broker.route;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index against a list of (pattern, subscription) scanned with a token-by-token matcher. Tiny token
 * alphabets make matches, overlaps and duplicates common; tiny caches make eviction common.
 */
class TopicIndexPropertyTest
{
    private static final String[] LITERALS = { "a", "b", "c" };
    private static final int SUBSCRIPTIONS = 4;

    /** Identity, not equality: two subscriptions are the same only if they are the same object. */
    static final class Sub
    {
        final int id;

        Sub(final int id)
        {
            this.id = id;
        }

        public String toString()
        {
            return "sub" + id;
        }
    }

    interface Op
    {
    }

    record Add(String pattern, int sub) implements Op
    {
    }

    /** Removes an existing entry, picked at run time so removals mostly hit. */
    record RemoveExisting(int pick) implements Op
    {
    }

    /** Removes a random pattern and subscription, which mostly misses. */
    record RemoveAny(String pattern, int sub) implements Op
    {
    }

    record Match(String topic, int repeats, int offset) implements Op
    {
    }

    record Entry(String pattern, Sub sub)
    {
    }

    @Property(tries = 400)
    void matchesReference(
        @ForAll("operations") final List<Op> operations,
        @ForAll("cacheSizes") final int maxCacheEntries)
    {
        final Sub[] subs = new Sub[SUBSCRIPTIONS];
        for (int i = 0; i < SUBSCRIPTIONS; i++)
        {
            subs[i] = new Sub(i);
        }
        final TopicIndex<Sub> index = new TopicIndex<>(maxCacheEntries);
        final List<Entry> reference = new ArrayList<>();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);

        for (final Op op : operations)
        {
            if (op instanceof Add add)
            {
                index.add(add.pattern(), subs[add.sub()]);
                reference.add(new Entry(add.pattern(), subs[add.sub()]));
            }
            else if (op instanceof RemoveExisting remove)
            {
                if (!reference.isEmpty())
                {
                    final Entry entry = reference.get(remove.pick() % reference.size());
                    assertThat(index.remove(entry.pattern(), entry.sub()))
                        .isEqualTo(referenceRemove(reference, entry.pattern(), entry.sub()))
                        .isTrue();
                }
            }
            else if (op instanceof RemoveAny remove)
            {
                final Sub sub = subs[remove.sub()];
                assertThat(index.remove(remove.pattern(), sub))
                    .isEqualTo(referenceRemove(reference, remove.pattern(), sub));
            }
            else if (op instanceof Match match)
            {
                final List<Sub> expected = referenceMatch(reference, match.topic());
                // Repeats are cache hits unless an eviction or a tiny cache got in the way.
                for (int r = 0; r < match.repeats(); r++)
                {
                    final List<Sub> actual = matchAt(index, buffer, match.offset(), match.topic());
                    assertThat(actual).containsExactlyInAnyOrderElementsOf(expected);
                    assertThat(actual).containsExactlyElementsOf(expected);
                }
            }
            assertThat(index.subscriptionCount()).isEqualTo(reference.size());
            assertThat(index.cacheSize()).isLessThanOrEqualTo(maxCacheEntries);
        }

        for (final Entry entry : List.copyOf(reference))
        {
            assertThat(index.remove(entry.pattern(), entry.sub())).isTrue();
        }
        assertThat(index.subscriptionCount()).isZero();
        assertThat(index.nodeCount()).isZero();
    }

    @Provide
    Arbitrary<Integer> cacheSizes()
    {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 4), Arbitraries.just(4096));
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        final Arbitrary<Integer> sub = Arbitraries.integers().between(0, SUBSCRIPTIONS - 1);
        final Arbitrary<Op> add = Combinators.combine(patterns(), sub).as(Add::new);
        final Arbitrary<Op> removeExisting = Arbitraries.integers().between(0, 1000).map(RemoveExisting::new);
        final Arbitrary<Op> removeAny = Combinators.combine(patterns(), sub).as(RemoveAny::new);
        final Arbitrary<Op> match = Combinators.combine(
            topics(), Arbitraries.integers().between(1, 3), Arbitraries.integers().between(0, 7)).as(Match::new);

        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, add),
            net.jqwik.api.Tuple.of(2, removeExisting),
            net.jqwik.api.Tuple.of(1, removeAny),
            net.jqwik.api.Tuple.of(6, match))
            .list().ofMaxSize(60);
    }

    private static Arbitrary<String> topics()
    {
        return Arbitraries.of(LITERALS).list().ofMinSize(1).ofMaxSize(4).map(tokens -> String.join(".", tokens));
    }

    private static Arbitrary<String> patterns()
    {
        final Arbitrary<String> token = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.of(LITERALS)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just("*")));
        final Arbitrary<List<String>> body = token.list().ofMinSize(1).ofMaxSize(4);

        return Combinators.combine(body, Arbitraries.integers().between(0, 3)).as(
            (tokens, tail) ->
            {
                final List<String> all = new ArrayList<>(tokens);
                if (0 == tail)
                {
                    // '>' replaces the last token, so "a.>" and the bare ">" are both generated.
                    all.set(all.size() - 1, ">");
                }
                return String.join(".", all);
            });
    }

    private static List<Sub> matchAt(
        final TopicIndex<Sub> index, final UnsafeBuffer buffer, final int offset, final String topic)
    {
        // Junk either side proves the index reads exactly [offset, offset + length).
        buffer.setMemory(0, buffer.capacity(), (byte)'.');
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        buffer.putBytes(offset, bytes);
        return index.match(buffer, offset, bytes.length);
    }

    private static boolean referenceRemove(final List<Entry> reference, final String pattern, final Sub sub)
    {
        for (int i = 0; i < reference.size(); i++)
        {
            final Entry entry = reference.get(i);
            if (entry.pattern().equals(pattern) && entry.sub() == sub)
            {
                reference.remove(i);
                return true;
            }
        }
        return false;
    }

    private static List<Sub> referenceMatch(final List<Entry> reference, final String topic)
    {
        final List<Sub> result = new ArrayList<>();
        for (final Entry entry : reference)
        {
            if (referenceMatches(entry.pattern().split("\\."), topic.split("\\.")))
            {
                result.add(entry.sub());
            }
        }
        return result;
    }

    private static boolean referenceMatches(final String[] pattern, final String[] topic)
    {
        for (int i = 0; i < pattern.length; i++)
        {
            if (">".equals(pattern[i]))
            {
                return topic.length > i;
            }
            if (i >= topic.length)
            {
                return false;
            }
            if (!"*".equals(pattern[i]) && !pattern[i].equals(topic[i]))
            {
                return false;
            }
        }
        return pattern.length == topic.length;
    }
}

package io.seqbus.broker.route;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicIndexTest
{
    private final TopicIndex<String> index = new TopicIndex<>(4096);

    @Test
    void oneTokenWildcardMatchesExactlyOneToken()
    {
        index.add("orders.*.created", "s");

        assertThat(index.match("orders.eu.created")).containsExactly("s");
        assertThat(index.match("orders.eu.us.created")).isEmpty();
        assertThat(index.match("orders.created")).isEmpty();
        assertThat(index.match("orders.eu.deleted")).isEmpty();
    }

    @Test
    void restWildcardMatchesOneOrMoreTrailingTokens()
    {
        index.add("orders.>", "s");

        assertThat(index.match("orders.eu")).containsExactly("s");
        assertThat(index.match("orders.eu.x")).containsExactly("s");
        assertThat(index.match("orders")).isEmpty();
        assertThat(index.match("trades.eu")).isEmpty();
    }

    @Test
    void restAloneMatchesEverything()
    {
        index.add(">", "s");

        assertThat(index.match("a")).containsExactly("s");
        assertThat(index.match("a.b")).containsExactly("s");
        assertThat(index.match("orders.eu.created.today")).containsExactly("s");
    }

    @Test
    void oneAloneMatchesOneTokenTopicsOnly()
    {
        index.add("*", "s");

        assertThat(index.match("a")).containsExactly("s");
        assertThat(index.match("orders")).containsExactly("s");
        assertThat(index.match("a.b")).isEmpty();
    }

    @Test
    void literalPatternMatchesOnlyItsTopic()
    {
        index.add("orders.eu", "s");

        assertThat(index.match("orders.eu")).containsExactly("s");
        assertThat(index.match("orders")).isEmpty();
        assertThat(index.match("orders.eu.x")).isEmpty();
        assertThat(index.match("orders.us")).isEmpty();
    }

    @Test
    void wildcardsCombine()
    {
        index.add("*.*.>", "s");

        assertThat(index.match("a.b")).isEmpty();
        assertThat(index.match("a.b.c")).containsExactly("s");
        assertThat(index.match("a.b.c.d")).containsExactly("s");
    }

    @Test
    void resultsAreInAddOrderAcrossBranches()
    {
        index.add("orders.>", "first");
        index.add("orders.eu.created", "second");
        index.add("*.eu.*", "third");
        index.add(">", "fourth");
        index.add("orders.*.created", "fifth");

        assertThat(index.match("orders.eu.created")).containsExactly("first", "second", "third", "fourth", "fifth");
    }

    @Test
    void subscriptionUnderTwoMatchingPatternsAppearsTwice()
    {
        index.add("orders.>", "s");
        index.add("orders.*", "s");
        index.add("orders.eu", "t");

        assertThat(index.match("orders.eu")).containsExactly("s", "s", "t");
        assertThat(index.match("orders.us")).containsExactly("s", "s");
        assertThat(index.subscriptionCount()).isEqualTo(3);
    }

    @Test
    void duplicateEntriesCountSeparatelyAndRemoveOneAtATime()
    {
        index.add("a.b", "s");
        index.add("a.b", "s");

        assertThat(index.subscriptionCount()).isEqualTo(2);
        assertThat(index.match("a.b")).containsExactly("s", "s");

        assertThat(index.remove("a.b", "s")).isTrue();
        assertThat(index.match("a.b")).containsExactly("s");

        assertThat(index.remove("a.b", "s")).isTrue();
        assertThat(index.match("a.b")).isEmpty();
        assertThat(index.remove("a.b", "s")).isFalse();
        assertThat(index.subscriptionCount()).isZero();
        assertThat(index.nodeCount()).isZero();
    }

    @Test
    void subscriptionsAreComparedByIdentity()
    {
        final String one = new String("s");
        final String other = new String("s");
        final TopicIndex<String> identity = new TopicIndex<>(16);
        identity.add("a", one);

        assertThat(identity.remove("a", other)).isFalse();
        assertThat(identity.remove("a", one)).isTrue();
    }

    @Test
    void removeTakesOutOnlyThatPatternAndSubscription()
    {
        index.add("a.*", "s");
        index.add("a.b", "s");
        index.add("a.*", "t");

        assertThat(index.remove("a.*", "s")).isTrue();

        assertThat(index.match("a.b")).containsExactly("s", "t");
        assertThat(index.match("a.c")).containsExactly("t");
        assertThat(index.remove("a.>", "s")).isFalse();
        assertThat(index.remove("a.*", "u")).isFalse();
        assertThat(index.remove("x.y.z", "s")).isFalse();
        assertThat(index.subscriptionCount()).isEqualTo(2);
    }

    @Test
    void removingEarliestDuplicateKeepsLaterOrder()
    {
        index.add("a", "s");
        index.add(">", "t");
        index.add("a", "s");

        assertThat(index.remove("a", "s")).isTrue();

        assertThat(index.match("a")).containsExactly("t", "s");
    }

    @Test
    void addAfterMatchInvalidatesCache()
    {
        index.add("orders.eu", "s");
        assertThat(index.match("orders.eu")).containsExactly("s");
        assertThat(index.match("orders.eu")).containsExactly("s");
        assertThat(index.cacheSize()).isEqualTo(1);

        index.add("orders.*", "t");
        assertThat(index.cacheSize()).isZero();

        assertThat(index.match("orders.eu")).containsExactly("s", "t");
    }

    @Test
    void removeAfterMatchInvalidatesCache()
    {
        index.add("orders.eu", "s");
        index.add("orders.>", "t");
        assertThat(index.match("orders.eu")).containsExactly("s", "t");

        index.remove("orders.>", "t");

        assertThat(index.match("orders.eu")).containsExactly("s");
    }

    @Test
    void topicNobodyWantsIsCachedToo()
    {
        index.add("orders.eu", "s");

        assertThat(index.match("trades.eu")).isEmpty();
        assertThat(index.match("trades.eu")).isEmpty();
        assertThat(index.cacheSize()).isEqualTo(1);
    }

    @Test
    void matchReadsTopicInPlaceFromBuffer()
    {
        index.add("orders.*", "s");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final byte[] framed = "xxorders.euyy".getBytes(StandardCharsets.US_ASCII);
        buffer.putBytes(5, framed);

        assertThat(index.match(buffer, 7, 9)).containsExactly("s");
        buffer.putByte(16, (byte)'X');
        assertThat(index.match(buffer, 7, 9)).containsExactly("s");
        assertThat(index.match(buffer, 7, 6)).isEmpty();
        assertThat(index.match(buffer, 7, 8)).containsExactly("s");
    }

    @Test
    void nonAsciiTokensMatch()
    {
        index.add("prix.*.€", "s");

        assertThat(index.match("prix.zürich.€")).containsExactly("s");
        assertThat(index.match("prix.zürich.$")).isEmpty();
    }

    @Test
    void cacheIsBoundedAndStaysCorrectWhenEvicting()
    {
        final TopicIndex<String> small = new TopicIndex<>(3);
        small.add("t.>", "s");
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 50; i++)
            {
                assertThat(small.match("t." + i)).containsExactly("s");
                assertThat(small.match("u." + i)).isEmpty();
                assertThat(small.cacheSize()).isLessThanOrEqualTo(3);
            }
        }
        assertThat(small.cacheSize()).isEqualTo(3);
    }

    @Test
    void zeroCacheEntriesDisablesCache()
    {
        final TopicIndex<String> uncached = new TopicIndex<>(0);
        uncached.add("a", "s");

        assertThat(uncached.match("a")).containsExactly("s");
        assertThat(uncached.match("a")).containsExactly("s");
        assertThat(uncached.cacheSize()).isZero();
    }

    @Test
    void resultIsReadOnly()
    {
        index.add("a", "s");

        final List<String> result = index.match("a");

        assertThatThrownBy(() -> result.add("t")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> index.match("b").add("t")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void removingLastEntryPrunesPathBackToRoot()
    {
        index.add("a.b.c", "s");
        index.add("a.*", "t");
        assertThat(index.nodeCount()).isEqualTo(4);

        index.remove("a.b.c", "s");
        assertThat(index.nodeCount()).isEqualTo(2);

        index.remove("a.*", "t");
        assertThat(index.nodeCount()).isZero();
    }

    @Test
    void churnOfRandomPatternsLeavesNoNodes()
    {
        final Random random = new Random(42);
        final String[] alphabet = { "a", "b", "c", "d", "e", "f", "g", "h", "*" };
        final TopicIndex<Integer> churn = new TopicIndex<>(64);
        final List<String> patterns = new ArrayList<>();
        final List<Integer> subscriptions = new ArrayList<>();

        for (int i = 0; i < 100_000; i++)
        {
            final String pattern = randomPattern(random, alphabet);
            final Integer subscription = i;
            churn.add(pattern, subscription);
            patterns.add(pattern);
            subscriptions.add(subscription);

            // Interleave removals and matches so pruning happens mid-churn, not only at the end.
            if (random.nextInt(3) == 0)
            {
                final int victim = random.nextInt(patterns.size());
                assertThat(churn.remove(patterns.get(victim), subscriptions.get(victim))).isTrue();
                swapRemove(patterns, victim);
                swapRemove(subscriptions, victim);
            }
            if (random.nextInt(16) == 0)
            {
                churn.match("a.b.c");
            }
        }
        assertThat(churn.nodeCount()).isPositive();
        assertThat(churn.subscriptionCount()).isEqualTo(patterns.size());

        while (!patterns.isEmpty())
        {
            final int victim = random.nextInt(patterns.size());
            assertThat(churn.remove(patterns.get(victim), subscriptions.get(victim))).isTrue();
            swapRemove(patterns, victim);
            swapRemove(subscriptions, victim);
        }

        assertThat(churn.nodeCount()).isZero();
        assertThat(churn.subscriptionCount()).isZero();
        assertThat(churn.match("a.b.c")).isEmpty();
    }

    private static String randomPattern(final Random random, final String[] alphabet)
    {
        final int tokens = 1 + random.nextInt(6);
        final StringBuilder pattern = new StringBuilder();
        for (int t = 0; t < tokens; t++)
        {
            if (t > 0)
            {
                pattern.append('.');
            }
            if (t == tokens - 1 && random.nextInt(4) == 0)
            {
                pattern.append('>');
            }
            else
            {
                final String token = alphabet[random.nextInt(alphabet.length)];
                pattern.append(token);
                if (!"*".equals(token))
                {
                    // A wider literal alphabet makes a bushier trie, so pruning is exercised at many depths.
                    pattern.append(random.nextInt(4));
                }
            }
        }
        return pattern.toString();
    }

    private static <T> void swapRemove(final List<T> list, final int i)
    {
        final int last = list.size() - 1;
        list.set(i, list.get(last));
        list.remove(last);
    }
}

package io.seqbus.broker.acl;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PatternCover} against a brute-force reference: every topic over a small alphabet, up to
 * one token longer than the longest pattern, checked one by one. The alphabet holds the tokens
 * patterns use plus one they never name, which stands for all the tokens no pattern names.
 */
class PatternCoverPropertyTest
{
    private static final String[] ALPHABET = {"a", "b", "c", "z"};
    private static final int MAX_TOKENS = 4;

    @Property(tries = 3000)
    void agreesWithBruteForce(
        @ForAll("patternSets") final List<String> allowed, @ForAll("patterns") final String requested)
    {
        assertThat(PatternCover.covers(allowed, requested))
            .as("%s covers %s", allowed, requested)
            .isEqualTo(bruteForce(allowed, requested));
    }

    @Test
    void examples()
    {
        assertThat(PatternCover.covers(List.of("orders.>"), "orders.*")).isTrue();
        assertThat(PatternCover.covers(List.of("orders.*"), "orders.>")).isFalse();
        assertThat(PatternCover.covers(List.of("orders.*", "orders.*.>"), "orders.>")).isTrue();
        assertThat(PatternCover.covers(List.of("a.b", "a.c"), "a.*")).isFalse();
        assertThat(PatternCover.covers(List.of(">"), "a.*.>")).isTrue();
        assertThat(PatternCover.covers(List.of(), "a")).isFalse();
        assertThat(PatternCover.covers(List.of("*.b", "a.*"), "a.b")).isTrue();
    }

    @Provide
    Arbitrary<String> patterns()
    {
        final Arbitrary<String> token = Arbitraries.of("a", "b", "c", "*", "*", ">");
        return token.list().ofMinSize(1).ofMaxSize(MAX_TOKENS)
            .filter((tokens) -> !tokens.subList(0, tokens.size() - 1).contains(">"))
            .map((tokens) -> String.join(".", tokens));
    }

    @Provide
    Arbitrary<List<String>> patternSets()
    {
        return patterns().list().ofMinSize(0).ofMaxSize(4);
    }

    private static boolean bruteForce(final List<String> allowed, final String requested)
    {
        for (final String[] topic : topics())
        {
            if (matches(requested.split("\\."), topic) && !matchesAny(allowed, topic))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean matchesAny(final List<String> patterns, final String[] topic)
    {
        for (final String p : patterns)
        {
            if (matches(p.split("\\."), topic))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(final String[] pattern, final String[] topic)
    {
        for (int i = 0; i < pattern.length; i++)
        {
            if (">".equals(pattern[i]))
            {
                return topic.length > i;
            }
            if (i >= topic.length || (!"*".equals(pattern[i]) && !pattern[i].equals(topic[i])))
            {
                return false;
            }
        }
        return topic.length == pattern.length;
    }

    private static List<String[]> topics()
    {
        final List<String[]> all = new ArrayList<>();
        List<String[]> level = new ArrayList<>();
        level.add(new String[0]);
        for (int length = 1; length <= MAX_TOKENS + 1; length++)
        {
            final List<String[]> next = new ArrayList<>();
            for (final String[] prefix : level)
            {
                for (final String token : ALPHABET)
                {
                    final String[] t = java.util.Arrays.copyOf(prefix, length);
                    t[length - 1] = token;
                    next.add(t);
                }
            }
            all.addAll(next);
            level = next;
        }
        return all;
    }
}

package io.seqbus.broker.acl;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a set of allowed patterns covers a requested pattern: every topic the requested
 * pattern can match is matched by at least one allowed pattern. That is the meaning of "may
 * subscribe": a subscription must never receive a topic its subscriber could not have asked
 * for by name.
 *
 * <p>Walks the requested pattern token by token, keeping the allowed patterns still alive
 * (as positions into them). Topic tokens come from an unbounded alphabet, which makes the
 * wildcards simple: a {@code *} in the request must hold for a token no allowed pattern
 * names, so only allowed {@code *} (and {@code >}) survive it; a {@code >} in the request is the
 * union of {@code *}, {@code *.*}, ... and is covered when every length from one on is covered
 * by an allowed suffix made only of wildcards. Used at SUBSCRIBE and on reload; allocates.
 */
public final class PatternCover
{
    private static final String ONE = "*";
    private static final String REST = ">";

    private PatternCover()
    {
    }

    /**
     * @param allowed   valid patterns, each split at dots.
     * @param requested a valid pattern, split at dots.
     * @return true when every topic {@code requested} matches is matched by some allowed pattern.
     */
    public static boolean covers(final List<String[]> allowed, final String[] requested)
    {
        final List<Suffix> live = new ArrayList<>(allowed.size());
        for (final String[] pattern : allowed)
        {
            live.add(new Suffix(pattern, 0));
        }
        return covers(live, requested, 0);
    }

    /**
     * @param allowed   valid patterns.
     * @param requested a valid pattern.
     * @return as {@link #covers(List, String[])}.
     */
    public static boolean covers(final List<String> allowed, final String requested)
    {
        final List<String[]> split = new ArrayList<>(allowed.size());
        for (final String pattern : allowed)
        {
            split.add(pattern.split("\\.", -1));
        }
        return covers(split, requested.split("\\.", -1));
    }

    private static boolean covers(final List<Suffix> live, final String[] requested, final int at)
    {
        if (at == requested.length)
        {
            // Only an allowed pattern that ends here too matches the topic that ends here.
            for (final Suffix s : live)
            {
                if (s.atEnd())
                {
                    return true;
                }
            }
            return false;
        }
        for (final Suffix s : live)
        {
            // The request has at least one token left: a '>' takes whatever it is.
            if (!s.atEnd() && REST.equals(s.head()))
            {
                return true;
            }
        }
        final String token = requested[at];
        if (REST.equals(token))
        {
            return coversAnyTail(live);
        }
        final List<Suffix> next = new ArrayList<>(live.size());
        for (final Suffix s : live)
        {
            if (s.atEnd())
            {
                continue;
            }
            final String head = s.head();
            // A requested '*' must hold for a token no allowed pattern names: only '*' survives.
            if (ONE.equals(head) || (!ONE.equals(token) && head.equals(token)))
            {
                next.add(s.advance());
            }
        }
        return !next.isEmpty() && covers(next, requested, at + 1);
    }

    /**
     * A requested {@code >}: one or more tokens of any value. With tokens no pattern names, only
     * suffixes of wildcards alone match; {@code *^m} covers length m, {@code *^m.>} every length
     * above m. Covered when the lengths 1, 2, ... are all covered.
     */
    private static boolean coversAnyTail(final List<Suffix> live)
    {
        int openFrom = Integer.MAX_VALUE;
        final boolean[] exact = new boolean[256];
        for (final Suffix s : live)
        {
            int stars = 0;
            int i = s.at;
            while (i < s.tokens.length && ONE.equals(s.tokens[i]))
            {
                stars++;
                i++;
            }
            if (i == s.tokens.length)
            {
                if (stars > 0 && stars < exact.length)
                {
                    exact[stars] = true;
                }
            }
            else if (i == s.tokens.length - 1 && REST.equals(s.tokens[i]))
            {
                openFrom = Math.min(openFrom, stars + 1);
            }
        }
        if (openFrom == Integer.MAX_VALUE)
        {
            return false;
        }
        for (int length = 1; length < openFrom; length++)
        {
            if (!exact[length])
            {
                return false;
            }
        }
        return true;
    }

    private record Suffix(String[] tokens, int at)
    {
        boolean atEnd()
        {
            return at == tokens.length;
        }

        String head()
        {
            return tokens[at];
        }

        Suffix advance()
        {
            return new Suffix(tokens, at + 1);
        }
    }
}

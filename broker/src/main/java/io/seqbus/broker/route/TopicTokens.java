package io.seqbus.broker.route;

import io.seqbus.wire.Topics;

/**
 * Splits a valid topic or pattern into its tokens. Validity (no empty tokens) is the caller's concern.
 */
final class TopicTokens
{
    private static final char SEPARATOR = (char)Topics.SEPARATOR;

    private TopicTokens()
    {
    }

    static String[] split(final String topic)
    {
        int count = 1;
        for (int i = 0, n = topic.length(); i < n; i++)
        {
            if (topic.charAt(i) == SEPARATOR)
            {
                count++;
            }
        }

        final String[] tokens = new String[count];
        int start = 0;
        for (int t = 0; t < count - 1; t++)
        {
            final int end = topic.indexOf(SEPARATOR, start);
            tokens[t] = topic.substring(start, end);
            start = end + 1;
        }
        tokens[count - 1] = topic.substring(start);

        return tokens;
    }

    static boolean isOne(final String token)
    {
        return token.length() == 1 && token.charAt(0) == (char)Topics.ONE;
    }

    static boolean isRest(final String token)
    {
        return token.length() == 1 && token.charAt(0) == (char)Topics.REST;
    }
}

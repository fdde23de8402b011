package io.seqbus.wire;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * The topic and pattern rules of SPEC.md ("Topics"), checked in place over wire bytes.
 */
public final class Topics
{
    /** Token separator. */
    public static final byte SEPARATOR = '.';
    /** Wildcard for exactly one token. */
    public static final byte ONE = '*';
    /** Wildcard for one or more trailing tokens. */
    public static final byte REST = '>';

    private Topics()
    {
    }

    /**
     * @param buffer holding the topic.
     * @param index  of its first byte.
     * @param length in bytes.
     * @return true if it is a valid topic (no wildcards).
     */
    public static boolean isValidTopic(final DirectBuffer buffer, final int index, final int length)
    {
        return check(buffer, index, length, false);
    }

    /**
     * @param buffer holding the pattern.
     * @param index  of its first byte.
     * @param length in bytes.
     * @return true if it is a valid pattern.
     */
    public static boolean isValidPattern(final DirectBuffer buffer, final int index, final int length)
    {
        return check(buffer, index, length, true);
    }

    /**
     * @param topic a topic.
     * @return true if valid.
     */
    public static boolean isValidTopic(final String topic)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        return isValidTopic(new SafeBuffer(bytes), 0, bytes.length);
    }

    /**
     * @param pattern a pattern.
     * @return true if valid.
     */
    public static boolean isValidPattern(final String pattern)
    {
        final byte[] bytes = pattern.getBytes(StandardCharsets.UTF_8);
        return isValidPattern(new SafeBuffer(bytes), 0, bytes.length);
    }

    private static boolean check(final DirectBuffer buffer, final int index, final int length, final boolean pattern)
    {
        if (length < 1 || length > Protocol.MAX_TOPIC_LENGTH)
        {
            return false;
        }
        final int end = index + length;
        int tokenStart = index;
        for (int i = index; i <= end; i++)
        {
            final boolean atEnd = i == end;
            final byte b = atEnd ? SEPARATOR : buffer.getByte(i);
            if (b == SEPARATOR)
            {
                final int tokenLength = i - tokenStart;
                if (tokenLength == 0)
                {
                    return false;
                }
                if (tokenLength == 1)
                {
                    final byte only = buffer.getByte(tokenStart);
                    if (only == REST && (!pattern || !atEnd))
                    {
                        return false;
                    }
                    if (only == ONE && !pattern)
                    {
                        return false;
                    }
                }
                tokenStart = i + 1;
                continue;
            }
            if ((b & 0xFF) < 0x21 || b == 0x7F || isC1Control(buffer, i, end))
            {
                return false;
            }
            if ((b == ONE || b == REST) && !isWholeToken(buffer, i, index, end))
            {
                return false;
            }
        }
        return WireStrings.isValidUtf8(buffer, index, length);
    }

    /**
     * The C1 controls, U+0080 to U+009F (NEL, U+0085, among them), are control characters as much as the C0 ones:
     * in UTF-8 they are 0xC2 followed by 0x80 to 0x9F.
     */
    private static boolean isC1Control(final DirectBuffer buffer, final int i, final int end)
    {
        return buffer.getByte(i) == (byte)0xC2 && i + 1 < end && (buffer.getByte(i + 1) & 0xE0) == 0x80;
    }

    private static boolean isWholeToken(final DirectBuffer buffer, final int i, final int start, final int end)
    {
        final boolean leftEdge = i == start || buffer.getByte(i - 1) == SEPARATOR;
        final boolean rightEdge = i + 1 == end || buffer.getByte(i + 1) == SEPARATOR;
        return leftEdge && rightEdge;
    }
}

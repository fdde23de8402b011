package io.seqbus.wire;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * The queue group name rule of SPEC.md ("Queue groups"): 1 to 64 bytes with the characters of one topic token (a
 * topic with no separator and no wildcard), checked in place over wire bytes.
 */
public final class Groups
{
    /** Longest group name, bytes of UTF-8. */
    public static final int MAX_GROUP_LENGTH = 64;

    private Groups()
    {
    }

    /**
     * @param buffer holding the name.
     * @param index  of its first byte.
     * @param length in bytes.
     * @return true if it is a valid group name.
     */
    public static boolean isValidGroup(final DirectBuffer buffer, final int index, final int length)
    {
        if (length < 1 || length > MAX_GROUP_LENGTH)
        {
            return false;
        }
        for (int i = index; i < index + length; i++)
        {
            if (buffer.getByte(i) == Topics.SEPARATOR)
            {
                return false;
            }
        }
        return Topics.isValidTopic(buffer, index, length);
    }

    /**
     * @param group a group name.
     * @return true if valid.
     */
    public static boolean isValidGroup(final String group)
    {
        final byte[] bytes = group.getBytes(StandardCharsets.UTF_8);
        return isValidGroup(new SafeBuffer(bytes), 0, bytes.length);
    }
}

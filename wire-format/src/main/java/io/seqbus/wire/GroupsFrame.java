package io.seqbus.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.List;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * GROUPS (bridge only, issue 19): a broker tells the LAN which queue groups have members on it, and under which
 * patterns, so every broker can decide alike which one delivers a message to a group (SPEC.md, "Queue groups across
 * the LAN"). Follows a NODE frame, in a datagram of its own, every announcement interval.
 */
public final class GroupsFrame extends Flyweight
{
    /** Offset of u16 entry_count. */
    public static final int ENTRY_COUNT_OFFSET = 8;
    /** Offset of u16 reserved. */
    public static final int RESERVED_OFFSET = 10;
    /** Offset of the first entry; also the length of the fixed part. */
    public static final int ENTRIES_OFFSET = 12;
    /** Most entries one frame carries. */
    public static final int MAX_ENTRIES = 64;
    /** Fixed bytes of an entry: u16 members, u8 group_length, u16 pattern_length. */
    public static final int ENTRY_FIXED = 5;

    /**
     * One entry: members of a group on the sending broker that subscribed with one pattern.
     *
     * @param group   the group's name.
     * @param pattern the pattern.
     * @param members how many (at most 65,535 is said).
     */
    public record Entry(String group, String pattern, int members)
    {
    }

    /**
     * Writes a GROUPS frame.
     *
     * @param buffer  to write into.
     * @param offset  of the frame.
     * @param entries at most {@link #MAX_ENTRIES}, valid names and patterns.
     * @return the frame length.
     */
    public static int encode(final MutableDirectBuffer buffer, final int offset, final List<Entry> entries)
    {
        int at = offset + ENTRIES_OFFSET;
        for (final Entry e : entries)
        {
            buffer.putShort(at, (short)Math.min(e.members(), 0xFFFF), BYTE_ORDER);
            final int groupLength = WireStrings.putUtf8(buffer, at + 3, e.group());
            buffer.putByte(at + 2, (byte)groupLength);
            at += 3 + groupLength;
            final int patternLength = WireStrings.putUtf8(buffer, at + 2, e.pattern());
            buffer.putShort(at, (short)patternLength, BYTE_ORDER);
            at += 2 + patternLength;
        }
        final int length = at - offset;
        Protocol.putHeader(buffer, offset, length, FrameType.GROUPS);
        buffer.putShort(offset + ENTRY_COUNT_OFFSET, (short)entries.size(), BYTE_ORDER);
        buffer.putShort(offset + RESERVED_OFFSET, (short)0, BYTE_ORDER);
        return length;
    }

    /**
     * @param entries what a frame would carry.
     * @return its length in bytes.
     */
    public static int lengthOf(final List<Entry> entries)
    {
        int length = ENTRIES_OFFSET;
        for (final Entry e : entries)
        {
            length += ENTRY_FIXED + WireStrings.utf8Length(e.group()) + WireStrings.utf8Length(e.pattern());
        }
        return length;
    }

    /** @return entries in the frame. */
    public int entryCount()
    {
        return u16(ENTRY_COUNT_OFFSET);
    }

    /**
     * Reads the entries (allocates: once per peer per announcement interval).
     *
     * @param into where they are added.
     */
    public void entries(final List<Entry> into)
    {
        int at = offset + ENTRIES_OFFSET;
        for (int i = 0, n = entryCount(); i < n; i++)
        {
            final int members = buffer.getShort(at, BYTE_ORDER) & 0xFFFF;
            final int groupLength = buffer.getByte(at + 2) & 0xFF;
            final String group = buffer.getStringWithoutLengthUtf8(at + 3, groupLength);
            at += 3 + groupLength;
            final int patternLength = buffer.getShort(at, BYTE_ORDER) & 0xFFFF;
            final String pattern = buffer.getStringWithoutLengthUtf8(at + 2, patternLength);
            at += 2 + patternLength;
            into.add(new Entry(group, pattern, members));
        }
    }

    /**
     * The framing of a GROUPS frame: entry_count entries that end the frame exactly, each with a group of 1..64
     * bytes and a pattern of 1 or more; reserved 0.
     *
     * @param buffer      holding it.
     * @param at          its offset.
     * @param frameLength its length.
     * @return null when well-framed, else what is wrong.
     */
    static String framingError(final DirectBuffer buffer, final int at, final int frameLength)
    {
        if (frameLength < ENTRIES_OFFSET)
        {
            return "frame_length below the type's fixed part";
        }
        if (buffer.getShort(at + RESERVED_OFFSET, BYTE_ORDER) != 0)
        {
            return "reserved field is not 0";
        }
        final int count = buffer.getShort(at + ENTRY_COUNT_OFFSET, BYTE_ORDER) & 0xFFFF;
        if (count > MAX_ENTRIES)
        {
            return "more than 64 GROUPS entries";
        }
        final int end = at + frameLength;
        int e = at + ENTRIES_OFFSET;
        for (int i = 0; i < count; i++)
        {
            if (end - e < ENTRY_FIXED)
            {
                return "a GROUPS entry runs past the frame";
            }
            final int groupLength = buffer.getByte(e + 2) & 0xFF;
            if (groupLength < 1 || groupLength > Groups.MAX_GROUP_LENGTH || end - e < ENTRY_FIXED + groupLength)
            {
                return "a GROUPS entry's group_length is not 1..64 or runs past the frame";
            }
            e += 3 + groupLength;
            final int patternLength = buffer.getShort(e, BYTE_ORDER) & 0xFFFF;
            if (patternLength < 1 || end - e - 2 < patternLength)
            {
                return "a GROUPS entry's pattern_length is 0 or runs past the frame";
            }
            e += 2 + patternLength;
        }
        return e == end ? null : "GROUPS entries do not fill the frame";
    }
}

package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * HELLO: the client's greeting, first frame of every connection.
 */
public final class HelloFrame extends Flyweight
{
    /** Offset of u16 min_version. */
    public static final int MIN_VERSION_OFFSET = 8;
    /** Offset of u16 max_version. */
    public static final int MAX_VERSION_OFFSET = 10;
    /** Offset of u32 client_flags. */
    public static final int FLAGS_OFFSET = 12;
    /** Offset of u16 name_length. */
    public static final int NAME_LENGTH_OFFSET = 16;
    /** Offset of the name bytes; also the length of the fixed part. */
    public static final int NAME_OFFSET = 18;
    /**
     * {@code client_flags} bit: a session trailer (u64 session_id, u64 next_sequence) follows the name, so the
     * publisher keeps its id and its sequence across reconnects and broker restarts (SPEC.md, HELLO).
     */
    public static final int FLAG_SESSION = 1;
    /**
     * {@code client_flags} bit: the client reads WELCOME's {@code max_topic_length} (SPEC.md, WELCOME). A broker
     * that does not know it ignores it and leaves that field 0, as it was reserved; so does this broker for a client
     * that does not set it, whose reader may insist the field is 0.
     */
    public static final int FLAG_TOPIC_LIMIT = 2;
    /**
     * {@code client_flags} bit: the client reads with a control buffer, understands PUBLISH_FDS and DELIVER_FDS, and
     * reads WELCOME's descriptor-limits trailer (SPEC.md, "Descriptors"). Without it the connection never receives a
     * descriptor and may send none.
     */
    public static final int FLAG_DESCRIPTORS = 4;
    /**
     * {@code client_flags} bit: the client takes shared-memory rings if the broker offers them (SHM_READY after
     * WELCOME; SPEC.md, "Shared memory"). It needs {@link #FLAG_DESCRIPTORS}'s control buffer to receive them.
     */
    public static final int FLAG_SHARED_MEMORY = 8;
    /**
     * Client flag: the client understands the service patterns (headers, requests, queue groups; issue 19); a broker
     * that does too answers with the services trailer on WELCOME.
     */
    public static final int FLAG_SERVICES = 16;
    /** Bytes of the session trailer: u64 session_id, u64 next_sequence. */
    public static final int SESSION_LENGTH = 16;

    /**
     * Writes a HELLO frame.
     *
     * @param buffer     to write into.
     * @param offset     of the frame.
     * @param minVersion lowest version spoken.
     * @param maxVersion highest version spoken.
     * @param name       of the client, at most {@link Protocol#MAX_NAME_LENGTH} bytes of UTF-8.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int minVersion, final int maxVersion,
        final String name)
    {
        return encode(buffer, offset, minVersion, maxVersion, 0, name, 0, 0);
    }

    /**
     * Writes a HELLO frame with the session trailer ({@link #FLAG_SESSION}).
     *
     * @param buffer       to write into.
     * @param offset       of the frame.
     * @param minVersion   lowest version spoken.
     * @param maxVersion   highest version spoken.
     * @param name         of the client, at most {@link Protocol#MAX_NAME_LENGTH} bytes of UTF-8.
     * @param sessionId    chosen by the client, the same on every connection of one client instance.
     * @param nextSequence the sequence the client's next PUBLISH on this connection should get, from 1.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int minVersion, final int maxVersion,
        final String name, final long sessionId, final long nextSequence)
    {
        return encode(buffer, offset, minVersion, maxVersion, FLAG_SESSION, name, sessionId, nextSequence);
    }

    /**
     * Writes a HELLO frame with any {@code client_flags}; the session trailer follows the name when they hold
     * {@link #FLAG_SESSION}.
     *
     * @param buffer       to write into.
     * @param offset       of the frame.
     * @param minVersion   lowest version spoken.
     * @param maxVersion   highest version spoken.
     * @param clientFlags  any of {@link #FLAG_SESSION}, {@link #FLAG_TOPIC_LIMIT}, {@link #FLAG_DESCRIPTORS}, or 0.
     * @param name         of the client, at most {@link Protocol#MAX_NAME_LENGTH} bytes of UTF-8.
     * @param sessionId    with {@link #FLAG_SESSION}: chosen by the client, the same on every connection.
     * @param nextSequence with {@link #FLAG_SESSION}: the sequence the client's next PUBLISH should get, from 1.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int minVersion, final int maxVersion,
        final int clientFlags, final String name, final long sessionId, final long nextSequence)
    {
        final int nameLength = WireStrings.putUtf8(buffer, offset + NAME_OFFSET, name);
        final boolean session = (clientFlags & FLAG_SESSION) != 0;
        final int length = NAME_OFFSET + nameLength + (session ? SESSION_LENGTH : 0);
        Protocol.putHeader(buffer, offset, length, FrameType.HELLO);
        buffer.putShort(offset + MIN_VERSION_OFFSET, (short)minVersion, BYTE_ORDER);
        buffer.putShort(offset + MAX_VERSION_OFFSET, (short)maxVersion, BYTE_ORDER);
        buffer.putInt(offset + FLAGS_OFFSET, clientFlags, BYTE_ORDER);
        buffer.putShort(offset + NAME_LENGTH_OFFSET, (short)nameLength, BYTE_ORDER);
        if (session)
        {
            buffer.putLong(offset + NAME_OFFSET + nameLength, sessionId, BYTE_ORDER);
            buffer.putLong(offset + NAME_OFFSET + nameLength + 8, nextSequence, BYTE_ORDER);
        }
        return length;
    }

    /** @return true when the frame carries the session trailer. */
    public boolean hasSession()
    {
        return (clientFlags() & FLAG_SESSION) != 0;
    }

    /** @return the session id; only when {@link #hasSession()}. */
    public long sessionId()
    {
        return buffer.getLong(offset + NAME_OFFSET + nameLength(), BYTE_ORDER);
    }

    /** @return the sequence the next PUBLISH should get; only when {@link #hasSession()}. */
    public long nextSequence()
    {
        return buffer.getLong(offset + NAME_OFFSET + nameLength() + 8, BYTE_ORDER);
    }

    /** @return lowest version the client speaks. */
    public int minVersion()
    {
        return u16(MIN_VERSION_OFFSET);
    }

    /** @return highest version the client speaks. */
    public int maxVersion()
    {
        return u16(MAX_VERSION_OFFSET);
    }

    /** @return true when the client reads WELCOME's {@code max_topic_length}. */
    public boolean wantsTopicLimit()
    {
        return (clientFlags() & FLAG_TOPIC_LIMIT) != 0;
    }

    /** @return true when the client passes and receives descriptors. */
    public boolean wantsDescriptors()
    {
        return (clientFlags() & FLAG_DESCRIPTORS) != 0;
    }

    /** @return true when the client understands the service patterns and wants the service trailer on WELCOME. */
    public boolean wantsServices()
    {
        return (clientFlags() & FLAG_SERVICES) != 0;
    }

    /** @return true when the client takes shared-memory rings if offered. */
    public boolean wantsSharedMemory()
    {
        return (clientFlags() & FLAG_SHARED_MEMORY) != 0;
    }

    /**
     * @return client flags: {@link #FLAG_SESSION}, {@link #FLAG_TOPIC_LIMIT}, {@link #FLAG_DESCRIPTORS}; other bits
     * are ignored.
     */
    public int clientFlags()
    {
        return u32(FLAGS_OFFSET);
    }

    /** @return bytes of the name. */
    public int nameLength()
    {
        return u16(NAME_LENGTH_OFFSET);
    }

    /** @return absolute offset of the name bytes in the buffer. */
    public int nameIndex()
    {
        return offset + NAME_OFFSET;
    }

    /** @return the client name (allocates). */
    public String name()
    {
        return utf8(NAME_OFFSET, nameLength());
    }
}

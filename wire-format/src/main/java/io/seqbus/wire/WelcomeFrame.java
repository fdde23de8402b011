package io.seqbus.wire;

import org.agrona.MutableDirectBuffer;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * WELCOME: the broker accepts a client and states the limits of the connection.
 */
public final class WelcomeFrame extends Flyweight
{
    /** Offset of u16 version. */
    public static final int VERSION_OFFSET = 8;
    /**
     * Offset of u16 max_topic_length: the longest topic or pattern the broker accepts, when the HELLO asked for it
     * ({@link HelloFrame#FLAG_TOPIC_LIMIT}); else 0, as this field was reserved before.
     */
    public static final int MAX_TOPIC_LENGTH_OFFSET = 10;
    /** Offset of u32 max_payload. */
    public static final int MAX_PAYLOAD_OFFSET = 12;
    /** Offset of u32 max_datagram. */
    public static final int MAX_DATAGRAM_OFFSET = 16;
    /** Offset of u32 node_id. */
    public static final int NODE_ID_OFFSET = 20;
    /** Offset of u64 publisher_id. */
    public static final int PUBLISHER_ID_OFFSET = 24;
    /** Offset of u16 node_name_length. */
    public static final int NODE_NAME_LENGTH_OFFSET = 32;
    /** Offset of the node name; also the length of the fixed part. */
    public static final int NODE_NAME_OFFSET = 34;

    /**
     * Writes a WELCOME frame.
     *
     * @param buffer      to write into.
     * @param offset      of the frame.
     * @param version     chosen.
     * @param maxPayload  largest payload accepted.
     * @param maxDatagram largest datagram either side sends.
     * @param nodeId      of the broker.
     * @param publisherId given to this connection.
     * @param nodeName    of the broker.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int version, final int maxPayload,
        final int maxDatagram, final int nodeId, final long publisherId, final String nodeName)
    {
        return encode(buffer, offset, version, maxPayload, maxDatagram, nodeId, publisherId, nodeName, 0);
    }

    /**
     * Writes a WELCOME frame that states the topic limit.
     *
     * @param buffer         to write into.
     * @param offset         of the frame.
     * @param version        chosen.
     * @param maxPayload     largest payload accepted.
     * @param maxDatagram    largest datagram either side sends.
     * @param nodeId         of the broker.
     * @param publisherId    given to this connection.
     * @param nodeName       of the broker.
     * @param maxTopicLength longest topic or pattern accepted, 1..255; 0 for a client that did not ask.
     * @return the frame length.
     */
    public static int encode(
        final MutableDirectBuffer buffer, final int offset, final int version, final int maxPayload,
        final int maxDatagram, final int nodeId, final long publisherId, final String nodeName,
        final int maxTopicLength)
    {
        final int nameLength = WireStrings.putUtf8(buffer, offset + NODE_NAME_OFFSET, nodeName);
        final int length = NODE_NAME_OFFSET + nameLength;
        Protocol.putHeader(buffer, offset, length, FrameType.WELCOME);
        buffer.putShort(offset + VERSION_OFFSET, (short)version, BYTE_ORDER);
        buffer.putShort(offset + MAX_TOPIC_LENGTH_OFFSET, (short)maxTopicLength, BYTE_ORDER);
        buffer.putInt(offset + MAX_PAYLOAD_OFFSET, maxPayload, BYTE_ORDER);
        buffer.putInt(offset + MAX_DATAGRAM_OFFSET, maxDatagram, BYTE_ORDER);
        buffer.putInt(offset + NODE_ID_OFFSET, nodeId, BYTE_ORDER);
        buffer.putLong(offset + PUBLISHER_ID_OFFSET, publisherId, BYTE_ORDER);
        buffer.putShort(offset + NODE_NAME_LENGTH_OFFSET, (short)nameLength, BYTE_ORDER);
        return length;
    }

    /** @return the protocol version chosen. */
    public int version()
    {
        return u16(VERSION_OFFSET);
    }

    /**
     * @return the longest topic or pattern the broker accepts: the field, or the protocol's 255 when it is 0 (a
     * broker that predates it, or a HELLO that did not ask).
     */
    public int maxTopicLength()
    {
        final int told = u16(MAX_TOPIC_LENGTH_OFFSET);
        return told == 0 ? Protocol.MAX_TOPIC_LENGTH : told;
    }

    /** @return largest payload the broker accepts. */
    public int maxPayload()
    {
        return u32(MAX_PAYLOAD_OFFSET);
    }

    /** @return largest datagram either side sends. */
    public int maxDatagram()
    {
        return u32(MAX_DATAGRAM_OFFSET);
    }

    /** @return the broker's node id. */
    public int nodeId()
    {
        return u32(NODE_ID_OFFSET);
    }

    /** @return the publisher id of this connection. */
    public long publisherId()
    {
        return u64(PUBLISHER_ID_OFFSET);
    }

    /** @return bytes of the node name. */
    public int nodeNameLength()
    {
        return u16(NODE_NAME_LENGTH_OFFSET);
    }

    /** @return the node name (allocates). */
    public String nodeName()
    {
        return utf8(NODE_NAME_OFFSET, nodeNameLength());
    }
}

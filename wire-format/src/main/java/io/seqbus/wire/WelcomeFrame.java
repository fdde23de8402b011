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
     * Bytes of the descriptor-limits trailer after the node name, sent only to a HELLO with
     * {@link HelloFrame#FLAG_DESCRIPTORS}: u16 max_descriptors_per_message, u16 max_descriptors_per_datagram,
     * u32 reserved 0, u64 max_memfd_size.
     */
    public static final int DESCRIPTOR_LIMITS_LENGTH = 16;
    /** Offset of u16 max_descriptors_per_message within the trailer. */
    public static final int MAX_DESCRIPTORS_PER_MESSAGE_OFFSET = 0;
    /** Offset of u16 max_descriptors_per_datagram within the trailer. */
    public static final int MAX_DESCRIPTORS_PER_DATAGRAM_OFFSET = 2;
    /** Offset of u32 reserved within the trailer. */
    public static final int DESCRIPTOR_LIMITS_RESERVED_OFFSET = 4;
    /** Offset of u64 max_memfd_size within the trailer. */
    public static final int MAX_MEMFD_SIZE_OFFSET = 8;
    /**
     * Bytes of the service-limits trailer, after the descriptor limits when both are present, sent only to a HELLO
     * with {@link HelloFrame#FLAG_SERVICES}: u16 max_header_bytes, u16 max_headers, u32 max_request_timeout_ms. Its
     * length differs from the descriptor trailer's and from both together, so the frame's length says which it has.
     */
    public static final int SERVICE_LIMITS_LENGTH = 8;
    /** Offset of u16 max_header_bytes within the service trailer. */
    public static final int MAX_HEADER_BYTES_OFFSET = 0;
    /** Offset of u16 max_headers within the service trailer. */
    public static final int MAX_HEADERS_OFFSET = 2;
    /** Offset of u32 max_request_timeout_ms within the service trailer. */
    public static final int MAX_REQUEST_TIMEOUT_MS_OFFSET = 4;

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

    /**
     * Writes the descriptor-limits trailer after a WELCOME just written at {@code offset}, for a HELLO that set
     * {@link HelloFrame#FLAG_DESCRIPTORS}.
     *
     * @param buffer                     holding the WELCOME.
     * @param offset                     of the WELCOME.
     * @param maxDescriptorsPerMessage   most descriptors one PUBLISH_FDS may carry, 1..253.
     * @param maxDescriptorsPerDatagram  most descriptors one datagram may carry, 1..253.
     * @param maxMemfdSize               largest memfd payload accepted, bytes.
     * @return the new frame length.
     */
    public static int appendDescriptorLimits(
        final MutableDirectBuffer buffer, final int offset, final int maxDescriptorsPerMessage,
        final int maxDescriptorsPerDatagram, final long maxMemfdSize)
    {
        final int at = offset + buffer.getInt(offset + Protocol.LENGTH_OFFSET, BYTE_ORDER);
        buffer.putShort(at + MAX_DESCRIPTORS_PER_MESSAGE_OFFSET, (short)maxDescriptorsPerMessage, BYTE_ORDER);
        buffer.putShort(at + MAX_DESCRIPTORS_PER_DATAGRAM_OFFSET, (short)maxDescriptorsPerDatagram, BYTE_ORDER);
        buffer.putInt(at + DESCRIPTOR_LIMITS_RESERVED_OFFSET, 0, BYTE_ORDER);
        buffer.putLong(at + MAX_MEMFD_SIZE_OFFSET, maxMemfdSize, BYTE_ORDER);
        final int length = at + DESCRIPTOR_LIMITS_LENGTH - offset;
        buffer.putInt(offset + Protocol.LENGTH_OFFSET, length, BYTE_ORDER);
        return length;
    }

    /**
     * Writes the service-limits trailer after a WELCOME just written at {@code offset} (and after its descriptor
     * limits, if any), for a HELLO that set {@link HelloFrame#FLAG_SERVICES}.
     *
     * @param buffer              holding the WELCOME.
     * @param offset              of the WELCOME.
     * @param maxHeaderBytes      largest header block accepted, bytes, 2..65535.
     * @param maxHeaders          most entries in one header block, 1..65535.
     * @param maxRequestTimeoutMs longest timeout a REQUEST may ask for, ms.
     * @return the new frame length.
     */
    public static int appendServiceLimits(
        final MutableDirectBuffer buffer, final int offset, final int maxHeaderBytes, final int maxHeaders,
        final int maxRequestTimeoutMs)
    {
        final int at = offset + buffer.getInt(offset + Protocol.LENGTH_OFFSET, BYTE_ORDER);
        buffer.putShort(at + MAX_HEADER_BYTES_OFFSET, (short)maxHeaderBytes, BYTE_ORDER);
        buffer.putShort(at + MAX_HEADERS_OFFSET, (short)maxHeaders, BYTE_ORDER);
        buffer.putInt(at + MAX_REQUEST_TIMEOUT_MS_OFFSET, maxRequestTimeoutMs, BYTE_ORDER);
        final int length = at + SERVICE_LIMITS_LENGTH - offset;
        buffer.putInt(offset + Protocol.LENGTH_OFFSET, length, BYTE_ORDER);
        return length;
    }

    /**
     * @param trailerBytes bytes after the node name.
     * @return whether that many bytes are the descriptor trailer, alone or before the service trailer.
     */
    public static boolean isDescriptorTrailer(final int trailerBytes)
    {
        return trailerBytes == DESCRIPTOR_LIMITS_LENGTH || trailerBytes == DESCRIPTOR_LIMITS_LENGTH + SERVICE_LIMITS_LENGTH;
    }

    /**
     * @param trailerBytes bytes after the node name.
     * @return whether that many bytes end with the service trailer.
     */
    public static boolean isServiceTrailer(final int trailerBytes)
    {
        return trailerBytes == SERVICE_LIMITS_LENGTH || trailerBytes == DESCRIPTOR_LIMITS_LENGTH + SERVICE_LIMITS_LENGTH;
    }

    /** @return true when the frame carries the descriptor-limits trailer (the HELLO set DESCRIPTORS). */
    public boolean hasDescriptorLimits()
    {
        return isDescriptorTrailer(frameLength() - trailer());
    }

    /** @return true when the frame carries the service-limits trailer (the HELLO set SERVICES, and the broker knows it). */
    public boolean hasServiceLimits()
    {
        return isServiceTrailer(frameLength() - trailer());
    }

    /** @return largest header block the broker accepts, bytes; 0 without the service trailer. */
    public int maxHeaderBytes()
    {
        return hasServiceLimits() ? u16(serviceTrailer() + MAX_HEADER_BYTES_OFFSET) : 0;
    }

    /** @return most entries in one header block; 0 without the service trailer. */
    public int maxHeaders()
    {
        return hasServiceLimits() ? u16(serviceTrailer() + MAX_HEADERS_OFFSET) : 0;
    }

    /** @return longest timeout a REQUEST may ask for, ms; 0 without the service trailer. */
    public long maxRequestTimeoutMs()
    {
        return hasServiceLimits() ? u32(serviceTrailer() + MAX_REQUEST_TIMEOUT_MS_OFFSET) & 0xFFFF_FFFFL : 0;
    }

    private int serviceTrailer()
    {
        return frameLength() - SERVICE_LIMITS_LENGTH;
    }

    /** @return most descriptors one PUBLISH_FDS may carry; 0 without the trailer. */
    public int maxDescriptorsPerMessage()
    {
        return hasDescriptorLimits() ? u16(trailer() + MAX_DESCRIPTORS_PER_MESSAGE_OFFSET) : 0;
    }

    /** @return most descriptors one datagram may carry, either way; 0 without the trailer. */
    public int maxDescriptorsPerDatagram()
    {
        return hasDescriptorLimits() ? u16(trailer() + MAX_DESCRIPTORS_PER_DATAGRAM_OFFSET) : 0;
    }

    /** @return largest memfd payload the broker accepts, bytes; 0 without the trailer. */
    public long maxMemfdSize()
    {
        return hasDescriptorLimits() ? u64(trailer() + MAX_MEMFD_SIZE_OFFSET) : 0;
    }

    private int trailer()
    {
        return NODE_NAME_OFFSET + nodeNameLength();
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

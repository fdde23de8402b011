package io.seqbus.client;

/**
 * The codes of errors: {@link BusError#code()} and {@link BusException#code()}. The protocol's values (SPEC.md,
 * ERROR), as plain int constants so that a code a newer broker adds still reaches the service; 0 is the
 * client's own report ({@code CLIENT}), not an ERROR from the broker.
 */
public final class ErrorCode
{
    /** The client's own report, such as publishes accepted but not sent at close: no broker ERROR. */
    public static final int CLIENT = 0;
    /** The datagram ends inside a frame. */
    public static final int TRUNCATED_FRAME = io.seqbus.wire.ErrorCode.TRUNCATED_FRAME;
    /** A length field disagrees with the frame. */
    public static final int BAD_FRAME_LENGTH = io.seqbus.wire.ErrorCode.BAD_FRAME_LENGTH;
    /** A frame type that version 1 does not define. */
    public static final int UNKNOWN_FRAME_TYPE = io.seqbus.wire.ErrorCode.UNKNOWN_FRAME_TYPE;
    /** HELLO offers no version the broker speaks. */
    public static final int UNSUPPORTED_VERSION = io.seqbus.wire.ErrorCode.UNSUPPORTED_VERSION;
    /** The first frame of a connection was not HELLO. */
    public static final int HELLO_REQUIRED = io.seqbus.wire.ErrorCode.HELLO_REQUIRED;
    /** A second HELLO, a frame of the other side's kind, or non-zero reserved bits. */
    public static final int PROTOCOL_VIOLATION = io.seqbus.wire.ErrorCode.PROTOCOL_VIOLATION;
    /** A PUBLISH topic breaks the topic rules. */
    public static final int INVALID_TOPIC = io.seqbus.wire.ErrorCode.INVALID_TOPIC;
    /** A SUBSCRIBE pattern breaks the pattern rules. */
    public static final int INVALID_PATTERN = io.seqbus.wire.ErrorCode.INVALID_PATTERN;
    /** A payload longer than the broker's max_payload. */
    public static final int PAYLOAD_TOO_LARGE = io.seqbus.wire.ErrorCode.PAYLOAD_TOO_LARGE;
    /** The connection holds as many subscriptions as allowed. */
    public static final int TOO_MANY_SUBSCRIPTIONS = io.seqbus.wire.ErrorCode.TOO_MANY_SUBSCRIPTIONS;
    /** A subscription id of 0 or one already in use. */
    public static final int DUPLICATE_SUBSCRIPTION = io.seqbus.wire.ErrorCode.DUPLICATE_SUBSCRIPTION;
    /** UNSUBSCRIBE of an id that is not subscribed. */
    public static final int UNKNOWN_SUBSCRIPTION = io.seqbus.wire.ErrorCode.UNKNOWN_SUBSCRIPTION;
    /** An unknown policy or an out-of-range option. */
    public static final int INVALID_OPTION = io.seqbus.wire.ErrorCode.INVALID_OPTION;
    /** A client name that is too long or not UTF-8. */
    public static final int INVALID_NAME = io.seqbus.wire.ErrorCode.INVALID_NAME;
    /** Evicted by a slow-consumer policy. */
    public static final int SLOW_CONSUMER = io.seqbus.wire.ErrorCode.SLOW_CONSUMER;
    /** The peer's credentials do not allow the operation. */
    public static final int ACCESS_DENIED = io.seqbus.wire.ErrorCode.ACCESS_DENIED;
    /** A connection limit of the broker was reached. */
    public static final int LIMIT_EXCEEDED = io.seqbus.wire.ErrorCode.LIMIT_EXCEEDED;
    /** The broker is stopping. */
    public static final int SHUTTING_DOWN = io.seqbus.wire.ErrorCode.SHUTTING_DOWN;
    /** A datagram longer than max_datagram. */
    public static final int DATAGRAM_TOO_LARGE = io.seqbus.wire.ErrorCode.DATAGRAM_TOO_LARGE;
    /** A fault inside the broker. */
    public static final int INTERNAL_ERROR = io.seqbus.wire.ErrorCode.INTERNAL_ERROR;
    /** The datagram's descriptors were cut (MSG_CTRUNC): too many, or the broker is out of descriptors. */
    public static final int DESCRIPTORS_TRUNCATED = io.seqbus.wire.ErrorCode.DESCRIPTORS_TRUNCATED;
    /** A datagram's descriptors do not match its frames' fd_counts, or came without DESCRIPTORS. */
    public static final int DESCRIPTOR_MISMATCH = io.seqbus.wire.ErrorCode.DESCRIPTOR_MISMATCH;
    /** A payload descriptor that is not a sealed memfd of the stated size. */
    public static final int BAD_DESCRIPTOR = io.seqbus.wire.ErrorCode.BAD_DESCRIPTOR;
    /** Descriptors besides the payload on a topic without pass_fds. */
    public static final int DESCRIPTORS_DENIED = io.seqbus.wire.ErrorCode.DESCRIPTORS_DENIED;
    /** Descriptors, or a payload over the LAN bound, on a topic shared over the LAN. */
    public static final int NOT_ON_LAN = io.seqbus.wire.ErrorCode.NOT_ON_LAN;
    /** More descriptors in one publish than max_descriptors_per_message. */
    public static final int TOO_MANY_DESCRIPTORS = io.seqbus.wire.ErrorCode.TOO_MANY_DESCRIPTORS;
    /** A malformed header block, or one over the broker's max_header_bytes or max_headers: that message refused. */
    public static final int INVALID_HEADERS = io.seqbus.wire.ErrorCode.INVALID_HEADERS;
    /** A request the broker could not take: request_id 0 or already pending, or a timeout out of range. */
    public static final int INVALID_REQUEST = io.seqbus.wire.ErrorCode.INVALID_REQUEST;
    /** A queue group's name that is empty, too long or not a topic token: that subscription refused. */
    public static final int INVALID_GROUP = io.seqbus.wire.ErrorCode.INVALID_GROUP;

    private ErrorCode()
    {
    }

    /**
     * @param code an error code.
     * @return true when the broker closes the connection after an ERROR with this code.
     */
    public static boolean isFatal(final int code)
    {
        return code != CLIENT && io.seqbus.wire.ErrorCode.isFatal(code);
    }

    /**
     * @param code an error code.
     * @return its name in SPEC.md, such as {@code ACCESS_DENIED}; {@code CLIENT} for 0; else {@code UNKNOWN(n)}.
     */
    public static String name(final int code)
    {
        return code == CLIENT ? "CLIENT" : io.seqbus.wire.ErrorCode.name(code);
    }
}

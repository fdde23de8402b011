package io.seqbus.wire;

/**
 * ERROR frame codes. Whether a code closes the connection is part of the protocol:
 * see {@link #isFatal(int)} and the table in SPEC.md.
 */
public final class ErrorCode
{
    /** The datagram ends inside a frame. */
    public static final int TRUNCATED_FRAME = 1;
    /** A length field disagrees with the frame. */
    public static final int BAD_FRAME_LENGTH = 2;
    /** A frame type that version 1 does not define. */
    public static final int UNKNOWN_FRAME_TYPE = 3;
    /** HELLO offers no version the broker speaks. */
    public static final int UNSUPPORTED_VERSION = 4;
    /** The first frame of a connection was not HELLO. */
    public static final int HELLO_REQUIRED = 5;
    /** A second HELLO, a frame of the other side's kind, or non-zero reserved bits. */
    public static final int PROTOCOL_VIOLATION = 6;
    /** A PUBLISH topic breaks the topic rules. */
    public static final int INVALID_TOPIC = 7;
    /** A SUBSCRIBE pattern breaks the pattern rules. */
    public static final int INVALID_PATTERN = 8;
    /** A payload longer than the broker's max_payload. */
    public static final int PAYLOAD_TOO_LARGE = 9;
    /** The connection holds as many subscriptions as allowed. */
    public static final int TOO_MANY_SUBSCRIPTIONS = 10;
    /** A subscription id of 0 or one already in use. */
    public static final int DUPLICATE_SUBSCRIPTION = 11;
    /** UNSUBSCRIBE of an id that is not subscribed. */
    public static final int UNKNOWN_SUBSCRIPTION = 12;
    /** An unknown policy or an out-of-range option. */
    public static final int INVALID_OPTION = 13;
    /** A client name that is too long or not UTF-8. */
    public static final int INVALID_NAME = 14;
    /** Evicted by a slow-consumer policy. */
    public static final int SLOW_CONSUMER = 15;
    /** The peer's credentials do not allow the operation. */
    public static final int ACCESS_DENIED = 16;
    /** A connection limit of the broker was reached. */
    public static final int LIMIT_EXCEEDED = 17;
    /** The broker is stopping. */
    public static final int SHUTTING_DOWN = 18;
    /** A datagram longer than max_datagram. */
    public static final int DATAGRAM_TOO_LARGE = 19;
    /** A fault inside the broker. */
    public static final int INTERNAL_ERROR = 20;
    /**
     * The datagram's control message was cut ({@code MSG_CTRUNC}): more descriptors than max_descriptors_per_datagram,
     * or the broker is out of descriptors.
     */
    public static final int DESCRIPTORS_TRUNCATED = 21;
    /**
     * The descriptors of a datagram do not match its frames: the fd_counts do not add up to what arrived, descriptors
     * without a descriptor frame or before WELCOME, or descriptors from a client whose HELLO lacked DESCRIPTORS.
     */
    public static final int DESCRIPTOR_MISMATCH = 22;
    /** A payload descriptor that is not a memfd with all four seals, or whose size is not payload_size. */
    public static final int BAD_DESCRIPTOR = 23;
    /** Descriptors other than the payload on a topic the peer may not pass descriptors on (pass_fds). */
    public static final int DESCRIPTORS_DENIED = 24;
    /** On a shared topic: descriptors other than the payload, or a payload over the LAN bound. */
    public static final int NOT_ON_LAN = 25;
    /** A frame's fd_count over max_descriptors_per_message. */
    public static final int TOO_MANY_DESCRIPTORS = 26;
    /** A malformed header block, or one over max_header_bytes or max_headers (issue 19). */
    public static final int INVALID_HEADERS = 27;
    /** A REQUEST with request_id 0 or already pending, or a timeout out of range (issue 19). */
    public static final int INVALID_REQUEST = 28;
    /** A queue group's name that is empty, too long or not a topic token (issue 19). */
    public static final int INVALID_GROUP = 29;

    private static final int MAX_CODE = INVALID_GROUP;

    private ErrorCode()
    {
    }

    /**
     * @param code an error code.
     * @return true when the broker closes the connection after sending this code.
     */
    public static boolean isFatal(final int code)
    {
        switch (code)
        {
            case INVALID_TOPIC:
            case INVALID_PATTERN:
            case PAYLOAD_TOO_LARGE:
            case TOO_MANY_SUBSCRIPTIONS:
            case DUPLICATE_SUBSCRIPTION:
            case UNKNOWN_SUBSCRIPTION:
            case INVALID_OPTION:
            case ACCESS_DENIED:
            case BAD_DESCRIPTOR:
            case DESCRIPTORS_DENIED:
            case NOT_ON_LAN:
            case TOO_MANY_DESCRIPTORS:
            case INVALID_HEADERS:
            case INVALID_REQUEST:
            case INVALID_GROUP:
                return false;
            default:
                return true;
        }
    }

    /**
     * @return the highest code defined, for sizing per-code counters.
     */
    public static int maxCode()
    {
        return MAX_CODE;
    }

    /**
     * @param code an error code.
     * @return the name used in SPEC.md, or {@code UNKNOWN(n)}.
     */
    public static String name(final int code)
    {
        switch (code)
        {
            case TRUNCATED_FRAME: return "TRUNCATED_FRAME";
            case BAD_FRAME_LENGTH: return "BAD_FRAME_LENGTH";
            case UNKNOWN_FRAME_TYPE: return "UNKNOWN_FRAME_TYPE";
            case UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
            case HELLO_REQUIRED: return "HELLO_REQUIRED";
            case PROTOCOL_VIOLATION: return "PROTOCOL_VIOLATION";
            case INVALID_TOPIC: return "INVALID_TOPIC";
            case INVALID_PATTERN: return "INVALID_PATTERN";
            case PAYLOAD_TOO_LARGE: return "PAYLOAD_TOO_LARGE";
            case TOO_MANY_SUBSCRIPTIONS: return "TOO_MANY_SUBSCRIPTIONS";
            case DUPLICATE_SUBSCRIPTION: return "DUPLICATE_SUBSCRIPTION";
            case UNKNOWN_SUBSCRIPTION: return "UNKNOWN_SUBSCRIPTION";
            case INVALID_OPTION: return "INVALID_OPTION";
            case INVALID_NAME: return "INVALID_NAME";
            case SLOW_CONSUMER: return "SLOW_CONSUMER";
            case ACCESS_DENIED: return "ACCESS_DENIED";
            case LIMIT_EXCEEDED: return "LIMIT_EXCEEDED";
            case SHUTTING_DOWN: return "SHUTTING_DOWN";
            case DATAGRAM_TOO_LARGE: return "DATAGRAM_TOO_LARGE";
            case INTERNAL_ERROR: return "INTERNAL_ERROR";
            case DESCRIPTORS_TRUNCATED: return "DESCRIPTORS_TRUNCATED";
            case DESCRIPTOR_MISMATCH: return "DESCRIPTOR_MISMATCH";
            case BAD_DESCRIPTOR: return "BAD_DESCRIPTOR";
            case DESCRIPTORS_DENIED: return "DESCRIPTORS_DENIED";
            case NOT_ON_LAN: return "NOT_ON_LAN";
            case TOO_MANY_DESCRIPTORS: return "TOO_MANY_DESCRIPTORS";
            case INVALID_HEADERS: return "INVALID_HEADERS";
            case INVALID_REQUEST: return "INVALID_REQUEST";
            case INVALID_GROUP: return "INVALID_GROUP";
            default: return "UNKNOWN(" + code + ")";
        }
    }
}

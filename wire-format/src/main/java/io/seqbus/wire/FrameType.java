package io.seqbus.wire;

/**
 * Frame type codes, the byte at offset 4 of every frame.
 */
public final class FrameType
{
    /** Client greets the broker; the first frame of a connection. */
    public static final int HELLO = 0x01;
    /** Broker accepts the client and states its limits. */
    public static final int WELCOME = 0x02;
    /** Client subscribes to a pattern. */
    public static final int SUBSCRIBE = 0x03;
    /** Client drops a subscription. */
    public static final int UNSUBSCRIBE = 0x04;
    /** Client publishes a message. */
    public static final int PUBLISH = 0x05;
    /** Broker delivers a message for a subscription. */
    public static final int DELIVER = 0x06;
    /** Broker reports messages lost, where and why. */
    public static final int GAP = 0x07;
    /** Broker reports a refused frame or a reason to disconnect. */
    public static final int ERROR = 0x08;
    /** Liveness and barrier request, either direction. */
    public static final int PING = 0x09;
    /** Answer to PING with the same token. */
    public static final int PONG = 0x0A;
    /** Client asks the broker for its statistics. */
    public static final int STAT_REQUEST = 0x0B;
    /** Broker answers with a chunk of a JSON document. */
    public static final int STAT_REPLY = 0x0C;
    /** Broker delivers consecutive messages of one publisher on one topic for a subscription. */
    public static final int DELIVER_RUN = 0x10;
    /** Client publishes a message whose payload or attachments travel as descriptors (SCM_RIGHTS). */
    public static final int PUBLISH_FDS = 0x11;
    /** Broker delivers a message with the descriptors that came with the datagram. */
    public static final int DELIVER_FDS = 0x12;
    /** Broker offers shared memory: its 3 descriptors (memfd, client_wake, broker_wake) come with the datagram. */
    public static final int SHM_READY = 0x13;
    /** Client's last frame on the socket: from now on its frames come through its from_client ring. */
    public static final int SHM_ATTACH = 0x14;
    /** Either side, on the socket: the descriptors of the next FRAMES_WITH_FDS record of a ring. */
    public static final int SHM_FDS = 0x15;
    /** Client asks: a message the broker remembers until one RESPONSE answers it. */
    public static final int REQUEST = 0x16;
    /** Broker delivers a request for a subscription, with the token to reply with. */
    public static final int DELIVER_REQUEST = 0x17;
    /** Client answers a DELIVER_REQUEST; the broker routes it to the requester only. */
    public static final int REPLY = 0x18;
    /** Broker tells a requester how its REQUEST ended: replied, or why not. */
    public static final int RESPONSE = 0x19;
    /** Bridge only: first frame of every LAN datagram, naming the sending broker. */
    public static final int NODE = 0x20;
    /** Bridge only: a broker's periodic announcement of itself and its traffic. */
    public static final int ANNOUNCE = 0x21;
    /** Bridge only: last frame of a LAN datagram between brokers that share a key, its HMAC tag. */
    public static final int AUTH = 0x22;
    /** Bridge only: a bridged message whose memfd payload follows in FRAGMENT frames. */
    public static final int DELIVER_MEMFD = 0x23;
    /** Bridge only: bytes of the payload of the DELIVER_MEMFD its sender sent last. */
    public static final int FRAGMENT = 0x24;
    /** Bridge only: the first reply to a request that crossed the LAN, back to the requester's broker (issue 19). */
    public static final int LAN_REPLY = 0x25;
    /** Bridge only: the queue groups with members on the sending broker, and their patterns (issue 19). */
    public static final int GROUPS = 0x26;

    private FrameType()
    {
    }

    /**
     * @param type code.
     * @return true if a client may send this type to a broker.
     */
    public static boolean isSentByClient(final int type)
    {
        return type == HELLO || type == SUBSCRIBE || type == UNSUBSCRIBE || type == PUBLISH ||
            type == PING || type == PONG || type == STAT_REQUEST || type == PUBLISH_FDS ||
            type == SHM_ATTACH || type == SHM_FDS || isRequestSentByClient(type);
    }

    // Requests and replies (issue 19), kept apart so other additions merge beside them.
    private static boolean isRequestSentByClient(final int type)
    {
        return type == REQUEST || type == REPLY;
    }

    private static boolean isRequestSentByBroker(final int type)
    {
        return type == DELIVER_REQUEST || type == RESPONSE;
    }

    /**
     * @param type code.
     * @return true if a broker may send this type to a client.
     */
    public static boolean isSentByBroker(final int type)
    {
        return type == WELCOME || type == DELIVER || type == GAP || type == ERROR || type == PING || type == PONG ||
            type == STAT_REPLY || type == DELIVER_RUN || type == DELIVER_FDS || type == SHM_READY || type == SHM_FDS ||
            isRequestSentByBroker(type);
    }

    /**
     * @param type code.
     * @return true if a broker may send this type to other brokers over the LAN bridge.
     */
    public static boolean isSentOnLan(final int type)
    {
        return type == NODE || type == ANNOUNCE || type == DELIVER || type == AUTH || type == DELIVER_MEMFD ||
            type == FRAGMENT || type == GROUPS || isRequestSentOnLan(type);
    }

    // Requests across the LAN (issue 19): a request crosses as DELIVER_REQUEST, its first reply comes back as LAN_REPLY.
    private static boolean isRequestSentOnLan(final int type)
    {
        return type == DELIVER_REQUEST || type == LAN_REPLY;
    }

    /**
     * @param type code.
     * @return true if frames of this type own descriptors of their datagram ({@code fd_count} at the same place).
     */
    public static boolean carriesDescriptors(final int type)
    {
        return type == PUBLISH_FDS || type == DELIVER_FDS;
    }

    /**
     * @param type code.
     * @return true if the type is defined in version 1.
     */
    public static boolean isKnown(final int type)
    {
        return (type >= HELLO && type <= STAT_REPLY) || (type >= DELIVER_RUN && type <= SHM_FDS) ||
            (type >= REQUEST && type <= RESPONSE) ||
            (type >= NODE && type <= FRAGMENT) || type == GROUPS || type == LAN_REPLY;
    }

    /**
     * @param type code.
     * @return the name used in SPEC.md, or {@code UNKNOWN(n)}.
     */
    public static String name(final int type)
    {
        switch (type)
        {
            case HELLO: return "HELLO";
            case WELCOME: return "WELCOME";
            case SUBSCRIBE: return "SUBSCRIBE";
            case UNSUBSCRIBE: return "UNSUBSCRIBE";
            case PUBLISH: return "PUBLISH";
            case DELIVER: return "DELIVER";
            case GAP: return "GAP";
            case ERROR: return "ERROR";
            case PING: return "PING";
            case PONG: return "PONG";
            case STAT_REQUEST: return "STAT_REQUEST";
            case STAT_REPLY: return "STAT_REPLY";
            case DELIVER_RUN: return "DELIVER_RUN";
            case PUBLISH_FDS: return "PUBLISH_FDS";
            case DELIVER_FDS: return "DELIVER_FDS";
            case SHM_READY: return "SHM_READY";
            case SHM_ATTACH: return "SHM_ATTACH";
            case SHM_FDS: return "SHM_FDS";
            case REQUEST: return "REQUEST";
            case DELIVER_REQUEST: return "DELIVER_REQUEST";
            case REPLY: return "REPLY";
            case RESPONSE: return "RESPONSE";
            case NODE: return "NODE";
            case ANNOUNCE: return "ANNOUNCE";
            case AUTH: return "AUTH";
            case DELIVER_MEMFD: return "DELIVER_MEMFD";
            case FRAGMENT: return "FRAGMENT";
            case GROUPS: return "GROUPS";
            case LAN_REPLY: return "LAN_REPLY";
            default: return "UNKNOWN(" + type + ")";
        }
    }
}

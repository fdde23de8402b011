package io.seqbus.broker;

/**
 * The publisher id of a connection whose HELLO carried a session (SPEC.md, HELLO): derived from the kernel's uid
 * and the client's session id, so a client that reconnects, also to a restarted broker, keeps its id, and a client
 * of another uid that sends the same session id gets another id and cannot continue this one's sequence.
 */
final class PublisherIds
{
    /** Set in every session-derived id; clear in the per-connection ids ({@code start seconds << 32 | n}). */
    static final long SESSION_BIT = 1L << 63;

    private PublisherIds()
    {
    }

    /**
     * @param uid       of the peer, from SO_PEERCRED (-1 when unknown).
     * @param sessionId from HELLO.
     * @return the publisher id, top bit set.
     */
    static long fromSession(final int uid, final long sessionId)
    {
        // A bijective 64-bit mix (murmur3's finaliser) of uid and session: ids of different uids differ
        // unless two sessions were chosen to collide, and sessions are random.
        long x = ((uid & 0xFFFF_FFFFL) << 32) ^ Long.rotateLeft(sessionId, 17) ^ 0x5EB05B05EB05B05L;
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return x | SESSION_BIT;
    }
}
